#!/usr/bin/env bash
# A real one-node SLURM on this machine for testing the sbatch script: Debian's slurm-wlm with
# munge, slurmctld + slurmd on this host (config in $SLURM_DIR, default /tmp/bertin-slurm).
#   Scripts/slurm/local-cluster.sh start | stop
# Prints `export SLURM_CONF=…` on start. Needs root; installs slurm-wlm and munge when missing.
# `stop` ends only the daemons `start` started (their pids are recorded in $SLURM_DIR/started):
# on a machine that already runs a real SLURM or munge, those are never touched.
set -euo pipefail
dir=${SLURM_DIR:-/tmp/bertin-slurm}
case "${1:?usage: local-cluster.sh start|stop}" in
start)
    command -v slurmctld >/dev/null && command -v munged >/dev/null || \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
    mkdir -p "$dir"/{spool/ctld,spool/d,log} /run/munge /var/log/munge /var/lib/munge /etc/munge
    [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    chmod 400 /etc/munge/munge.key
    : > "$dir/started.new"
    # Record what this script starts, by pid, so that `stop` ends exactly that.
    started() { sleep 1; pgrep -n -x "$1" >> "$dir/started.new" || true; }
    if ! pgrep -x munged >/dev/null; then
        sudo -u munge munged 2>/dev/null || munged --force
        started munged
    fi
    host=$(hostname -s)
    cpus=$(nproc)
    memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
    cat > "$dir/slurm.conf" <<CONF
ClusterName=bertin
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SlurmUser=root
SlurmdUser=root
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmdSpoolDir=$dir/spool/d
StateSaveLocation=$dir/spool/ctld
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobRequeue=1
KillWait=30
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
    export SLURM_CONF=$dir/slurm.conf
    if ! pgrep -x slurmctld >/dev/null; then slurmctld -c; started slurmctld; fi
    if ! pgrep -x slurmd >/dev/null; then slurmd -c; started slurmd; fi
    cat "$dir/started.new" >> "$dir/started" && rm -f "$dir/started.new"
    for _ in $(seq 1 30); do sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|allocated" && break; sleep 1; done
    scontrol update nodename="$host" state=resume 2>/dev/null || true
    echo "export SLURM_CONF=$dir/slurm.conf"
    ;;
stop)
    [ -f "$dir/started" ] || { echo "local-cluster.sh: nothing recorded in $dir/started: no daemon of ours to stop"; exit 0; }
    while read -r pid; do
        [ -n "$pid" ] || continue
        name=$(cat "/proc/$pid/comm" 2>/dev/null || true)
        case $name in
            slurmd|slurmctld|munged) kill "$pid" && echo "stopped $name ($pid)";;
        esac
    done < "$dir/started"
    rm -f "$dir/started"
    ;;
esac
