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
# - A node that dies or whose link goes down: mpirun notices a lost daemon through TCP keepalive,
#   set here to well under the ranks' watchdog (BERTIN_TIMEOUT, default 1800 s): 10 + 3 × 5 s by
#   default, 0.6 × BERTIN_TIMEOUT when that is shorter. (Open MPI's default, 300 + 9 × 20 s, and a
#   rank timing out first while mpirun still writes to the lost daemon, left mpirun waiting for
#   minutes.) BERTIN_* variables are passed to every node's ranks.
# Several nodes: put them in a hostfile ("node1 slots=16" per line) and pass HOSTFILE=path;
# MPIRUN_OPTIONS adds mpirun options (e.g. "--mca btl_tcp_if_include 10.0.0.0/24"):
#   HOSTFILE=hosts Scripts/launch.sh 32 train --recipe Recipes/bertin-base-gaussian.yaml
# The binary, the recipe and the prepared rows must be at the same paths on every node.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
np=${1:?usage: Scripts/launch.sh NP bertin-arguments...}
shift
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

keepalive=(10 5 3)
if [ -n "${BERTIN_TIMEOUT:-}" ] && [ "${BERTIN_TIMEOUT%.*}" -lt 42 ]; then
    t=${BERTIN_TIMEOUT%.*}
    keepalive=($(( t * 2 / 5 > 0 ? t * 2 / 5 : 1 )) $(( t / 10 > 0 ? t / 10 : 1 )) 2)
fi
export OMPI_MCA_oob_tcp_keepalive_time=${OMPI_MCA_oob_tcp_keepalive_time:-${keepalive[0]}}
export OMPI_MCA_oob_tcp_keepalive_intvl=${OMPI_MCA_oob_tcp_keepalive_intvl:-${keepalive[1]}}
export OMPI_MCA_oob_tcp_keepalive_probes=${OMPI_MCA_oob_tcp_keepalive_probes:-${keepalive[2]}}

options=()
if [ -n "${HOSTFILE:-}" ]; then options=(--hostfile "$HOSTFILE"); fi
for name in $(compgen -e | grep '^BERTIN_'); do options+=(-x "$name"); done
# shellcheck disable=SC2206 # MPIRUN_OPTIONS is a list of words
options+=(${MPIRUN_OPTIONS:-})
mpirun "${options[@]}" -np "$np" "${BERTIN:-$root/.build/release/bertin}" "$@" &
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
