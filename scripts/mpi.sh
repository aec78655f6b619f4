#!/usr/bin/env bash
# The MPI build and its tests (issue 15): installs Debian's Open MPI if missing (and the build's packages
# through scripts/setup.sh's list), configures a second build tree (build-mpi/, -DMTF_MPI=ON), builds
# only what the mpi tests run (mtf, mpi_engine_tests, mpi_data_tests), and runs `ctest -L mpi`: the
# process group under mpirun -np 1, 2, 3; the training window read in parts by 2 and 3 processes equal to
# the whole read; BCQ, TD3 and CQL+SAC checkpoints at 2 and 3 processes byte-identical to one process
# with the same total shard count, a control that differs, a resume from 3 processes on 2; the estimator's
# value at 2 and 3 processes; sharded data (each process reading its part of the log): BCQ checkpoints
# at 2 and 3 processes equal to one process's; distributed evaluation (truth rollouts, A/B arms, FQE
# ensemble members over processes, mpi_eval_tests and `mtf evaluate --truth` / `mtf ab-test` at 2 and 3
# processes equal to one); the refusals. About two minutes on 2 shared cores once built.
# Usage: scripts/mpi.sh [build-dir]   (run as root on Debian 12; mpirun runs as root here because the
# tests set OMPI_ALLOW_RUN_AS_ROOT; -np 3 on 2 cores uses --oversubscribe)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build-mpi}"

packages=(cmake make g++ libeigen3-dev catch2 nlohmann-json3-dev libbenchmark-dev libcli11-dev libopenmpi-dev openmpi-bin python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[mpi] installing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then echo "[mpi] need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMTF_MPI=ON -DMTF_NATIVE="${MTF_NATIVE:-OFF}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target mtf mpi_engine_tests mpi_data_tests mpi_eval_tests
cd "$build"
ctest -L mpi --output-on-failure
