#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs a command of this checkout inside a Debian root of another release, on
# this machine's kernel and hugepages: the way to build, test and demo the suite
# against another release's DPDK (trixie: 24.11 LTS, forky/testing: 25.11 LTS)
# without a second machine.
#
#   scripts/debian-root.sh trixie scripts/test.sh     # every test on Debian 13
#   scripts/debian-root.sh forky  scripts/demo.sh     # the demo on Debian testing
#   scripts/debian-root.sh trixie                     # a shell there
#   scripts/debian-root.sh --rebuild trixie true      # build the root afresh
#
# The root is made with debootstrap (minbase) under $MP_ROOTS (default
# /var/cache/dpdk-mp-cpp/roots/RELEASE), with the packages scripts/setup.sh
# wants already installed, and kept for later runs. It is made again when it is
# missing, unfinished, made for another package list, or older than
# $MP_ROOT_MAX_DAYS days (default 7). The checkout appears at the same path
# inside, so build folders are per release: BUILD_DIR defaults to build-RELEASE.
# Needs root. The command's exit status is this script's.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
roots=${MP_ROOTS:-/var/cache/dpdk-mp-cpp/roots}
max_days=${MP_ROOT_MAX_DAYS:-7}
say() { printf '==> %s\n' "$*"; }
die() { printf 'debian-root: %s\n' "$*" >&2; exit 1; }

rebuild=0
if [ "${1:-}" = --rebuild ]; then rebuild=1; shift; fi
release=${1:-}
[ -n "$release" ] || die "usage: scripts/debian-root.sh [--rebuild] RELEASE [COMMAND ...]  (RELEASE: bookworm, trixie, forky, testing, ...)"
shift
[[ $release =~ ^[a-z]+$ ]] || die "'$release' is not a Debian release name"
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts)"

# What setup.sh installs, read from it so that the two lists cannot drift.
packages=$(sed -n '/^packages=(/,/)/p' "$top/scripts/setup.sh" | tr -d '()' | sed 's/packages=//' | xargs)
[ -n "$packages" ] || die "cannot read the package list from scripts/setup.sh"
# Packages that a debootstrapped minbase lacks and a Debian machine has.
packages="$packages ca-certificates kmod"
stamp_wanted="$release: $packages"

root="$roots/$release"
stamp="$root/.dpdk-mp-cpp-root"

mirror() {
    local uri
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '/^deb / && $2 ~ /^http/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Mounts of a root, undone on exit. /dev is bound recursively so that the
# host's hugetlbfs (/dev/hugepages) is the root's too.
mounted=()
unmount_all() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
    mounted=()
}
trap unmount_all EXIT
mount_into() {
    local dir=$1
    mkdir -p "$dir/proc" "$dir/sys" "$dir/dev" "$dir$top"
    mount -t proc proc "$dir/proc" && mounted+=("$dir/proc")
    mount --rbind /sys "$dir/sys" && mount --make-rslave "$dir/sys" && mounted+=("$dir/sys")
    mount --rbind /dev "$dir/dev" && mount --make-rslave "$dir/dev" && mounted+=("$dir/dev")
    mount --bind "$top" "$dir$top" && mounted+=("$dir$top")
    cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}

is_stale() {
    [ "$rebuild" = 1 ] && return 0
    [ -f "$stamp" ] || return 0
    [ "$(head -n1 "$stamp")" = "$stamp_wanted" ] || return 0
    [ -z "$(find "$stamp" -mtime +"$max_days")" ] || return 0
    return 1
}

build_root() {
    command -v debootstrap >/dev/null || {
        say "installing debootstrap"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    }
    local new="$root.new" url
    url=$(mirror)
    # Never rm -rf through a bound /dev: unmount first, then delete.
    for dir in "$root" "$new"; do
        grep -qs " $dir/" /proc/mounts && awk -v d="$dir/" '$2 ~ "^"d {print $2}' /proc/mounts |
            sort -r | xargs -r -n1 umount -l
    done
    rm -rf "$new"
    mkdir -p "$roots"
    say "making a Debian $release root in $root (debootstrap from $url, about 2 minutes)"
    # A release newer than this debootstrap (forky on Debian 12) uses the
    # script for unstable, which fits every release after it.
    local script=()
    [ -e "/usr/share/debootstrap/scripts/$release" ] || script=(/usr/share/debootstrap/scripts/sid)
    debootstrap --variant=minbase "$release" "$new" "$url" "${script[@]}" >"$roots/$release.debootstrap.log" 2>&1 ||
        { tail -n 20 "$roots/$release.debootstrap.log" >&2; die "debootstrap $release failed (log: $roots/$release.debootstrap.log)"; }
    say "installing the suite's packages in the $release root (about 3 minutes)"
    mount_into "$new"
    # The package mirror may serve a testing suite whose Release file has
    # passed its Valid-Until date (a frozen snapshot); the packages are signed
    # all the same.
    echo 'Acquire::Check-Valid-Until "false";' >"$new/etc/apt/apt.conf.d/99mp-valid-until"
    chroot "$new" env DEBIAN_FRONTEND=noninteractive bash -c \
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages" \
        >"$roots/$release.install.log" 2>&1 ||
        { tail -n 20 "$roots/$release.install.log" >&2; die "installing packages in the $release root failed (log: $roots/$release.install.log)"; }
    unmount_all
    { echo "$stamp_wanted"; chroot "$new" pkg-config --modversion libdpdk; } >"$new/.dpdk-mp-cpp-root"
    rm -rf "$root"
    mv "$new" "$root"
}

# One user of a root at a time: the mounts and the build folder are shared.
mkdir -p "$roots"
exec 9>"$roots/.$release.lock"
flock 9

if is_stale; then build_root; fi
say "Debian $release root: DPDK $(sed -n 2p "$stamp"), $(chroot "$root" g++ --version | head -n1)"

mount_into "$root"
[ $# -gt 0 ] || set -- bash -l
status=0
# The root has no git: the checkout's commit goes in by name (run reports).
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || true)
chroot "$root" env -i HOME=/root TERM="${TERM:-dumb}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 CI="${CI:-}" BUILD_DIR="${BUILD_DIR:-$top/build-$release}" \
    MESON_ARGS="${MESON_ARGS:-}" MP_SANITIZE="${MP_SANITIZE:-1}" MP_GIT_COMMIT="$commit" \
    bash -c 'cd "$1" && shift && exec "$@"' bash "$top" "$@" || status=$?
exit "$status"
