#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Removes what the DPDK processes of one --file-prefix left behind when they
# were killed (kill -9, a crash): their hugepage files (PREFIXmap_* in every
# hugetlbfs mount) and their runtime folder (/var/run/dpdk/PREFIX for root,
# $XDG_RUNTIME_DIR/dpdk/PREFIX or /tmp/dpdk/PREFIX for other users, as EAL
# chooses). Refuses, removing nothing, while any process still maps or holds
# open one of them: those files are a live run's memory.
#   scripts/cleanup.sh PREFIX     (PREFIX: the --file-prefix; rte when none was given)
set -euo pipefail

usage="usage: scripts/cleanup.sh PREFIX  (the --file-prefix of the processes; rte if none was given)"
die() { printf 'cleanup.sh: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "expected one file prefix, got $# arguments; $usage"
prefix=$1
# Used inside paths and globs: a slash, a glob character or '..' could reach
# other files.
[[ $prefix =~ ^[A-Za-z0-9_.-]+$ && $prefix != . && $prefix != .. ]] ||
    die "'$prefix' is not a file prefix (letters, digits, '_', '-' and '.'); $usage"

if [ "$(id -u)" -eq 0 ]; then
    runtime_dir=/var/run/dpdk/$prefix
else
    runtime_dir=${XDG_RUNTIME_DIR:-/tmp}/dpdk/$prefix
fi

hugepage_files=()
while read -r _ mount_point fs_type _; do
    [ "$fs_type" = hugetlbfs ] || continue
    for f in "$mount_point/${prefix}map_"*; do
        [ -e "$f" ] && hugepage_files+=("$f")
    done
done </proc/mounts

if [ ${#hugepage_files[@]} -eq 0 ] && [ ! -e "$runtime_dir" ]; then
    echo "cleanup.sh: nothing left by --file-prefix=$prefix"
    exit 0
fi

# Users of the files: a DPDK process maps its runtime folder's config file and
# its hugepage files, and keeps files of both open.
patterns=("$runtime_dir/")
for f in "${hugepage_files[@]}"; do patterns+=("$f"); done
holders=()
for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [ "$pid" = $$ ] && continue
    held=0
    if grep -qsF "${patterns[@]/#/-e}" "$proc/maps"; then
        held=1
    else
        for fd in "$proc"/fd/*; do
            target=$(readlink "$fd" 2>/dev/null) || continue
            for p in "${patterns[@]}"; do
                case $target in "$p"*) held=1; break 2 ;; esac
            done
        done
    fi
    [ "$held" = 1 ] && holders+=("$pid ($(cat "$proc/comm" 2>/dev/null || echo '?'))")
done
if [ ${#holders[@]} -gt 0 ]; then
    die "--file-prefix=$prefix is in use by process ${holders[*]}: end it first (nothing removed)"
fi

rm -f -- "${hugepage_files[@]}"
rm -rf -- "$runtime_dir"
echo "cleanup.sh: --file-prefix=$prefix: removed ${#hugepage_files[@]} hugepage files and $runtime_dir"
