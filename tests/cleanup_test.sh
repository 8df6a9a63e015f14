#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Test 'cleanup': scripts/cleanup.sh against what a real DPDK process leaves
# behind. A simple_mp primary runs under a prefix of its own; cleanup.sh must
# refuse while it lives and remove nothing, then, after kill -9, remove its
# hugepage files and runtime folder and nothing of another prefix.
# Needs MP_BUILD_ROOT (set by meson) and hugepages; run as root.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cleanup=$top/scripts/cleanup.sh
program=${MP_BUILD_ROOT:?MP_BUILD_ROOT is not set}/simple_mp/simple_mp
prefix=mpt_cleanup_$$
runtime_dir=/var/run/dpdk/$prefix
huge_dir=$(awk '$3 == "hugetlbfs" {print $2; exit}' /proc/mounts)
work=$(mktemp -d)
decoy=$huge_dir/${prefix}xmap_0   # another prefix's file, which must stay
failures=0
pid=

check() { # check DESCRIPTION COMMAND...: one line per assertion
    if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi
}
left_behind() { compgen -G "$huge_dir/${prefix}map_*" >/dev/null || [ -e "$runtime_dir" ]; }
nothing_left() { ! left_behind; }
finish() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    exec 4<&-
    rm -rf "$work" "$runtime_dir" "$decoy"
    rm -f "$huge_dir/${prefix}map_"*
}
trap finish EXIT
[ -n "$huge_dir" ] || { echo "FAIL no hugetlbfs mounted"; exit 1; }

# Bad input: one line and a non-zero exit, nothing touched.
check "no argument refused" bash -c '! "$0" 2>/dev/null' "$cleanup"
check "two arguments refused" bash -c '! "$0" a b 2>/dev/null' "$cleanup"
check "a prefix with a slash refused" bash -c '! "$0" ../etc 2>/dev/null' "$cleanup"
check "a prefix with a glob refused" bash -c '! "$0" "rte*" 2>/dev/null' "$cleanup"

# A primary that waits at its prompt: its input is a pipe this script holds open.
mkfifo "$work/input"
"$program" --no-pci --file-prefix="$prefix" --lcores=0@0,1@1 --proc-type=primary \
    <"$work/input" >"$work/out" 2>&1 &
pid=$!
exec 3>"$work/input"
for _ in $(seq 300); do   # 30 s: a busy machine starts DPDK slowly
    grep -q "Finished Process Init" "$work/out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q "Finished Process Init" "$work/out"; then
    echo "FAIL simple_mp did not start:"; cat "$work/out"; exit 1
fi
# A starting DPDK primary (of any prefix) removes every hugepage file nobody
# holds a lock on: hold one on the decoy, as its owner would.
touch "$decoy"
exec 4<"$decoy"
flock -s 4
check "the primary made hugepage files and a runtime folder" left_behind

check "refused while the primary runs" bash -c '! "$0" "$1" >"$2" 2>&1' "$cleanup" "$prefix" "$work/refusal"
check "the refusal names the process ($(cat "$work/refusal"))" grep -q "in use by process $pid " "$work/refusal"
check "nothing removed while the primary runs" left_behind

kill -9 "$pid"
{ wait "$pid"; } 2>/dev/null
pid=
# The runtime folder at least: another test's primary may remove the
# hugepage files first.
check "kill -9 left files behind" left_behind
# A holder of the runtime folder alone (its config file open, through the
# /var/run symlink) counts as well.
exec 5<"$runtime_dir/config"
check "refused while a process holds the runtime folder's config open" \
    bash -c '! "$0" "$1" >/dev/null 2>&1' "$cleanup" "$prefix"
exec 5<&-
check "cleanup after kill -9 succeeds" "$cleanup" "$prefix"
check "no hugepage file and no runtime folder left" nothing_left
check "another prefix's hugepage file kept" test -e "$decoy"
check "a second run finds nothing and succeeds" "$cleanup" "$prefix"

echo "$failures failed"
[ "$failures" -eq 0 ]
