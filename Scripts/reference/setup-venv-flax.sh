#!/usr/bin/env bash
# Fills the git-ignored virtual environment .venv-flax/ with requirements-flax.txt (the Flax/JAX
# fixtures only: make-flax-fixture.py). The test suite needs no Python.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -x "$root/.venv-flax/bin/python" ]; then python3 -m venv "$root/.venv-flax"; fi
if ! "$root/.venv-flax/bin/python" -c "import jax, flax, optax, transformers, sys; sys.exit(flax.__version__ != \"0.7.0\" or transformers.__version__ != \"4.57.6\")" 2>/dev/null; then
    "$root/.venv-flax/bin/pip" install --quiet -r "$root/Scripts/reference/requirements-flax.txt"
fi
echo "$root/.venv-flax/bin/python"
