#!/usr/bin/env bash
# Runs `bertin` under mpirun with the settings these machines need.
#   Scripts/launch.sh NP bertin-arguments...        e.g. Scripts/launch.sh 2 train --recipe Recipes/tiny-smoke.yaml
# - As root (containers), Open MPI needs OMPI_ALLOW_RUN_AS_ROOT(+_CONFIRM); set here.
# - More ranks than cores is allowed (oversubscribe), for testing layouts on small machines.
# - Each rank gets cores / ranks-per-node compute threads (bertin reads OMPI_COMM_WORLD_LOCAL_SIZE),
#   and OpenBLAS follows it; BERTIN_THREADS overrides.
# - Graceful stop: SIGTERM, SIGINT or SIGUSR1 to this script becomes SIGUSR1 to mpirun, which
#   forwards SIGUSR1 to every rank (it answers SIGTERM by killing the ranks within a second, so
#   SIGTERM is not passed on as it is). The ranks finish their step, rank 0 writes a checkpoint of
#   it, and the job exits with 75; `--resume` continues bitwise. A second signal is passed on as
#   SIGTERM (mpirun then ends the job at once).
# Several nodes: put them in a hostfile ("node1 slots=16" per line) and pass HOSTFILE=path:
#   HOSTFILE=hosts Scripts/launch.sh 32 train --recipe Recipes/bertin-base-gaussian.yaml
# The binary, the recipe and the prepared rows must be at the same paths on every node.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
np=${1:?usage: Scripts/launch.sh NP bertin-arguments...}
shift
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

hosts=()
if [ -n "${HOSTFILE:-}" ]; then hosts=(--hostfile "$HOSTFILE"); fi
mpirun "${hosts[@]}" -np "$np" "${BERTIN:-$root/.build/release/bertin}" "$@" &
job=$!
signals=0
forward() {
    signals=$((signals + 1))
    if [ "$signals" -eq 1 ]; then kill -USR1 "$job" 2>/dev/null; else kill -TERM "$job" 2>/dev/null; fi
}
trap forward TERM INT USR1
# `wait` returns early (status > 128) when a trapped signal arrives: wait again until mpirun is gone.
while true; do
    wait "$job"
    status=$?
    kill -0 "$job" 2>/dev/null || exit "$status"
done
