#!/usr/bin/env bash
# Builds KenLM's lmplz and build_binary from the kenlm==0.3.0 sdist (the version pinned for the
# Python module) into the git-ignored .venv/kenlm-tools, installing cmake and Debian's Boost if
# missing, and prints the folder holding the two programs. Only fixture regeneration and the
# corpus benchmark use them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/Scripts/reference/setup-venv.sh" >/dev/null
work="$root/.venv/kenlm-tools"
bin="$work/kenlm-0.3.0/build/bin"
if [ ! -x "$bin/lmplz" ] || [ ! -x "$bin/build_binary" ]; then
    missing=()
    command -v cmake >/dev/null || missing+=(cmake)
    for lib in program-options system thread test; do
        dpkg -s "libboost-$lib-dev" >/dev/null 2>&1 || missing+=("libboost-$lib-dev")
    done
    dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
    fi
    mkdir -p "$work"
    # --no-build-isolation: only the source archive is wanted, not a wheel (nor cmake built from source).
    "$root/.venv/bin/pip" download --quiet --no-deps --no-binary kenlm --no-build-isolation kenlm==0.3.0 -d "$work" >&2
    tar -xzf "$work/kenlm-0.3.0.tar.gz" -C "$work"
    mkdir -p "$work/kenlm-0.3.0/build"
    (cd "$work/kenlm-0.3.0/build" && cmake .. -DCMAKE_BUILD_TYPE=Release >/dev/null && make -j"$(nproc)" lmplz build_binary >/dev/null)
fi
echo "$bin"
