#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# l2fwd_fork demo: a master with two floating slave processes forwarding
# between two null ports; one slave is killed with kill -9, the master stops
# its partner, renews their ports' mbuf pools and gives their places to two
# standby slaves (started ahead, asleep until needed).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

exe="$BUILD_DIR/l2fwd_fork/l2fwd_fork"
log="$DEMO_LOGS/master.log"
cmd=("$exe" --no-pci "--file-prefix=$DEMO_PREFIX" --lcores=0@0,1@1,2@0
     --vdev=net_null0 --vdev=net_null1 -- -p 3 -T 1 -f)

echo "Starting the master (lcores 0-2 on CPUs 0,1,0; floating slaves):"
echo "  ${cmd[*]}"
demo_start master "${cmd[@]}" >/dev/null
master=${DEMO_PIDS[-1]}
demo_wait_for "$log" "APP: Finished Process Init." 30
demo_wait_for "$log" "APP: slave 0 forwarding" 20
demo_wait_for "$log" "APP: slave 1 forwarding" 20
grep -E "^Lcore|paired|forwarding:" "$log" | sed 's/^/  /'

show_processes() {
    ps -o pid,ppid,comm,args --pid "$master" --ppid "$master" | cut -c1-150 | sed 's/^/  /'
    local pid
    for pid in $(pgrep -P "$master"); do
        echo "  slave $pid: $(grep Cpus_allowed_list "/proc/$pid/status" | tr -s '\t' ' ')"
    done
}
# The slaves' pids, from the master's "slave N forwarding: ..., pid P" lines
# (its other children are standbys).
slave_pids() { sed -n 's/.*APP: slave [0-9]* forwarding:.* pid \([0-9]*\).*/\1/p' "$log"; }
echo
echo "ps: the master, its slaves (lcore ids 3 and 4, not pinned) and standby slaves:"
show_processes
old=$(slave_pids | tr '\n' ' ')

victim=$(slave_pids | head -1)
echo
echo "kill -9 $victim"
kill -9 "$victim"
demo_wait_for "$log" "restarted:" 20
sleep 0.2
echo "What the master did:"
grep -E "died:|stopping slave|stopped:|fresh mbuf pools|restarted:" "$log" | sed 's/^/  /'
echo
echo "ps after the recovery:"
show_processes
new=$(grep "restarted:" "$log" | sed -n 's/.* new pid \([0-9]*\).*/\1/p' | tr '\n' ' ')

# Forwarding goes on: the counters grow after the restart.
before=$(grep -c "Aggregate statistics" "$log" || true) # none yet is fine
for ((i = 0; i < 50; i++)); do
    [ "$(grep -c "Aggregate statistics" "$log")" -ge $((before + 2)) ] && break
    sleep 0.1
done
echo
echo "Statistics printed after the recovery (every second, upstream l2fwd layout):"
awk '/^Port statistics/ { block = "" } { block = block $0 "\n" } /^====/ { last = block }
     END { printf "%s", last }' "$log" | sed 's/^/  /'

if command -v dpdk-telemetry.py >/dev/null; then
    echo
    echo "Telemetry /l2fwd_fork/slaves and /l2fwd_fork/stats:"
    for c in /l2fwd_fork/slaves /l2fwd_fork/stats; do
        echo "$c" | dpdk-telemetry.py -f "$DEMO_PREFIX" 2>/dev/null | tail -1 | cut -c1-400 |
            sed 's/^/  /' || true
    done
fi

echo
echo "Ctrl-C (SIGINT) to the master: it stops every slave and prints the final statistics."
kill -INT "$master"
wait "$master" && rc=0 || rc=$?
sed -n '/Signal 2 received/,$p' "$log" | grep -E "Signal|stopped:|Total" | sed 's/^/  /'
echo "  master exit code: $rc"

ok=1
[ "$rc" -eq 0 ] || ok=0
[ "$(echo $old | wc -w)" -eq 2 ] && [ "$(echo $new | wc -w)" -eq 2 ] ||
    { echo "expected two slaves before and two new ones after (had '$old', new '$new')" >&2; ok=0; }
for pid in $old; do
    case " $new " in *" $pid "*) echo "slave $pid was not replaced" >&2; ok=0 ;; esac
done
[ -z "$(pgrep -P "$master" || true)" ] || { echo "slaves outlived the master" >&2; ok=0; }
rx=$(sed -n 's/^Total packets received: *//p' "$log" | tail -1)
[ -n "$rx" ] && [ "$rx" -gt 0 ] || { echo "nothing was forwarded" >&2; ok=0; }
echo
if [ $ok -eq 1 ]; then
    echo "The killed slave and its partner were replaced by new processes, forwarding went on,"
    echo "and the master stopped everything cleanly."
    exit 0
fi
echo "l2fwd_fork demo FAILED" >&2
exit 1
