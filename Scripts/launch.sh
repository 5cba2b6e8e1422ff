#!/usr/bin/env bash
# Runs `bertin` under mpirun with the settings these machines need.
#   Scripts/launch.sh NP bertin-arguments...        e.g. Scripts/launch.sh 2 train --recipe Recipes/tiny-smoke.yaml
# - As root (containers), Open MPI needs OMPI_ALLOW_RUN_AS_ROOT(+_CONFIRM); set here.
# - More ranks than cores is allowed (oversubscribe), for testing layouts on small machines.
# - Each rank gets cores / ranks-per-node compute threads (bertin reads OMPI_COMM_WORLD_LOCAL_SIZE),
#   and OpenBLAS follows it; BERTIN_THREADS overrides.
# Several nodes: put them in a hostfile ("node1 slots=16" per line) and pass HOSTFILE=path:
#   HOSTFILE=hosts Scripts/launch.sh 32 train --recipe Recipes/bertin-base-gaussian.yaml
# The binary, the recipe and the prepared rows must be at the same paths on every node.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
np=${1:?usage: Scripts/launch.sh NP bertin-arguments...}
shift
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

hosts=()
if [ -n "${HOSTFILE:-}" ]; then hosts=(--hostfile "$HOSTFILE"); fi
exec mpirun "${hosts[@]}" -np "$np" "${BERTIN:-$root/.build/release/bertin}" "$@"
