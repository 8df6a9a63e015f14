#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Test 'man_pages': each man page given has a NAME section and, where man (or
# groff) is installed, renders without a single warning.
# Usage: docs/check_man.sh PAGE.1 ...
set -uo pipefail
[ $# -gt 0 ] || { echo "check_man.sh: no man page given" >&2; exit 2; }
if command -v man >/dev/null; then
    render() { MANPAGER=cat MANWIDTH=80 man --warnings=w -E UTF-8 -l "$1"; }
    how="man --warnings"
elif command -v groff >/dev/null; then
    render() { groff -man -Tutf8 -ww -z "$1"; }
    how="groff -ww"
else
    render() { :; }
    how="the NAME check only (neither man nor groff is installed)"
fi
status=0
for page in "$@"; do
    if [ ! -s "$page" ]; then
        echo "FAIL $page: missing or empty"; status=1; continue
    fi
    if ! grep -q '^\.SH NAME' "$page"; then
        echo "FAIL $page: no NAME section"; status=1; continue
    fi
    warnings=$(render "$page" 2>&1 >/dev/null)
    if [ -n "$warnings" ]; then
        printf 'FAIL %s: %s warns:\n%s\n' "$page" "$how" "$warnings"; status=1; continue
    fi
    echo "ok   $page (checked with $how)"
done
exit "$status"
