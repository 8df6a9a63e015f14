#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what is missing, builds, and runs every test (unit and multi-process).
# Extra arguments go to 'meson test' (e.g. a test name, or --suite unit).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$top/scripts/setup.sh"
say "running the tests"
status=0
meson test -C "$BUILD_DIR" --print-errorlogs "$@" || status=$?
# Tests remove their own hugepage files and runtime folders; say if any did not.
left=$(ls /var/run/dpdk 2>/dev/null | grep '^mpt_' || true)
if [ -n "$left" ]; then
    echo "test.sh: tests left DPDK runtime folders behind: $left" >&2
    status=1
fi
if [ "$status" -eq 0 ]; then say "all tests passed"; else say "tests FAILED"; fi
exit "$status"
