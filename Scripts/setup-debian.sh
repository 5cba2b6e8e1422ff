#!/usr/bin/env bash
# Installs the Debian packages swift-bertin links against, only those that are missing.
# Idempotent: a machine that has them all runs no apt command at all.
set -euo pipefail
# iproute2 and util-linux: the tests make network-namespace "hosts" (ip netns, unshare) and mount a tmpfs.
# hdf5-tools: the tests read our HDF5 files with HDF5's own h5dump and h5ls, not only our reader.
packages=(libopenblas-dev libopenmpi-dev openmpi-bin libhdf5-dev zlib1g-dev pkg-config iproute2 util-linux hdf5-tools)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: Swift 6 is required (swift not on PATH)" >&2; exit 1; }
