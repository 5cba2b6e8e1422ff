#!/usr/bin/env bash
# The main job. Until the trainer lands (issue: data-parallel trainer) it builds `bertin`,
# shows its help and the native libraries it runs on; it will become the tiny smoke
# pre-training run on the bundled sample corpus under mpirun.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup-debian.sh
swift build -c release --product bertin
.build/release/bertin --help
.build/release/bertin info
