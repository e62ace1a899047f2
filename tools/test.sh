#!/bin/sh
# The whole test suite: install what is missing, then configure, build and
# run every test (labels unit, cl, install) through the default workflow.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
cmake --workflow --preset default
