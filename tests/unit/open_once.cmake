# Files clql reads are untrusted, and a FIFO or a device given as one must
# not block or be opened at all: every file of lib/ and probes/ is opened by
# clql_open_regular() in lib/base/util.c, which refuses anything but a regular
# file before a blocking open. This checks that no other open exists.
# Usage: cmake -DSOURCE_DIR=<repository root> -P open_once.cmake
include(${CMAKE_CURRENT_LIST_DIR}/one_place.cmake)
clql_one_place(CALL "open(" HITS "[^A-Za-z0-9_.>](f?open|openat|creat|fdopen|freopen)[ ]*\\("
  FILE base/util.c FUNCTION "int clql_open_regular(" WHY "clql_open_regular refuses FIFOs and devices")
