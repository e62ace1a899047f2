#!/bin/sh
# The test suite, as CI runs it: install what is missing, then
#   1. the default workflow: configure, build, every test (labels unit, cl,
#      install, and portability: the GPU kernels through AMD's, NVIDIA's and
#      SPIR-V's offline compilers, with the CUDA toolkit's ptxas of this
#      machine image, /usr/local/cuda/bin, and on oclgrind's checking device);
#   2. the Rust and Python bindings' tests on that build (bindings/run-tests.sh);
#   3. the OpenCL-free unit tests again under valgrind;
#   4. the asan workflow (AddressSanitizer + UBSan + LeakSanitizer, every test);
#   5. the tsan workflow (ThreadSanitizer, the threads label);
#   6. the fuzz workflow (clang + libFuzzer, bounded runs);
#   7. the mpi workflow (-DCLQL_MPI=ON, the mpi label under mpirun).
# Every package these need is installed first (tools/install-deps.sh).
# The gguf Python package (PyPI) writes fresh GGUF files for unit/gguf_python:
# it is installed into .cache/clql-venv when pip can reach PyPI, else that
# test is skipped.
# Usage: tools/test.sh [--quick]   (--quick: step 1 only)
set -eu
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: tools/test.sh [--quick]" >&2; exit 2 ;;
esac
tools/install-deps.sh valgrind clang libclang-rt-dev python3-venv gnuplot-nox \
  libopenmpi-dev openmpi-bin clang-14 llvm-14 llvm-spirv-14 spirv-tools libclc-14 oclgrind \
  cargo python3-pytest python3-numpy python3-setuptools python3-wheel man-db groff-base
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"

step() { printf '\n=== %s\n' "$*"; }

venv=.cache/clql-venv
if [ -z "${CLQL_PYTHON:-}" ]; then
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import gguf, numpy' 2>/dev/null; then
    step "Python venv with the gguf package (for unit/gguf_python)"
    { python3 -m venv "$venv" && "$venv/bin/pip" install -q gguf numpy; } ||
      echo "note: no venv with gguf; unit/gguf_python will be skipped"
  fi
  [ -x "$venv/bin/python" ] && export CLQL_PYTHON="$PWD/$venv/bin/python"
fi

step "default workflow"
cmake --workflow --preset default
[ "$quick" -eq 1 ] && exit 0

step "bindings: cargo test (Rust) and pytest (Python) on build/"
bindings/run-tests.sh build

step "unit tests under valgrind"
ctest --test-dir build -L unit -LE "install|python|script|timing" -T memcheck --output-on-failure

step "asan workflow"
cmake --workflow --preset asan

step "tsan workflow"
cmake --workflow --preset tsan

step "fuzz workflow (bounded libFuzzer runs)"
cmake --workflow --preset fuzz

step "mpi workflow (several ranks under mpirun)"
cmake --workflow --preset mpi
