#!/usr/bin/env bash
# Against a real SLURM (a one-node slurmctld + slurmd started here by local-cluster.sh): sbatch the
# tiny recipe with Scripts/slurm/bertin.sbatch, `scancel --batch --signal=TERM` it mid-run, let it
# requeue itself and resume, and check that its final checkpoint is bitwise the one of an
# uninterrupted run. Needs root and rows from Scripts/smoke.sh (or ROWS=folder with rows128/, rows512/).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${ROWS:-$PWD/Checkpoints/tiny-smoke/data}
[ -d "$rows/rows128" ] || { echo "no rows in $rows: run Scripts/smoke.sh first or set ROWS" >&2; exit 2; }
swift build -c release --product bertin >/dev/null
eval "$(bash Scripts/slurm/local-cluster.sh start)"
work=$(mktemp -d)
settings=(--set phases.0.rows="$rows/rows128" --set phases.1.rows="$rows/rows512" --set phases.0.steps=300 --set phases.1.steps=20 --set log_every=50)
final=step-00000320.h5

echo "== uninterrupted reference (one process, the recipe's 8 devices)"
BERTIN_THREADS=1 .build/release/bertin train --recipe Recipes/tiny-smoke.yaml --set output="$work/reference" "${settings[@]}" | tail -1

echo "== sbatch, 2 ranks"
job=$(sbatch --parsable --ntasks=2 --output="$work/slurm-%j.out" Scripts/slurm/bertin.sbatch Recipes/tiny-smoke.yaml \
    --set output="$work/run" "${settings[@]}")
until [ "$( (wc -l < "$work/run/metrics.jsonl") 2>/dev/null || echo 0)" -ge 100 ]; do sleep 0.2; done
echo "== scancel --batch --signal=TERM $job (at about step 100)"
scancel --batch --signal=TERM "$job"
until squeue -h -j "$job" -o %T | grep -q PENDING; do sleep 0.5; done
echo "== requeued; releasing its begin time"
scontrol update jobid="$job" starttime=now
while squeue -h -j "$job" 2>/dev/null | grep -q .; do sleep 1; done
log=$work/slurm-$job.out
grep -E "^== |stopping on|resuming from|^done" "$log"
grep -q "requeueing job $job" "$log" && grep -q "resuming from" "$log" || { echo "FAIL: no stop/requeue/resume in $log" >&2; exit 1; }
echo "== final checkpoint vs the uninterrupted run"
.build/release/bertin compare "$work/reference/$final" "$work/run/$final"
echo "ok: stopped by SIGTERM, requeued, resumed, bitwise equal ($work)"
