#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The full chaos run: every program, 200 kill -9 at random instants (start-up
# included) each, on virtual devices. Installs and builds what is missing,
# prints the figures, writes them to bench/results/<DPDK release>/chaos.csv and,
# with --update-docs, into docs/reliability.rst. Exits 0 only if every program
# came through.
#   scripts/chaos.sh [--update-docs]      MP_CHAOS_KILLS=N to change the count
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$top/scripts/setup.sh"
release=$(pkg-config --modversion libdpdk | cut -d. -f1-2)
results="$top/bench/results/$release"
mkdir -p "$results"
figures="$results/chaos.csv"
echo "program,kills,killed_in_startup,mbufs_lost,lost_per_kill,recovery_median_ms,recovery_p90_ms,recoveries,seed" >"$figures"
say "chaos: ${MP_CHAOS_KILLS:=200} kills per program on DPDK $release"
status=0
MP_BUILD_ROOT="$BUILD_DIR" MP_CHAOS_KILLS="$MP_CHAOS_KILLS" MP_CHAOS_FIGURES="$figures" \
    "$BUILD_DIR/tests/chaos/chaos_test" || status=$?
if [ "${1:-}" = "--update-docs" ] && [ "$status" -eq 0 ]; then
    python3 "$top/scripts/chaos_table.py" "$figures" "$release" "$top/docs/reliability.rst"
    say "docs/reliability.rst updated for DPDK $release"
else
    python3 "$top/scripts/chaos_table.py" "$figures" "$release"
fi
if [ "$status" -eq 0 ]; then say "chaos: every program came through"; else say "chaos: FAILED"; fi
exit "$status"
