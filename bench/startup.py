# SPDX-License-Identifier: BSD-3-Clause
"""Start-up time of a secondary process: from the exec to its ready line
("APP: Finished Process Init."), ours against upstream, beside a running
primary of the same variant. A fast start bounds every recovery: a killed
process forwards again no sooner than its successor is ready."""

import signal
import statistics
import time

import interactive
import scenarios
from dpdkproc import BenchError, Prefix, Process, eal_args

READY = b"Finished Process Init."
# Starts in a row against one primary, before the other variant's turn.
BLOCK = 5


def _symmetric(binary, prefix, primary):
    proc_id = 0 if primary else 1
    return ([binary] + eal_args(prefix, "%d@%d" % (proc_id, proc_id),
                                extra=["--proc-type=" + ("primary" if primary else "secondary")])
            + ["--", "-p", "3", "--num-procs=2", "--proc-id=%d" % proc_id])


def _client_server(bins, variant):
    def argv(_, prefix, primary):
        if primary:
            server = (bins.ours("client_server_mp", "mp_server") if variant == "ours"
                      else bins.upstream("mp_server"))
            return [server] + eal_args(prefix, "0@0,1@0", extra=["--proc-type=primary"]) + [
                "--", "-p", "3", "-n", "1"]
        client = (bins.ours("client_server_mp", "mp_client") if variant == "ours"
                  else bins.upstream("mp_client"))
        return [client] + eal_args(prefix, "2@1", extra=["--proc-type=secondary"]) + ["--", "-n", "0"]
    return argv


# program -> (binary of a variant, argv(binary, prefix, primary))
def programs(bins):
    return {
        "symmetric_mp": (lambda v: bins.ours("symmetric_mp") if v == "ours" else bins.upstream("symmetric_mp"),
                         lambda v: _symmetric),
        "mp_client": (lambda v: bins.ours("client_server_mp", "mp_client") if v == "ours"
                      else bins.upstream("mp_client"),
                      lambda v: _client_server(bins, v)),
        "simple_mp": (lambda v: bins.ours("simple_mp") if v == "ours" else bins.upstream("simple_mp"),
                      lambda v: interactive.simple_mp_argv),
    }


def _time_one(argv, name, log_dir):
    """Milliseconds from the exec of `argv` to its ready line, then stops it.
    The output goes through a pty, so the line arrives when it is printed."""
    t0 = time.monotonic()
    proc = Process(name, argv, log_dir, interactive=True)
    try:
        deadline = t0 + 30.0
        while proc.find_from(READY, 0) < 0:
            if not proc.running():
                raise BenchError("%s exited before its ready line; see %s" % (name, proc.log_path))
            if time.monotonic() > deadline:
                raise BenchError("%s printed no ready line within 30 s; see %s" % (name, proc.log_path))
            proc.pump(0.01)
        return (time.monotonic() - t0) * 1e3
    finally:
        proc.stop(signal.SIGINT)


def run_startup(bins, log_dir, starts):
    """Rows {benchmark: startup_<program>, variant, round: start index,
    startup_ms}; ours and upstream take turns in blocks of BLOCK starts."""
    rows = []
    for program, (binary_of, argv_of) in programs(bins).items():
        if not binary_of("ours") or not binary_of("upstream"):
            print("startup %-14s not built, skipped" % program)
            continue
        done = {"ours": 0, "upstream": 0}
        while min(done.values()) < starts:
            for variant in ("ours", "upstream"):
                rows += _block(program, variant, binary_of(variant), argv_of(variant), log_dir,
                               done, min(BLOCK, starts - done[variant]))
        for variant in ("ours", "upstream"):
            ms = [r["startup_ms"] for r in rows if r["benchmark"] == "startup_" + program
                  and r["variant"] == variant]
            print("startup %-14s %-8s median %6.1f ms  (min %.1f, max %.1f, %d starts)"
                  % (program, variant, statistics.median(ms), min(ms), max(ms), len(ms)))
    return rows


def _block(program, variant, binary, argv, log_dir, done, n):
    tag = "startup_%s_%s_%d" % (program, variant, done[variant])
    prefix = Prefix(tag)
    primary = None
    rows = []
    try:
        primary = Process(tag + "-primary", argv(binary, prefix, True), log_dir, interactive=True)
        interactive.Cursor(primary).expect(READY, 30)
        time.sleep(0.2)  # the primary's own start-up work is over
        for _ in range(n):
            name = "startup_%s_%s-secondary%d" % (program, variant, done[variant])
            ms = _time_one(argv(binary, prefix, False), name, log_dir)
            rows.append({"benchmark": "startup_" + program, "variant": variant,
                         "round": done[variant] + 1, "startup_ms": ms})
            done[variant] += 1
    finally:
        if primary:
            primary.stop()
        prefix.cleanup()
    return rows


def command_lines(bins):
    shown = scenarios._ShownPrefix()
    lines = []
    for program, (binary_of, argv_of) in programs(bins).items():
        for variant in ("ours", "upstream"):
            binary = binary_of(variant)
            if binary:
                lines.append("startup_%s %s secondary: %s" % (program, variant, scenarios.shown_command(
                    argv_of(variant)(binary, shown, False), bins.build_dir)))
    return lines
