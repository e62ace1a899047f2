#!/bin/sh
# The test suite, as CI runs it: install what is missing, then
#   1. the default workflow: configure, build, every test (labels unit, cl, install);
#   2. the OpenCL-free unit tests again under valgrind;
#   3. the asan workflow (AddressSanitizer + UBSan + LeakSanitizer, every test);
#   4. the tsan workflow (ThreadSanitizer, the threads label).
# Usage: tools/test.sh [--quick]   (--quick: step 1 only)
set -eu
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: tools/test.sh [--quick]" >&2; exit 2 ;;
esac
tools/install-deps.sh valgrind
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"

step() { printf '\n=== %s\n' "$*"; }

step "default workflow"
cmake --workflow --preset default
[ "$quick" -eq 1 ] && exit 0

step "unit tests under valgrind"
ctest --test-dir build -L unit -LE install -T memcheck --output-on-failure

step "asan workflow"
cmake --workflow --preset asan

step "tsan workflow"
cmake --workflow --preset tsan
