#!/usr/bin/env bash
# Regenerates every committed reference fixture from the pinned Python packages.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=$("$root/Scripts/reference/setup-venv.sh")
"$python" "$root/Scripts/reference/make-tensor-fixtures.py"
"$python" "$root/Scripts/reference/make-mlp-fixture.py"
"$python" "$root/Scripts/reference/make-roberta-fixture.py" >/dev/null
"$python" "$root/Scripts/reference/make-adamw-fixture.py"
"$python" "$root/Scripts/reference/make-checkpoint-fixture.py"
"$python" "$root/Scripts/reference/make-gptj-fixture.py" >/dev/null
"$python" "$root/Scripts/reference/make-mtj-fixture.py" >/dev/null   # from tiny-gptj, just written
"$python" "$root/Scripts/reference/make-gpt2-tokenizer-fixture.py"
"$python" "$root/Scripts/reference/make-classification-fixture.py" >/dev/null
"$python" "$root/Scripts/reference/make-downstream-fixture.py" 2>/dev/null
"$python" "$root/Scripts/reference/make-ngram-fixture.py"
"$python" "$root/Scripts/reference/make-tokenizer-fixture.py"
"$python" "$root/Scripts/reference/make-training-fixture.py"
"$python" "$root/Scripts/reference/make-tensorboard-fixture.py"
"$root/Scripts/reference/make-kenlm-fixture.sh" >/dev/null
# BERTIN's own Flax stack, in its own venv (transformers 4.57.6 is the last with Flax; numpy 1.x).
"$("$root/Scripts/reference/setup-venv.sh" flax)" "$root/Scripts/reference/make-flax-fixture.py" 2>/dev/null
