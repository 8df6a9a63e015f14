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
hugepage_globs=()   # one per hugetlbfs mount: <mount>/<prefix>map_*
while read -r _ mount_point fs_type _; do
    [ "$fs_type" = hugetlbfs ] || continue
    hugepage_globs+=("$mount_point/${prefix}map_*")
    for f in "$mount_point/${prefix}map_"*; do
        [ -e "$f" ] && hugepage_files+=("$f")
    done
done </proc/mounts

if [ ${#hugepage_files[@]} -eq 0 ] && [ ! -e "$runtime_dir" ]; then
    echo "cleanup.sh: nothing left by --file-prefix=$prefix"
    exit 0
fi

# Users of the files: a DPDK process maps its runtime folder's config file and
# its hugepage files, and keeps files of both open. The kernel shows their
# paths resolved (/var/run is /run on Debian). The prefix has no glob
# character, so the globs match only its own files.
runtime_real=$(realpath -m "$runtime_dir")
grep_args=(-e "$runtime_real/")
find_args=(-lname "$runtime_real/*")
for g in "${hugepage_globs[@]}"; do
    grep_args+=(-e "${g%\*}")
    find_args+=(-o -lname "$g")
done
holders=$( {
    grep -lsF "${grep_args[@]}" /proc/[0-9]*/maps
    find /proc/[0-9]*/fd -maxdepth 1 -type l \( "${find_args[@]}" \) 2>/dev/null
} | cut -d/ -f3 | sort -un | grep -vx "$$" || true)
# The search's own processes (which inherited this script's open files) have
# ended by now, and so has any holder that exited meanwhile: skip those.
list=""
for pid in $holders; do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
    list+="${list:+, }$pid ($comm)"
done
if [ -n "$list" ]; then
    die "--file-prefix=$prefix is in use by process $list: end it first (nothing removed)"
fi

rm -f -- "${hugepage_files[@]}"
rm -rf -- "$runtime_dir"
echo "cleanup.sh: --file-prefix=$prefix: removed ${#hugepage_files[@]} hugepage files and $runtime_dir"
