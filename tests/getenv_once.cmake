# clql reads its environment in one place: the library's only getenv is in
# one function of lib/config.c (clql_config_from_env's reader), so no knob can
# be read behind the configuration's back, per pass or with its own rules.
# Usage: cmake -DSOURCE_DIR=<repository root> -P getenv_once.cmake
file(GLOB sources ${SOURCE_DIR}/lib/*.c ${SOURCE_DIR}/lib/*.h ${SOURCE_DIR}/probes/*.c
  ${SOURCE_DIR}/probes/*.h)
set(calls "")
foreach(src IN LISTS sources)
  file(READ ${src} text)
  string(REGEX MATCHALL "[^A-Za-z0-9_]getenv[ ]*\\(" hits "${text}")
  get_filename_component(file ${src} NAME)
  foreach(hit IN LISTS hits)
    list(APPEND calls "${file}: getenv(")
  endforeach()
endforeach()
list(LENGTH calls n)
if(NOT n EQUAL 1)
  string(REPLACE ";" "\n  " shown "${calls}")
  message(FATAL_ERROR "getenv must appear once in lib/ and probes/ (lib/config.c), "
    "found ${n}:\n  ${shown}")
endif()
if(NOT calls MATCHES "^config.c: ")
  message(FATAL_ERROR "the one getenv is not in lib/config.c: ${calls}")
endif()
# and that call sits in the one reader function
file(READ ${SOURCE_DIR}/lib/config.c text)
string(REGEX MATCH "static const char \\*read_env\\([^{]*\\{[^}]*getenv" reader "${text}")
if(NOT reader)
  message(FATAL_ERROR "lib/config.c: getenv is not inside read_env()")
endif()
message(STATUS "getenv: one call, in read_env() of lib/config.c")
