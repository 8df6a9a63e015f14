# SPDX-License-Identifier: BSD-3-Clause
# Shared by the per-program demo scripts (sourced, not run).
# Every DPDK process gets --no-pci, virtual devices and the demo's own
# --file-prefix; demo_cleanup ends the processes by PID and removes that
# prefix's hugepage files and runtime folder.
BUILD_DIR=${BUILD_DIR:?BUILD_DIR is not set: run scripts/demo.sh}
DEMO_PREFIX=${DEMO_PREFIX:-demo_$(basename "$0" .sh)_$$}
DEMO_PIDS=()
DEMO_LOGS=$(mktemp -d)

# demo_start NAME CMD...: runs CMD in the background, output in $DEMO_LOGS/NAME.log.
demo_start() {
    local name=$1; shift
    "$@" > "$DEMO_LOGS/$name.log" 2>&1 < /dev/null &
    DEMO_PIDS+=($!)
    echo $!
}

# demo_wait_for FILE TEXT [SECONDS]: waits until FILE contains TEXT.
demo_wait_for() {
    local file=$1 text=$2 limit=${3:-20} i
    for ((i = 0; i < limit * 10; i++)); do
        grep -qF -- "$text" "$file" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "demo: timed out waiting for '$text' in $file" >&2
    return 1
}

demo_cleanup() {
    local pid
    for pid in "${DEMO_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${DEMO_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -f /dev/hugepages/"${DEMO_PREFIX}"map_* 2>/dev/null || true
    rm -rf "/var/run/dpdk/$DEMO_PREFIX" "$DEMO_LOGS"
}
trap demo_cleanup EXIT
