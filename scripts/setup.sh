#!/usr/bin/env bash
# Installs the Debian packages the build needs (only those missing), then configures and builds.
# Usage: scripts/setup.sh [build-dir]   (default: build). Run as root on Debian 12.
# The build is portable (x86-64-v2, kernels picked at run time) unless MTF_NATIVE=ON is in the environment:
# `MTF_NATIVE=ON bash scripts/example.sh` builds for this CPU only (-march=native), the build in which the
# README's results before 2026-12-02 were measured (the same numbers within float rounding, other bits).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"

# gnuplot-nox: the PNG of `mtf loop` (its true value per day); the library never needs it.
packages=(cmake make g++ libeigen3-dev catch2 nlohmann-json3-dev libbenchmark-dev libcli11-dev gnuplot-nox)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[setup] installing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then echo "[setup] need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMTF_NATIVE="${MTF_NATIVE:-OFF}" >/dev/null
cmake --build "$build" -j "$(nproc)"
