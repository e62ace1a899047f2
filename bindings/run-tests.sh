#!/bin/sh
# The bindings' tests against a built clql: `cargo test --offline` in
# bindings/rust (clql-sys and clql, the workspace_size example built and run)
# and pytest in bindings/python, on PoCL's CPU device in the environment the
# C tests run in (CLQL_TEST_ENV of tests/CMakeLists.txt): the ICD pinned to
# the build tree's vendors directory, PoCL's cache in the build tree, and
# no CLQL_* variable of the caller's shell.
# Usage: bindings/run-tests.sh [BUILD_DIR]   (default build/, from
#        `cmake --workflow --preset default`)
# Needs: cargo and rustc (Debian's 1.63 is enough), python3 with pytest and
# numpy, python3-venv, setuptools and wheel (the offline install test), a C
# compiler.
set -eu
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
if [ ! -f "$build/lib/libclql.so" ] || [ ! -x "$build/bin/clql-probe" ]; then
  echo "bindings/run-tests.sh: no libclql.so and clql-probe in $build; build clql first" >&2
  exit 1
fi

export CLQL_BUILD_DIR="$build"
export OCL_ICD_VENDORS="$build/ocl-vendors"
OCL_ICD_FILENAMES=$(cat "$build/ocl-vendors/pocl.icd" 2>/dev/null || true)
export OCL_ICD_FILENAMES
export POCL_DEVICES=pthread
export POCL_CACHE_DIR="$build/pocl-cache"
for v in $(env | sed -n 's/^\(CLQL_[A-Z0-9_]*\)=.*/\1/p'); do
  [ "$v" = CLQL_BUILD_DIR ] || [ "$v" = CLQL_TEST_SEED ] || unset "$v"
done
unset OPENCL_LAYERS

# Debian's toolchain where it is installed (what CI builds with), ahead of
# any other on PATH: its cargo must run its own rustc and rustdoc.
if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
  PATH="/usr/bin:$PATH"
fi
# CI treats warnings as errors, Rust's and Python's too.
pytest_warnings=""
if [ -n "${CI:-}" ]; then
  RUSTFLAGS="${RUSTFLAGS:-} -D warnings"
  export RUSTFLAGS
  pytest_warnings="-W error"
fi

echo "--- cargo test (bindings/rust, $(cargo --version), $(rustc --version))"
(cd bindings/rust && cargo test --offline)

# Host memory: the OpenCL-free tests (configurations, plans, errors) under
# valgrind, whose leak check sees what a dropped handle left behind (the
# OpenCL objects are counted by the leaks tests themselves).
if command -v valgrind >/dev/null 2>&1; then
  echo "--- cargo test under valgrind (the OpenCL-free tests of bindings/rust)"
  triple=$(rustc -vV | sed -n 's/^host: //p' | tr 'a-z-' 'A-Z_')
  (cd bindings/rust &&
    env "CARGO_TARGET_${triple}_RUNNER=valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=3" \
      cargo test --offline -p clql --test errors --test plans -- \
      --test-threads=1 --skip device_errors --skip every_shared_record)
elif [ -n "${CI:-}" ]; then
  echo "bindings/run-tests.sh: valgrind is missing (tools/test.sh installs it)" >&2
  exit 1
else
  echo "note: no valgrind; the host-memory leak check of the Rust bindings is skipped"
fi

# The first Python with pytest and numpy: Debian's where installed, else
# python3 on PATH.
python=""
for p in ${PYTHON:-} /usr/bin/python3 python3; do
  if "$p" -c "import pytest, numpy" 2>/dev/null; then python=$p; break; fi
done
if [ -z "$python" ]; then
  echo "bindings/run-tests.sh: no python3 with pytest and numpy (apt-get install python3-pytest python3-numpy)" >&2
  exit 1
fi
echo "--- pytest (bindings/python, $("$python" --version))"
# shellcheck disable=SC2086
"$python" -m pytest -p no:cacheprovider $pytest_warnings bindings/python
