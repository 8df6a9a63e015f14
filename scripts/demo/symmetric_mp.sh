#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# symmetric_mp demo: two processes forward between two null ports, each on its
# own RX/TX queue of both ports; then both are stopped and print their counters.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

smp="$BUILD_DIR/symmetric_mp/symmetric_mp"
eal=(--no-pci "--file-prefix=$DEMO_PREFIX" --vdev=net_null0 --vdev=net_null1)

echo "Starting proc-id 0 (primary, lcore 1 on CPU 0) and proc-id 1 (secondary, lcore 2 on CPU 1)"
echo "  $smp ${eal[*]} --lcores=1@0 --proc-type=auto -- -p 3 --num-procs 2 --proc-id 0"
demo_start proc0 "$smp" "${eal[@]}" --lcores=1@0 --proc-type=auto -- -p 3 --num-procs 2 --proc-id 0 >/dev/null
pid0=${DEMO_PIDS[-1]}
demo_wait_for "$DEMO_LOGS/proc0.log" "APP: Finished Process Init." 30
echo "  $smp ${eal[*]} --lcores=2@1 --proc-type=auto -- -p 3 --num-procs 2 --proc-id 1"
demo_start proc1 "$smp" "${eal[@]}" --lcores=2@1 --proc-type=auto -- -p 3 --num-procs 2 --proc-id 1 >/dev/null
pid1=${DEMO_PIDS[-1]}
demo_wait_for "$DEMO_LOGS/proc1.log" "APP: Finished Process Init." 30
sleep 1
echo
echo "proc-id 0 start-up:"
grep -E "Initialising port|Link up|Finished Process Init|using" "$DEMO_LOGS/proc0.log" | sed 's/^/  /'
echo "proc-id 1 start-up:"
grep -E "Finished Process Init|using" "$DEMO_LOGS/proc1.log" | sed 's/^/  /'

if command -v dpdk-telemetry.py >/dev/null; then
    echo
    echo "Live counters of both processes (telemetry /symmetric_mp/stats, arrays indexed by proc-id):"
    echo /symmetric_mp/stats | dpdk-telemetry.py -f "$DEMO_PREFIX" 2>/dev/null |
        grep -oE '"(num_procs|pid|port[01]_(rx|tx|drop))": (\[[^]]*\]|[0-9]+)' | sed 's/^/  /' || true
fi

sleep 1
echo
echo "Stopping both with SIGINT; each prints its own counters:"
kill -INT "$pid1"
wait "$pid1" && rc1=0 || rc1=$?
kill -INT "$pid0"
wait "$pid0" && rc0=0 || rc0=$?
ok=1
for n in 0 1; do
    log="$DEMO_LOGS/proc$n.log"
    rc_var="rc$n"
    echo "  proc-id $n (exit code ${!rc_var}):"
    grep -E "^Port [0-9]+: RX" "$log" | sed 's/^/    /'
    [ "${!rc_var}" -eq 0 ] || ok=0
    for port in 0 1; do
        rx=$(sed -n "s/^Port $port: RX - \([0-9]*\),.*/\1/p" "$log")
        out=$(sed -n "s/^Port $((port ^ 1)): RX - [0-9]*, TX - \([0-9]*\), Drop - \([0-9]*\)$/\1 + \2/p" "$log")
        [ -n "$rx" ] && [ "$rx" -gt 0 ] || { echo "  proc-id $n received nothing on port $port" >&2; ok=0; continue; }
        diff=$((rx - (out)))
        # Counters move a burst (32 packets) at a time.
        [ "${diff#-}" -le 32 ] || { echo "  proc-id $n: RX on port $port ($rx) != TX + Drop on port $((port ^ 1)) ($out)" >&2; ok=0; }
    done
done
echo
if [ $ok -eq 1 ]; then
    echo "Both processes forwarded on both ports: RX on port p = TX + Drop on port p^1."
    exit 0
fi
echo "symmetric_mp demo failed; logs:" >&2
cat "$DEMO_LOGS"/proc*.log >&2
exit 1
