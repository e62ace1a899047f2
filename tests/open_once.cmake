# Files clql reads are untrusted, and a FIFO or a device given as one must
# not block or be opened at all: every file of lib/ and probes/ is opened by
# clql_open_regular() in lib/util.c, which refuses anything but a regular
# file before a blocking open. This checks that no other open exists.
# Usage: cmake -DSOURCE_DIR=<repository root> -P open_once.cmake
file(GLOB sources ${SOURCE_DIR}/lib/*.c ${SOURCE_DIR}/probes/*.c)
set(calls "")
foreach(src IN LISTS sources)
  file(READ ${src} text)
  string(REGEX MATCHALL "[^A-Za-z0-9_.>](f?open|openat|creat|fdopen|freopen)[ ]*\\(" hits "${text}")
  get_filename_component(file ${src} NAME)
  foreach(hit IN LISTS hits)
    string(REGEX REPLACE "^[^A-Za-z0-9_]" "" hit "${hit}")
    list(APPEND calls "${file}: ${hit}")
  endforeach()
endforeach()
if(NOT calls STREQUAL "util.c: open(")
  string(REPLACE ";" "\n  " shown "${calls}")
  message(FATAL_ERROR
    "files must be opened only by clql_open_regular (lib/util.c), found:\n  ${shown}")
endif()
file(READ ${SOURCE_DIR}/lib/util.c text)
string(REGEX MATCH "int clql_open_regular\\([^{]*\\{[^}]*(\\}[^}]*)*open\\(path" inside "${text}")
if(NOT inside)
  message(FATAL_ERROR "lib/util.c: open( is not inside clql_open_regular()")
endif()
message(STATUS "files: one open, in clql_open_regular() of lib/util.c")
