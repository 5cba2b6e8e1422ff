#!/usr/bin/env bash
# Fills a git-ignored virtual environment with pinned reference packages and prints its python.
# Only fixture regeneration and peer benchmarks use it; the test suite needs no Python.
#   setup-venv.sh          .venv/ from requirements.txt (torch, transformers 5, h5py, kenlm, …)
#   setup-venv.sh flax     .venv-flax/ from requirements-flax.txt (BERTIN's own jax/flax/optax stack
#                          with transformers 4.57.6, the last with Flax; it needs numpy 1.x)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${1:-}" = flax ]; then
    venv=$root/.venv-flax requirements=$root/Scripts/reference/requirements-flax.txt
    check='import jax, flax, optax, transformers, sys; sys.exit(flax.__version__ != "0.7.0" or transformers.__version__ != "4.57.6")'
else
    venv=$root/.venv requirements=$root/Scripts/reference/requirements.txt
    check='import torch, transformers, safetensors, h5py, tensorboard, tokenizers, kenlm, seqeval, sys; sys.exit(torch.__version__.split("+")[0] != "2.13.0" or transformers.__version__ != "5.23.0")'
fi
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
if ! "$venv/bin/python" -c "$check" 2>/dev/null; then
    "$venv/bin/pip" install --quiet -r "$requirements"
fi
echo "$venv/bin/python"
