#!/usr/bin/env bash
# The start-up fault of issue 14: kill -9 one rank 50-110 ms after Scripts/launch.sh starts a
# 2-rank job (while Open MPI is still starting it), and check that the launcher exits within 40 s.
# Without the watchdog about 1 kill in 10 left the other rank in MPI start-up and mpirun waiting
# forever. Needs rows from Scripts/smoke.sh (or ROWS=folder with rows128/ and rows512/).
#   RUNS=60 BERTIN_TIMEOUT=15 bash Scripts/reliability/early-kill-loop.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-60}
export BERTIN_TIMEOUT=${BERTIN_TIMEOUT:-15}
rows=${ROWS:-Checkpoints/tiny-smoke/data}
[ -d "$rows/rows128" ] || { echo "no rows in $rows: run Scripts/smoke.sh first or set ROWS" >&2; exit 2; }
out=$(mktemp -d)
ended=0 worst=0
for run in $(seq 1 "$runs"); do
    start=$(date +%s.%N)
    # A short job (about 3 s when nothing is killed), in its own session so its ranks can be told apart.
    setsid bash Scripts/launch.sh 2 train --recipe Recipes/tiny-smoke.yaml --set output="$out/run$run" \
        --set phases.0.rows="$rows/rows128" --set phases.1.rows="$rows/rows512" \
        --set phases.0.steps=40 --set phases.1.steps=4 --set log_every=1000 >"$out/log$run" 2>&1 &
    launcher=$!
    sleep "0.$(( (RANDOM % 61) + 50 ))"
    victims=()
    for _ in $(seq 1 40); do  # the ranks may not exist yet: kill the first to appear
        victims=($(pgrep -s "$launcher" -x bertin))
        [ ${#victims[@]} -gt 0 ] && break
        sleep 0.005
    done
    if [ ${#victims[@]} -gt 0 ]; then kill -9 "${victims[$((RANDOM % ${#victims[@]}))]}" 2>/dev/null; fi
    while kill -0 "$launcher" 2>/dev/null; do
        if (( $(echo "$(date +%s.%N) - $start > 40" | bc) )); then break; fi
        sleep 0.2
    done
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    if kill -0 "$launcher" 2>/dev/null; then
        echo "run $run: HUNG (launcher still running after 40 s; victims were ${victims[*]:-none}); log: $out/log$run"
        pkill -9 -s "$launcher" 2>/dev/null
    else
        ended=$((ended + 1))
        worst=$(echo "if ($seconds > $worst) $seconds else $worst" | bc)
        printf 'run %d: ended in %.1f s\n' "$run" "$seconds"
    fi
    pkill -9 -s "$launcher" 2>/dev/null; sleep 0.3
done
echo "$ended of $runs jobs ended within 40 s (slowest $(printf '%.1f' "$worst") s) with BERTIN_TIMEOUT=$BERTIN_TIMEOUT"
[ "$ended" -eq "$runs" ]
