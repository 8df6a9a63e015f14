# SPDX-License-Identifier: BSD-3-Clause
"""Benchmarks driven through a program's prompt or by killing its processes:
simple_mp message latency and rate, l2fwd_fork recovery time."""

import os
import re
import signal
import statistics
import time

import scenarios
from report import percentile

from dpdkproc import BenchError, Prefix, Process, Telemetry, eal_args

READY = b"Finished Process Init."
WINDOW = 32


class Cursor:
    """Reads a pty-attached process's output forward from where it last matched."""

    def __init__(self, proc):
        self.proc = proc
        self.pos = 0

    def expect(self, needle, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            at = self.proc.find_from(needle, self.pos)
            if at >= 0:
                self.pos = at + len(needle)
                return
            if not self.proc.running():
                raise BenchError("%s exited before printing %r; see %s"
                                 % (self.proc.name, needle.decode(), self.proc.log_path))
            if time.monotonic() > deadline:
                raise BenchError("%s printed no %r within %.0f s; see %s"
                                 % (self.proc.name, needle.decode(), timeout, self.proc.log_path))
            self.proc.pump(0.05)


def simple_mp_argv(binary, prefix, primary):
    if primary:
        return [binary] + eal_args(prefix, "0@0,1@1", extra=["--proc-type=primary"])
    return [binary] + eal_args(prefix, "2@0,3@1", extra=["--proc-type=secondary"])


def command_lines(bins):
    shown = scenarios._ShownPrefix()
    lines = []
    for variant, binary in (("ours", bins.ours("simple_mp")), ("upstream", bins.upstream("simple_mp"))):
        if binary:
            for role in ("primary", "secondary"):
                lines.append("simple_mp %s %s: %s" % (variant, role, scenarios.shown_command(
                    simple_mp_argv(binary, shown, role == "primary"), bins.build_dir)))
    binary = bins.ours("l2fwd_fork")
    if binary:
        lines.append("l2fwd_fork_recovery ours master: " + scenarios.shown_command(
            scenarios.l2fwd_fork_argv(binary, shown), bins.build_dir))
    return lines


def _start_at_prompt(binary, prefix, variant, rnd, primary, log_dir, procs):
    role = "primary" if primary else "secondary"
    proc = Process("simple_mp_%s_r%d-%s" % (variant, rnd, role), simple_mp_argv(binary, prefix, primary),
                   log_dir, interactive=True)
    procs.append(proc)
    cursor = Cursor(proc)
    cursor.expect(READY, 30)
    # The prompt and the receiver's "Starting core N" line may interleave
    # anywhere ("simple_mp >Starting core 3\r\n "): wait for both pieces.
    after_ready = cursor.pos
    cursor.expect(b"Starting core", 30)
    cursor.pos = after_ready
    cursor.expect(b">", 30)
    return proc, cursor


def simple_mp_once(binary, variant, log_dir, rnd, messages):
    """Round trip: the runner types `send` into one process's prompt and waits
    for the other process to print it, then the other way back. Rate: a
    batch of `send` lines typed at once, timed until the last is printed."""
    prefix = Prefix("simple_mp_%s_r%d" % (variant, rnd))
    procs = []
    try:
        primary, a = _start_at_prompt(binary, prefix, variant, rnd, True, log_dir, procs)
        secondary, b = _start_at_prompt(binary, prefix, variant, rnd, False, log_dir, procs)
        rtts = []
        for i in range(messages):
            t0 = time.perf_counter()
            primary.write("send p%d\r" % i)
            b.expect(b"Received 'p%d'" % i)
            secondary.write("send s%d\r" % i)
            a.expect(b"Received 's%d'" % i)
            rtts.append((time.perf_counter() - t0) * 1e6)
        # Rate: windows of WINDOW `send` lines typed at once, each timed until
        # its last message is printed by the other process. The window stays
        # below the ring (63 free slots) so no message is refused.
        sent = 0
        t0 = time.perf_counter()
        while sent < messages:
            n = min(WINDOW, messages - sent)
            primary.write("".join("send m%d\r" % i for i in range(sent, sent + n)))
            sent += n
            b.expect(b"Received 'm%d'" % (sent - 1), 30)
            primary.drain()
        elapsed = time.perf_counter() - t0
        received = secondary.count_in_output("Received 'm")
        if received != messages:
            raise BenchError("simple_mp %s: %d of %d messages arrived" % (variant, received, messages))
        for p in (secondary, primary):
            p.write("quit\r")
            try:
                p.popen.wait(5)
            except Exception:
                pass
    finally:
        for p in reversed(procs):
            p.stop()
        prefix.cleanup()
    rtts.sort()
    return {"rtt_p50_us": percentile(rtts, 50), "rtt_p99_us": percentile(rtts, 99),
            "rtt_max_us": rtts[-1], "msgs_per_s": messages / elapsed, "messages": messages}


def run_simple_mp(bins, log_dir, rnd, messages):
    rows = []
    for variant, binary in (("ours", bins.ours("simple_mp")), ("upstream", bins.upstream("simple_mp"))):
        if not binary:
            print("round %d %-20s %-8s not built, skipped" % (rnd, "simple_mp", variant))
            continue
        row = {"benchmark": "simple_mp", "variant": variant, "round": rnd}
        try:
            row.update(simple_mp_once(binary, variant, log_dir, rnd, messages))
            print("round %d %-20s %-8s round trip p50 %6.1f us  p99 %6.1f us  %8.0f messages/s"
                  % (rnd, "simple_mp", variant, row["rtt_p50_us"], row["rtt_p99_us"], row["msgs_per_s"]))
        except BenchError as e:
            row["error"] = str(e)
            print("round %d %-20s %-8s FAILED: %s" % (rnd, "simple_mp", variant, e))
        rows.append(row)
    return rows


FORWARDING_LINE = re.compile(r"slave (\d+) forwarding: lcore \d+, pid (\d+), RX port\(s\) ([\d ]+)")
RESTARTED_LINE = re.compile(r"slave (\d+) restarted: lcore \d+, old pid \d+, new pid (\d+), "
                            r"recovery ([\d.]+) ms")


def _exited(pid):
    """The kernel has finished the process: a zombie waiting for its parent, or reaped."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _tx(tele, port):
    return tele.port_stats(port)["opackets"]


class _PhaseWatch:
    """When the master's log first shows each step of a recovery (polled at
    the runner's 1 ms pace, so each time is at most ~1 ms late)."""

    STEPS = [("exited_ms", None),  # timed by recovery_once from /proc
             ("noticed_ms", re.compile(r"slave \d+ died")),
             ("group_stopped_ms", re.compile(r"ports .* mbuf pools renewed in place")),
             ("first_slave_loop_ms", re.compile(r"entering main loop")),
             ("last_slave_loop_ms", re.compile(r"slave \d+ restarted"))]

    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path)
        self.text = ""
        self.seen = {}

    def poll(self, now):
        size = os.path.getsize(self.path)
        if size <= self.offset:
            return
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            self.text += f.read(size - self.offset).decode(errors="replace")
        self.offset = size
        for name, pattern in self.STEPS:
            if pattern and name not in self.seen and pattern.search(self.text):
                self.seen[name] = now

    def since(self, t0):
        return {name: (t - t0) * 1e3 for name, t in self.seen.items()}


def recovery_once(master, tele, slaves, victim, restarts_seen, timeout=10.0):
    """Kills slave `victim` with SIGKILL and returns (ms until the port it
    transmitted on transmits again, ms the master reported). The port is
    quiet from the kill until a new slave forwards: nothing else sends on it."""
    pid, rx_ports = slaves[victim]
    tx_port = rx_ports[0] ^ 1
    phases = _PhaseWatch(master.log_path)
    t_kill = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.002)  # let the signal land before reading the frozen counter
    frozen = _tx(tele, tx_port)
    gone_at = None
    while True:
        now = time.monotonic()
        phases.poll(now)
        if gone_at is None and _exited(pid):
            gone_at = now
        if _tx(tele, tx_port) > frozen:
            break
        if now - t_kill > timeout:
            raise BenchError("port %d did not forward again within %.0f s of killing slave %d (pid %d);"
                             " see %s" % (tx_port, timeout, victim, pid, master.log_path))
        if not master.running():
            raise BenchError("the master exited after slave %d was killed; see %s"
                             % (victim, master.log_path))
        # 1 ms between reads: finer than the target needs, and it leaves the
        # CPUs to the master and the slaves it is starting.
        time.sleep(0.001)
    external_ms = (now - t_kill) * 1e3
    # Wait for the master's own account, and learn the new slave pids.
    deadline = time.monotonic() + timeout
    while True:
        restarts = RESTARTED_LINE.findall(master.output())
        if len(restarts) > restarts_seen and any(int(r[0]) == victim for r in restarts[restarts_seen:]):
            break
        if time.monotonic() > deadline:
            raise BenchError("the master logged no restart of slave %d; see %s" % (victim, master.log_path))
        time.sleep(0.01)
    reported = None
    for index, new_pid, ms in restarts[restarts_seen:]:
        slaves[int(index)] = (int(new_pid), slaves[int(index)][1])
        if int(index) == victim:
            reported = float(ms)
    steps = phases.since(t_kill)
    if gone_at is not None:
        steps["exited_ms"] = (gone_at - t_kill) * 1e3
    return external_ms, reported, len(restarts), steps


class _Master:
    """A running l2fwd_fork master, its telemetry and its slaves' pids."""

    def __init__(self, binary, log_dir, session):
        self.prefix = Prefix("recovery%d" % session)
        self.tele = None
        self.proc = Process("l2fwd_fork_recovery-master%d" % session,
                            scenarios.l2fwd_fork_argv(binary, self.prefix), log_dir)
        try:
            self.tele = Telemetry(self.prefix, self.proc)
            deadline = time.monotonic() + 30
            while True:
                found = FORWARDING_LINE.findall(self.proc.output())
                if len(found) >= 2:
                    break
                if time.monotonic() > deadline or not self.proc.running():
                    raise BenchError("l2fwd_fork slaves did not start; see %s" % self.proc.log_path)
                time.sleep(0.05)
        except BaseException:
            self.close()
            raise
        self.slaves = {int(i): (int(pid), [int(p) for p in ports.split()]) for i, pid, ports in found}
        self.restarts_seen = 0

    def close(self):
        if self.tele:
            self.tele.close()
        self.proc.stop()
        self.prefix.cleanup()


def run_recovery(bins, log_dir, kills, settle):
    """l2fwd_fork: kill -9 a slave (alternating), time until its port forwards
    again. A kill the master does not recover from is counted as a failure and
    the next kill gets a fresh master."""
    binary = bins.ours("l2fwd_fork")
    if not binary:
        print("%-28s %-8s not built, skipped" % ("l2fwd_fork_recovery", "ours"))
        return []
    rows = []
    master = None
    sessions = 0
    try:
        for k in range(kills):
            row = {"benchmark": "l2fwd_fork_recovery", "variant": "ours", "round": k + 1}
            try:
                if master is None:
                    sessions += 1
                    master = _Master(binary, log_dir, sessions)
                time.sleep(settle)
                victim = sorted(master.slaves)[k % len(master.slaves)]
                row["slave"] = victim
                external, reported, master.restarts_seen, steps = recovery_once(
                    master.proc, master.tele, master.slaves, victim, master.restarts_seen)
                row.update(recovery_ms=external, master_reported_ms=reported, **steps)
            except BenchError as e:
                row["error"] = str(e)
                print("%-28s kill %d FAILED: %s" % ("l2fwd_fork_recovery", k + 1, e))
                if master:
                    master.close()
                    master = None
            rows.append(row)
    finally:
        if master:
            master.close()
    times = sorted(r["recovery_ms"] for r in rows if "recovery_ms" in r)
    failed = sum(1 for r in rows if "error" in r)
    if times:
        reported = [r["master_reported_ms"] for r in rows if r.get("master_reported_ms")]
        summary = {"benchmark": "l2fwd_fork_recovery", "variant": "ours", "round": 0,
                   "kills": len(rows), "not_recovered": failed,
                   "recovery_median_ms": statistics.median(times), "recovery_max_ms": times[-1],
                   "master_reported_median_ms": statistics.median(reported) if reported else None}
        for name, _ in _PhaseWatch.STEPS:
            values = [r[name] for r in rows if name in r]
            if values:
                summary["median_" + name] = statistics.median(values)
        print("%-28s ours     %d kills, %d not recovered: median %.1f ms, worst %.1f ms "
              "(the master reports a median of %s ms)"
              % ("l2fwd_fork_recovery", len(rows), failed, summary["recovery_median_ms"], times[-1],
                 "%.1f" % summary["master_reported_median_ms"] if reported else "-"))
        steps = ", ".join("%s %.0f ms" % (name[:-3].replace("_", " "), summary["median_" + name])
                          for name, _ in _PhaseWatch.STEPS if "median_" + name in summary)
        print("%-28s medians from the kill: %s" % ("", steps))
        rows.append(summary)
    return rows
