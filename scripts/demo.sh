#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what is missing, builds, and runs a short demo of each program on
# virtual devices (net_null ports, no NIC is touched). Each part runs by
# itself to the end and says what it showed; the script exits 0 only if all did.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$top/scripts/setup.sh"
export BUILD_DIR
failed=()
for app in simple_mp symmetric_mp client_server_mp l2fwd_fork; do
    demo="$top/scripts/demo/$app.sh"
    [ -x "$demo" ] || continue
    printf '\n==================== %s ====================\n' "$app"
    if "$demo"; then say "$app demo: OK"; else say "$app demo: FAILED"; failed+=("$app"); fi
done
echo
if [ ${#failed[@]} -eq 0 ]; then say "demo finished: every program worked"; exit 0; fi
say "demo FAILED for: ${failed[*]}"
exit 1
