#!/bin/sh
# Install the Debian packages clql needs to build and test, if any are
# missing. Idempotent and silent when everything is already present.
# Usage: tools/install-deps.sh [extra-package ...]
set -eu

packages="cmake make gcc pkg-config ocl-icd-opencl-dev opencl-headers pocl-opencl-icd
libhwloc-dev libcunit1-dev libjansson-dev libclblast-dev $*"

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "install-deps: missing packages:$missing (run as root or install sudo)" >&2
  exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
