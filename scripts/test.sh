#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what is missing, builds, and runs every test (unit and multi-process).
# Extra arguments go to 'meson test' (e.g. a test name, or --suite unit).
# MP_SANITIZE=0 skips the second run of the unit tests under the sanitizers.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$top/scripts/setup.sh"
say "running the tests"
status=0
meson test -C "$BUILD_DIR" --print-errorlogs "$@" || status=$?
# The unit tests again, built with AddressSanitizer and UndefinedBehaviorSanitizer.
if [ "$status" -eq 0 ] && [ "${MP_SANITIZE:-1}" = 1 ]; then
    asan_dir="$BUILD_DIR-asan"
    if [ ! -f "$asan_dir/build.ninja" ]; then
        say "configuring $asan_dir (sanitizers)"
        step "meson setup $asan_dir" meson setup "$asan_dir" "$top" -Db_sanitize=address,undefined \
            -Dupstream_examples=disabled ${MESON_ARGS:-}
    fi
    say "running the unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C "$asan_dir" --print-errorlogs --suite unit || status=$?
fi
# Tests end their processes and remove their hugepage files and runtime folders
# (all named mpt_*); say so if any did not.
left=$( (ls /var/run/dpdk; ls /dev/hugepages) 2>/dev/null | grep '^mpt_' | tr '\n' ' ' || true)
procs=$(pgrep -f -- '--file-prefix=mpt_' || true)
if [ -n "$left" ] || [ -n "$procs" ]; then
    echo "test.sh: tests left behind: files [$left] processes [$procs]" >&2
    status=1
fi
logs=("$BUILD_DIR/meson-logs/testlog.json")
[ -n "${asan_dir:-}" ] && logs+=("$asan_dir/meson-logs/testlog.json")
if [ "$status" -eq 0 ]; then say "all tests passed"; else say "tests FAILED"; fi
python3 "$top/scripts/summarise-tests.py" "${logs[@]}"
exit "$status"
