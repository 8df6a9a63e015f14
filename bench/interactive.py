# SPDX-License-Identifier: BSD-3-Clause
"""Benchmarks driven through a program's prompt or by killing its processes:
simple_mp message latency and rate, l2fwd_fork recovery time."""

import time

from dpdkproc import BenchError, Prefix, Process, eal_args

PROMPT = b"simple_mp > "
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


def _percentile(sorted_values, p):
    k = (len(sorted_values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def simple_mp_once(binary, variant, log_dir, rnd, messages):
    """Round trip: the runner types `send` into one process's prompt and waits
    for the other process to print it, then the other way back. Rate: a
    batch of `send` lines typed at once, timed until the last is printed."""
    prefix = Prefix("simple_mp_%s_r%d" % (variant, rnd))
    procs = []
    try:
        primary = Process("simple_mp_%s_r%d-primary" % (variant, rnd),
                          [binary] + eal_args(prefix, "0@0,1@1", extra=["--proc-type=primary"]),
                          log_dir, interactive=True)
        procs.append(primary)
        a = Cursor(primary)
        a.expect(PROMPT, 30)
        secondary = Process("simple_mp_%s_r%d-secondary" % (variant, rnd),
                            [binary] + eal_args(prefix, "2@0,3@1", extra=["--proc-type=secondary"]),
                            log_dir, interactive=True)
        procs.append(secondary)
        b = Cursor(secondary)
        b.expect(PROMPT, 30)
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
    return {"rtt_p50_us": _percentile(rtts, 50), "rtt_p99_us": _percentile(rtts, 99),
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


def run_recovery(bins, log_dir, kills, warmup):
    """l2fwd_fork: kill -9 a slave, time until its port forwards again."""
    print("l2fwd_fork_recovery: not measured yet")
    return []

