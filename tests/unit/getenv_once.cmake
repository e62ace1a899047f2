# clql reads its environment in one place: the library's only getenv is in
# one function of lib/base/config.c (clql_config_from_env's reader), so no knob can
# be read behind the configuration's back, per pass or with its own rules.
# Usage: cmake -DSOURCE_DIR=<repository root> -P getenv_once.cmake
include(${CMAKE_CURRENT_LIST_DIR}/one_place.cmake)
clql_one_place(CALL "getenv(" HITS "[^A-Za-z0-9_]getenv[ ]*\\(" FILE base/config.c
  FUNCTION "static const char *read_env(" WHY "the configuration reads the environment")
