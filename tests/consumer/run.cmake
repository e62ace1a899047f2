# Install clql from CLQL_BUILD_DIR into a scratch prefix, then build and run
# the consumer twice: through find_package(clql) and through pkg-config; do
# the same against the build tree itself (clql_DIR and PKG_CONFIG_PATH set to
# it); and replay a device record through the installed profile layer.
# C_FLAGS carries the build's own flags (sanitizers must match the library).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${CLQL_BUILD_DIR} --prefix ${prefix})

run(${CMAKE_COMMAND} -S ${CONSUMER_SRC} -B ${WORK_DIR}/cmake-build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER} "-DCMAKE_C_FLAGS=${C_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-build)
run(${WORK_DIR}/cmake-build/consumer)

# pkg-config with the .pc files in pcdir: build consumer-<name> and run it.
function(through_pkg_config pcdir name)
  set(ENV{PKG_CONFIG_PATH} "${pcdir}")
  execute_process(COMMAND pkg-config --cflags --libs clql OUTPUT_VARIABLE flags
    RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config does not know clql in ${pcdir}")
  endif()
  execute_process(COMMAND pkg-config --variable=libdir clql OUTPUT_VARIABLE libdir
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  separate_arguments(flags UNIX_COMMAND "${C_FLAGS} ${flags}")
  run(${C_COMPILER} ${CONSUMER_SRC}/main.c -o ${WORK_DIR}/consumer-${name} ${flags}
      -Wl,-rpath,${libdir})
  run(${WORK_DIR}/consumer-${name})
endfunction()

file(GLOB pcdir LIST_DIRECTORIES true ${prefix}/lib*/pkgconfig)
through_pkg_config(${pcdir} pc)
message(STATUS "consumer built and ran through find_package and pkg-config")

# The build tree offers the same files, pointing at itself.
run(${CMAKE_COMMAND} -S ${CONSUMER_SRC} -B ${WORK_DIR}/cmake-build-tree
    -Dclql_DIR=${CLQL_BUILD_DIR} -DCMAKE_C_COMPILER=${C_COMPILER} "-DCMAKE_C_FLAGS=${C_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-build-tree)
run(${WORK_DIR}/cmake-build-tree/consumer)
through_pkg_config(${CLQL_BUILD_DIR} pc-build-tree)
message(STATUS "consumer built and ran against the build tree")

# The loader layers are installed, and the installed clql-probe replays a
# record through the installed profile layer.
get_filename_component(libdir ${pcdir} DIRECTORY)
foreach(layer clql_profile_layer clql_fault_layer)
  if(NOT EXISTS ${libdir}/lib${layer}.so)
    message(FATAL_ERROR "lib${layer}.so is not installed in ${libdir}")
  endif()
endforeach()
set(ENV{OPENCL_LAYERS} ${libdir}/libclql_profile_layer.so)
set(ENV{CLQL_PROFILE_FILE} ${TEST_DATA}/profile_layer.json)
set(ENV{CLQL_PROFILE_ID} layer-amd)
execute_process(COMMAND ${prefix}/bin/clql-probe --list OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(rc EQUAL 9 AND NOT DEFINED ENV{CI})
  message(STATUS "no OpenCL platform here: the replay through the installed layer was not run")
elseif(NOT rc EQUAL 0 OR NOT out MATCHES "gfx-test")
  message(FATAL_ERROR "the installed profile layer did not replay layer-amd (${rc}):\n${out}")
else()
  message(STATUS "the installed profile layer replays a device record")
endif()
