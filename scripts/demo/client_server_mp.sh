#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# client_server_mp demo: mp_server reads two null ports and deals the packets
# out to two mp_client processes, which send them out of the paired port. Shows
# the server's statistics screen, then stops the clients and the server and
# checks that the books balance.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

server="$BUILD_DIR/client_server_mp/mp_server/mp_server"
client="$BUILD_DIR/client_server_mp/mp_client/mp_client"
eal=(--no-pci "--file-prefix=$DEMO_PREFIX")

echo "Starting mp_server (primary, lcore 0 on CPU 0) with two null ports and two clients:"
echo "  mp_server ${eal[*]} --lcores=0@0 --vdev=net_null0 --vdev=net_null1 -- -p 3 -n 2"
demo_start server "$server" "${eal[@]}" --lcores=0@0 --vdev=net_null0 --vdev=net_null1 \
    -- -p 3 -n 2 >/dev/null
spid=${DEMO_PIDS[-1]}
demo_wait_for "$DEMO_LOGS/server.log" "APP: Finished Process Init." 30
grep -E "Creating mbuf pool|Initialising port|Link up" "$DEMO_LOGS/server.log" | sed 's/^/  /'

cpids=()
for id in 0 1; do
    echo "Starting mp_client -n $id (secondary, lcore $((id + 1)) on CPU 1):"
    echo "  mp_client ${eal[*]} --lcores=$((id + 1))@1 --proc-type=auto -- -n $id"
    demo_start client$id "$client" "${eal[@]}" --lcores=$((id + 1))@1 --proc-type=auto \
        -- -n $id >/dev/null
    cpids+=("${DEMO_PIDS[-1]}")
    demo_wait_for "$DEMO_LOGS/client$id.log" "handling packets" 30
done

sleep 3
echo
echo "The server's statistics screen (redrawn every second; the latest one):"
# The screen starts with ESC[2J ESC[1;1H; show the last complete one.
tr -d '\033' < "$DEMO_LOGS/server.log" | sed 's/\[2J\[1;1H/\n/g' |
    awk '/^PORTS$/ {n++} {blk[n] = blk[n] $0 "\n"} END {k = n; if (k > 1) k--; printf "%s", blk[k]}' |
    sed 's/^/  /'

if command -v dpdk-telemetry.py >/dev/null; then
    echo "The same counters on the telemetry socket (echo /mp_server/stats | dpdk-telemetry.py -f $DEMO_PREFIX):"
    echo /mp_server/stats | dpdk-telemetry.py -f "$DEMO_PREFIX" 2>/dev/null |
        grep -oE '"client_[01]_(rx|tx)": [0-9]+' | sed 's/^/  /' || true
fi

echo
echo "Stopping the clients with SIGINT; each prints its own counters:"
ok=1
for id in 0 1; do
    kill -INT "${cpids[$id]}"
    wait "${cpids[$id]}" && rc=0 || rc=$?
    line=$(grep -E "^Client $id - rx:" "$DEMO_LOGS/client$id.log" || true)
    echo "  $line (exit code $rc)"
    [ "$rc" -eq 0 ] && [ -n "$line" ] || ok=0
    rx=$(sed -n "s/^Client $id - rx: \([0-9]*\), tx: \([0-9]*\), tx_drop: \([0-9]*\)$/\1/p" <<< "$line")
    out=$(sed -n "s/^Client $id - rx: \([0-9]*\), tx: \([0-9]*\), tx_drop: \([0-9]*\)$/\2 + \3/p" <<< "$line")
    if [ -z "$rx" ] || [ "$rx" -eq 0 ] || [ "$rx" -ne $((out)) ]; then
        echo "  client $id: rx ($rx) should be > 0 and equal tx + tx_drop ($out)" >&2
        ok=0
    fi
done

echo
echo "Stopping mp_server with SIGINT; its final counters:"
kill -INT "$spid"
wait "$spid" && rc=0 || rc=$?
sed -n '/final statistics:/,$p' "$DEMO_LOGS/server.log" | sed 's/^/  /'
[ "$rc" -eq 0 ] || ok=0
final=$(sed -n '/final statistics:/,$p' "$DEMO_LOGS/server.log")
port_rx=$(grep -oE "^Port [0-9]+ - rx: +[0-9]+" <<< "$final" | awk '{s += $NF} END {print s + 0}')
client_in=$(grep -oE "rx: +[0-9]+, rx_drop: +[0-9]+" <<< "$final" | tr -d ',' |
    awk '{s += $2 + $4} END {print s + 0}')
echo
if [ "$ok" -eq 1 ] && [ "$port_rx" -gt 0 ] && [ "$port_rx" -eq "$client_in" ]; then
    echo "Both clients forwarded; the books balance: ports rx $port_rx = clients rx + rx_drop $client_in."
    exit 0
fi
echo "demo failed: ports rx $port_rx, clients rx + rx_drop $client_in (exit code $rc)" >&2
exit 1
