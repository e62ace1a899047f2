#!/bin/sh
# Write fresh GGUF files with the gguf Python package (random seed, or
# $CLQL_TEST_SEED) and check clql against them with the fixture test.
# Usage: python_fixtures.sh TEST_PROGRAM. Exit 77 (skipped) when neither
# $CLQL_PYTHON nor python3 can import gguf and numpy.
set -eu
test_program=$1
here=$(cd "$(dirname "$0")" && pwd)
py=${CLQL_PYTHON:-python3}
if ! "$py" -c 'import gguf, numpy' >/dev/null 2>&1; then
  echo "SKIP: no Python with the gguf package (set CLQL_PYTHON; see README)"
  exit 77
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/clql-gguf-XXXXXX")
trap 'rm -rf "$out"' EXIT
if [ -n "${CLQL_TEST_SEED:-}" ]; then
  "$py" "$here/make_fixtures.py" --out "$out" --large --seed "$CLQL_TEST_SEED"
else
  "$py" "$here/make_fixtures.py" --out "$out" --large
fi
CLQL_GGUF_FIXTURES=$out "$test_program"
