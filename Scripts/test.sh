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
# Each pass is bounded (BERTIN_SUITE_LIMIT seconds, default 40 min, well under CI's 90): a pass that
# runs past it is killed, and the tests that had started and not finished are named
# (Scripts/test-still-running.awk). Each pass's full log is kept in .build/test-log-<pass>.txt.
limit=${BERTIN_SUITE_LIMIT:-2400}
filter() { grep --line-buffered -v -E '^(◇ Test|✔ Test case)'; }
bounded() {
    local log=.build/test-log-$1.txt
    shift
    timeout --kill-after=30 "$limit" "$@" 2>&1 | tee "$log" | filter
    local pass=${PIPESTATUS[0]}
    if [ "$pass" -eq 124 ] || [ "$pass" -eq 137 ]; then
        echo "== the pass ran past ${limit} s and was killed; tests still running then:"
        awk -f Scripts/test-still-running.awk "$log"
    fi
    return "$pass"
}
bounded all swift test -c release
status=$?
if [ "$(uname -m)" = x86_64 ] && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    for core in Prescott Haswell; do
        echo "== Tensor and Models suites on OpenBLAS core $core (OPENBLAS_CORETYPE=$core)"
        OPENBLAS_CORETYPE=$core bounded "$core" swift test -c release --skip-build --filter 'TensorTests|ModelsTests'
        pass=$?
        [ "$pass" -ne 0 ] && status=$pass
    done
elif [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    echo "== OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE is set in the environment: the suite ran on that core; the Prescott and Haswell passes are skipped"
fi
echo "== suite finished with status $status"
exit "$status"
