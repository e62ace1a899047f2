#!/bin/sh
# The main job: install what is missing, build, then show every device with
# clql-probe and check the kernels on the default device against the
# reference. Usage: tools/run.sh [clql-check options, e.g. -d 0:0]
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --parallel
build/bin/clql-probe
build/bin/clql-check "$@"
