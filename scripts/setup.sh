#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Prepares this machine and builds the suite; safe to run again and again.
#   - installs the Debian packages the suite and its manual need (Debian 12 or 13) (as root, when missing)
#   - reserves 2 MiB hugepages (at least $MP_HUGEPAGES, default 1024) and mounts hugetlbfs
#   - configures and builds with Meson/Ninja into $BUILD_DIR (default: build/)
# Usage: scripts/setup.sh   (sourced by scripts/demo.sh and scripts/test.sh)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$top/build}
MP_HUGEPAGES=${MP_HUGEPAGES:-1024}
packages=(dpdk libdpdk-dev dpdk-dev dpdk-doc meson ninja-build libnuma-dev libgtest-dev
          pkg-config libpcap-dev g++ python3 procps iproute2 util-linux)
# The manual's tools (Sphinx, and Graphviz for its figures): the build makes the
# man pages and tests the manual with them. Kept apart from the list above,
# which is also scripts/debian-root.sh's recipe (and stamp) for its cached
# roots: a root gets these when this script runs in it, without being made again.
doc_packages=(python3-sphinx graphviz)

say() { printf '==> %s\n' "$*"; }

# Runs a step with its output in a log; if it fails, shows the end of the log
# and the step's name, so that no failure is silent.
step() {
    local what=$1 log status=0
    shift
    log=$(mktemp "${TMPDIR:-/tmp}/mp-setup.XXXXXX")
    "$@" >"$log" 2>&1 || status=$?
    if [ "$status" -eq 0 ]; then rm -f "$log"; return 0; fi
    tail -n 40 "$log" >&2
    echo "setup: $what failed (exit $status; whole output in $log)" >&2
    exit "$status"
}

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: $1 needs root: run this script as root (sudo)" >&2
        exit 1
    fi
}

missing=()
for p in "${packages[@]}" "${doc_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    need_root "installing ${missing[*]}"
    say "installing ${missing[*]}"
    step "apt-get update" apt-get update -qq
    step "installing ${missing[*]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

pages=$(cat /proc/sys/vm/nr_hugepages)
if [ "$pages" -lt "$MP_HUGEPAGES" ]; then
    need_root "reserving hugepages"
    say "reserving $MP_HUGEPAGES hugepages of 2 MiB (had $pages)"
    echo "$MP_HUGEPAGES" > /proc/sys/vm/nr_hugepages
    pages=$(cat /proc/sys/vm/nr_hugepages)
    if [ "$pages" -lt "$MP_HUGEPAGES" ]; then
        echo "setup: the kernel gave only $pages of $MP_HUGEPAGES hugepages (memory too fragmented?)" >&2
        exit 1
    fi
fi
if ! grep -qs ' hugetlbfs ' /proc/mounts; then
    need_root "mounting hugetlbfs"
    say "mounting hugetlbfs on /dev/hugepages"
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    say "configuring $BUILD_DIR"
    step "meson setup $BUILD_DIR" meson setup "$BUILD_DIR" "$top" ${MESON_ARGS:-}
fi
say "building in $BUILD_DIR"
step "building in $BUILD_DIR (ninja)" ninja -C "$BUILD_DIR"
