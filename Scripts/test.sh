#!/usr/bin/env bash
# The whole test suite: installs missing Debian packages, builds optimised (the kernels are far
# too slow unoptimised; testable imports stay on) and runs every test. Reads committed fixtures
# only; needs no Python. Multi-process tests run `bertin train` under mpirun. Per-case progress lines are dropped; failures and the summary remain.
# Then the Tensor and Models suites run again on two more OpenBLAS cores, so that no test leans on
# one kernel's blocking: the generic x86-64 core (Prescott, SSE3) and the AVX2 one (Haswell).
# Where OPENBLAS_CORETYPE is set in the environment, the whole suite ran on that core and the
# extra passes are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup-debian.sh
# The multi-process tests launch the bertin binary under mpirun: build it first.
swift build -c release --product bertin
set +e
filter() { grep --line-buffered -v -E '^(◇ Test|✔ Test case)'; }
swift test -c release 2>&1 | filter
status=${PIPESTATUS[0]}
if [ "$(uname -m)" = x86_64 ] && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    for core in Prescott Haswell; do
        echo "== Tensor and Models suites on OpenBLAS core $core (OPENBLAS_CORETYPE=$core)"
        OPENBLAS_CORETYPE=$core swift test -c release --skip-build --filter 'TensorTests|ModelsTests' 2>&1 | filter
        pass=${PIPESTATUS[0]}
        [ "$pass" -ne 0 ] && status=$pass
    done
elif [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    echo "== OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE is set in the environment: the suite ran on that core; the Prescott and Haswell passes are skipped"
fi
exit "$status"
