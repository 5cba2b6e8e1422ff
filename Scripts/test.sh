#!/usr/bin/env bash
# The whole test suite: installs missing Debian packages, builds optimised (the kernels are far
# too slow unoptimised; testable imports stay on) and runs every test. Reads committed fixtures
# only; needs no Python. Multi-process tests run `bertin train` under mpirun. Per-case progress lines are dropped; failures and the summary remain.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup-debian.sh
# The multi-process tests launch the bertin binary under mpirun: build it first.
swift build -c release --product bertin
set +e
swift test -c release 2>&1 | grep --line-buffered -v -E '^(◇ Test|✔ Test case)'
status=${PIPESTATUS[0]}
exit "$status"
