#!/usr/bin/env bash
# Whether two run folders of the same recipe computed the same thing, for a change that must not
# change behaviour: every dataset of every checkpoint equal (h5diff, exact; the stored recipe and
# HDF5 object times may differ), the exported transformers files byte-identical, and metrics.jsonl
# equal once the fields that measure time or the machine are dropped.
#   bash Scripts/refactor/compare-runs.sh BEFORE_RUN_FOLDER AFTER_RUN_FOLDER
# Needs h5diff (Debian's hdf5-tools) and python3.
set -euo pipefail
before=$1 after=$2
status=0
command -v h5diff >/dev/null || { echo "h5diff missing: apt-get install hdf5-tools"; exit 2; }
for file in "$before"/*.h5; do
    name=$(basename "$file")
    if [ ! -f "$after/$name" ]; then echo "MISSING $after/$name"; status=1; continue; fi
    # -r lists differences; exit 1 when any dataset differs. The recipe text holds paths.
    if h5diff -r --exclude-path /recipe "$file" "$after/$name" > /tmp/compare-runs.h5diff 2>&1; then
        echo "same   $name ($(h5ls -r "$file" | grep -c Dataset) datasets)"
    else
        echo "DIFFER $name:"; head -20 /tmp/compare-runs.h5diff; status=1
    fi
done
for file in "$before"/hf/*; do
    name=$(basename "$file")
    if cmp -s "$file" "$after/hf/$name"; then echo "same   hf/$name"; else echo "DIFFER hf/$name"; status=1; fi
done
python3 - "$before/metrics.jsonl" "$after/metrics.jsonl" <<'PY' || status=1
import json, sys
timing = {"step_seconds", "tokens_per_second", "communication_wait_seconds", "platform", "seconds", "remaining_seconds"}
def lines(path):
    return [{k: v for k, v in json.loads(line).items() if k not in timing} for line in open(path)]
a, b = lines(sys.argv[1]), lines(sys.argv[2])
if a == b:
    print(f"same   metrics.jsonl ({len(a)} records; timing and platform fields dropped)")
else:
    bad = next(i for i in range(max(len(a), len(b))) if i >= len(a) or i >= len(b) or a[i] != b[i])
    print(f"DIFFER metrics.jsonl at record {bad}: {a[bad] if bad < len(a) else None} vs {b[bad] if bad < len(b) else None}")
    sys.exit(1)
PY
exit $status
