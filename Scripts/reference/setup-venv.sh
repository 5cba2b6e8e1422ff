#!/usr/bin/env bash
# Fills the git-ignored virtual environment .venv/ with the pinned reference packages.
# Only fixture regeneration and peer benchmarks use it; the test suite needs no Python.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x "$root/.venv/bin/python" ]; then python3 -m venv "$root/.venv"; fi
if ! "$root/.venv/bin/python" -c "import torch, transformers, safetensors, h5py, tensorboard, tokenizers, kenlm, seqeval, sys; sys.exit(torch.__version__.split(\"+\")[0] != \"2.13.0\" or transformers.__version__ != \"5.23.0\")" 2>/dev/null; then
    "$root/.venv/bin/pip" install --quiet -r "$root/Scripts/reference/requirements.txt"
fi
echo "$root/.venv/bin/python"
