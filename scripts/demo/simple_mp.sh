#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# simple_mp demo: a primary and a secondary, each with commands fed to its
# prompt; a message crosses each way, then 1000 more from the secondary, sent
# as fast as its prompt takes them, all arrive in order; the primary's telemetry
# counts them; "quit" ends both.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bin="$BUILD_DIR/simple_mp/simple_mp"
eal=(--no-pci "--file-prefix=$DEMO_PREFIX")

# start NAME LCORES ARGS...: runs simple_mp with its prompt fed from a fifo,
# which stays open on file descriptor FD_<NAME> until the demo quits it.
start() {
    local name=$1 lcores=$2; shift 2
    mkfifo "$DEMO_LOGS/$name.in"
    echo "  $bin ${eal[*]} --lcores=$lcores $*"
    "$bin" "${eal[@]}" "--lcores=$lcores" "$@" < "$DEMO_LOGS/$name.in" > "$DEMO_LOGS/$name.log" 2>&1 &
    DEMO_PIDS+=($!)
    eval "exec {fd_$name}>\"\$DEMO_LOGS/$name.in\""
    demo_wait_for "$DEMO_LOGS/$name.log" "simple_mp > " 30
}
type_at() { # type_at NAME LINE: types LINE at NAME's prompt
    local fd="fd_$1"
    echo "$2" >&"${!fd}"
}
received() { grep -c "Received '$2" "$DEMO_LOGS/$1.log" || true; }

echo "Starting the primary (lcores 0,1) and the secondary (lcores 2,3):"
start primary 0@0,1@1 --proc-type=primary
pid_primary=${DEMO_PIDS[-1]}
start secondary 2@0,3@1 --proc-type=secondary
pid_secondary=${DEMO_PIDS[-1]}
grep -h "Starting core" "$DEMO_LOGS/primary.log" "$DEMO_LOGS/secondary.log" | sed 's/^/  /'

echo
echo "primary   > send hello_secondary"
type_at primary "send hello_secondary"
demo_wait_for "$DEMO_LOGS/secondary.log" "Received 'hello_secondary'" 10
echo "secondary : $(grep -o "core [0-9]*: Received 'hello_secondary'" "$DEMO_LOGS/secondary.log")"
echo "secondary > send hello primary, with spaces"
type_at secondary "send hello primary, with spaces"
demo_wait_for "$DEMO_LOGS/primary.log" "Received 'hello primary, with spaces'" 10
echo "primary   : $(grep -o "core [0-9]*: Received 'hello primary, with spaces'" "$DEMO_LOGS/primary.log")"

echo
echo "secondary > send burst-0 ... send burst-999 (written all at once; the ring holds 63)"
for i in $(seq 0 999); do echo "send burst-$i"; done >&"$fd_secondary"
for _ in $(seq 1 300); do
    [ "$(received primary burst-)" -ge 1000 ] && break
    sleep 0.1
done
got=$(received primary burst-)
expected=$(seq 0 999 | sed 's/^/burst-/')
order=$(grep -o "Received 'burst-[0-9]*'" "$DEMO_LOGS/primary.log" | sed "s/Received '//; s/'$//")
in_order=no
[ "$order" = "$expected" ] && in_order=yes
echo "primary   : received $got of 1000, in order: $in_order"
grep -o "core [0-9]*: Received 'burst-999'" "$DEMO_LOGS/primary.log" | sed 's/^/            last: /' || true

stats=""
if command -v dpdk-telemetry.py >/dev/null; then
    echo
    echo "The primary's counters (echo /simple_mp/stats | dpdk-telemetry.py -f $DEMO_PREFIX):"
    stats=$(echo /simple_mp/stats | dpdk-telemetry.py -f "$DEMO_PREFIX" 2>/dev/null | tr -d '\n ' || true)
    echo "  $stats"
fi

echo
echo "secondary > quit     primary > quit"
type_at secondary quit
wait "$pid_secondary" && rc_secondary=0 || rc_secondary=$?
type_at primary quit
wait "$pid_primary" && rc_primary=0 || rc_primary=$?
echo "  exit codes: secondary $rc_secondary, primary $rc_primary"

refused=$(cat "$DEMO_LOGS/primary.log" "$DEMO_LOGS/secondary.log" | grep -c "not sent" || true)
echo
if [ "$got" -eq 1000 ] && [ "$in_order" = yes ] && [ "$refused" -eq 0 ] &&
    [ "$rc_secondary" -eq 0 ] && [ "$rc_primary" -eq 0 ]; then
    echo "A message crossed each way, 1000 more arrived in order with none lost, both quit cleanly."
    exit 0
fi
echo "simple_mp demo failed (received $got, in order $in_order, refused $refused)" >&2
exit 1
