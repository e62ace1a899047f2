# clql-mpi-probe under mpirun: rank 0 reports every rank's device and the
# split of the 2B4T preset over them; a rank without a device fails every
# rank with exit 6 and a message that names it.
# Usage: cmake -DMPIRUN=<mpirun;args> -DPROBE=<clql-mpi-probe> -P mpi_probe.cmake
function(run out rc)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE o ERROR_VARIABLE e RESULT_VARIABLE r
    TIMEOUT 240)
  set(${out} "${o}${e}" PARENT_SCOPE)
  set(${rc} "${r}" PARENT_SCOPE)
endfunction()
function(expect json want)
  string(JSON got GET "${json}" ${ARGN})
  if(NOT got STREQUAL want)
    string(REPLACE ";" "." key "${ARGN}")
    message(FATAL_ERROR "${key} is '${got}', want '${want}':\n${json}")
  endif()
endfunction()

run(out rc ${MPIRUN} -np 2 ${PROBE} --json --plan bitnet-b1.58-2b4t --split layers)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exit ${rc}:\n${out}")
endif()
expect("${out}" 2 ranks)
string(JSON n LENGTH "${out}" devices)
if(NOT n EQUAL 2)
  message(FATAL_ERROR "${n} devices, want 2:\n${out}")
endif()
expect("${out}" 0 devices 0 rank)
expect("${out}" 1 devices 1 rank)
expect("${out}" layers plan mode)
expect("${out}" ON plan fits)
# 30 blocks of 7 layers over two equal ranks: block by block, half each
expect("${out}" 0 devices 0 layers begin)
expect("${out}" 105 devices 0 layers end)
expect("${out}" 105 devices 1 layers begin)
expect("${out}" 210 devices 1 layers end)

run(out rc ${MPIRUN} -np 2 ${PROBE} --json --plan bitnet-b1.58-2b4t)
expect("${out}" rows plan mode)
expect("${out}" 0.5 devices 0 share)
expect("${out}" 0.5 devices 1 share)

run(out rc ${MPIRUN} -np 1 ${PROBE} : -x CLQL_DEVICE=99 -np 1 ${PROBE})
if(NOT rc EQUAL 6 OR NOT out MATCHES "selection: rank 1: CLQL_DEVICE: item 1 \\('99'\\)")
  message(FATAL_ERROR "a rank without a device: exit ${rc}, want 6 naming rank 1:\n${out}")
endif()
