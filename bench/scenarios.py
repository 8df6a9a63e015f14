# SPDX-License-Identifier: BSD-3-Clause
"""The benchmark scenarios: which programs run, with which EAL and app
arguments, on which lcores, and how their packet rate is read.

Ours and upstream get the same vdevs, lcore ids, CPUs, port mask and
durations; only the binary differs. The machine this was written on has two
CPUs, so lcore ids are mapped onto CPUs 0 and 1 with --lcores=ID@CPU.
"""

import os
import re
import shutil
import time
from dataclasses import dataclass, field

from dpdkproc import BenchError, Process, Prefix, Telemetry, eal_args

READY = "Finished Process Init."


@dataclass
class Binaries:
    build_dir: str

    def ours(self, app, name=None):
        name = name or app
        sub = os.path.join("client_server_mp", name) if app == "client_server_mp" else app
        return self._built(os.path.join(self.build_dir, sub, name))

    def upstream(self, name):
        return self._built(os.path.join(self.build_dir, "tests", "upstream", "upstream_" + name))

    @staticmethod
    def _built(path):
        return path if os.access(path, os.X_OK) else None

    @staticmethod
    def tool(name):
        return shutil.which(name)


class ShownBinaries(Binaries):
    """Every program as if built: the commands the docs show for stored runs."""

    @staticmethod
    def _built(path):
        return path

    @staticmethod
    def tool(name):
        return name


@dataclass
class ProcSpec:
    name: str
    argv: list
    ready: object = READY       # text or regex printed when start-up is done; None: none
    role: str = "fwd"           # which cycles/packet figure its CPU time counts towards


@dataclass
class Scenario:
    key: str
    builders: dict              # variant -> function(Binaries, Prefix) -> [ProcSpec] or None
    lcores_forwarding: int      # lcores that forward (for the per-lcore rate)
    roles: dict = field(default_factory=lambda: {"fwd": "tx"})  # role -> packets counted: rx|tx


def _sym(binary, prefix, procs):
    specs = []
    for proc_id in range(procs):
        extra = ["--proc-type=primary" if proc_id == 0 else "--proc-type=secondary"]
        # Lcore id = proc id, on CPUs 0 and 1 in turn: with more processes
        # than CPUs the scheduler shares each CPU among its busy pollers.
        lcores = "1@1" if procs == 1 else "%d@%d" % (proc_id, proc_id % 2)
        specs.append(ProcSpec("proc%d" % proc_id,
                              [binary] + eal_args(prefix, lcores, extra=extra)
                              + ["--", "-p", "3", "--num-procs=%d" % procs,
                                 "--proc-id=%d" % proc_id]))
    return specs


def symmetric(procs):
    def ours(bins, prefix):
        b = bins.ours("symmetric_mp")
        return b and _sym(b, prefix, procs)

    def upstream(bins, prefix):
        b = bins.upstream("symmetric_mp")
        return b and _sym(b, prefix, procs)

    def testpmd(bins, prefix):
        b = bins.tool("dpdk-testpmd")
        # The main lcore (0, on CPU 0) only waits on stdin; lcore 1 on CPU 1
        # forwards, as the single symmetric_mp lcore does.
        return b and [ProcSpec("testpmd", [b] + eal_args(prefix, "0@0,1@1")
                               + ["--", "--forward-mode=io", "--nb-cores=1", "--rxq=1",
                                  "--txq=1", "--no-lsc-interrupt"],
                               ready=None)]  # its stdout is a file, so block-buffered

    builders = {"ours": ours, "upstream": upstream}
    if procs == 1:
        builders["testpmd"] = testpmd
    return Scenario("symmetric_mp_%dp" % procs, builders, lcores_forwarding=procs)


def _client_server(server, client, prefix, clients):
    # Server: lcore 0 forwards, lcore 1 (same CPU) prints statistics, as
    # upstream needs a second lcore for that. Clients: lcores 2.. all on CPU 1,
    # so from two clients on they share one CPU (the case upstream's pool ring
    # cannot take: a client preempted inside a put stalls the others).
    specs = [ProcSpec("server", [server] + eal_args(prefix, "0@0,1@0", extra=["--proc-type=primary"])
                      + ["--", "-p", "3", "-n", str(clients)], role="server")]
    for n in range(clients):
        specs.append(ProcSpec("client%d" % n,
                              [client] + eal_args(prefix, "%d@1" % (2 + n),
                                                  extra=["--proc-type=secondary"])
                              + ["--", "-n", str(n)],
                              ready=re.compile(r"Client process %d handling packets|%s"
                                               % (n, re.escape(READY))),
                              role="client"))
    return specs


def client_server(clients):
    def ours(bins, prefix):
        s, c = bins.ours("client_server_mp", "mp_server"), bins.ours("client_server_mp", "mp_client")
        return s and c and _client_server(s, c, prefix, clients)

    def upstream(bins, prefix):
        s, c = bins.upstream("mp_server"), bins.upstream("mp_client")
        return s and c and _client_server(s, c, prefix, clients)

    return Scenario("client_server_mp_%dc" % clients,
                    {"ours": ours, "upstream": upstream}, lcores_forwarding=1,
                    roles={"server": "rx", "client": "tx"})


L2FWD_SLAVE_LCORES = "1@0,2@1"   # lcore 1 on CPU 0 and lcore 2 on CPU 1 forward


def l2fwd_fork_argv(binary, prefix):
    # The master (lcore 0) only supervises; the slaves take lcores 1 and 2.
    return [binary] + eal_args(prefix, "0@0," + L2FWD_SLAVE_LCORES) + ["--", "-p", "3", "-q", "1"]


def l2fwd():
    def ours(bins, prefix):
        b = bins.ours("l2fwd_fork")
        return b and [ProcSpec("l2fwd_fork", l2fwd_fork_argv(b, prefix))]

    def upstream(bins, prefix):
        # The same forwarding lcores; upstream's main lcore (1) forwards too.
        b = bins.upstream("l2fwd")
        return b and [ProcSpec("l2fwd", [b] + eal_args(prefix, L2FWD_SLAVE_LCORES)
                               + ["--", "-p", "3", "-q", "1"], ready="entering main loop")]

    return Scenario("l2fwd", {"ours": ours, "upstream": upstream}, lcores_forwarding=2)


FORWARDING = [symmetric(1), symmetric(2), client_server(1), client_server(2), l2fwd(),
              symmetric(4), symmetric(8), client_server(4), client_server(8)]

# The default run, and the DPDK test plan's scale (1, 2, 4, 8 processes or
# clients, plus the secondaries' start-up time) that --scale runs.
DEFAULT = ["symmetric_mp_1p", "symmetric_mp_2p", "client_server_mp_1c", "client_server_mp_2c",
           "l2fwd"]
SCALE_COUNTS = (1, 2, 4, 8)
SCALE = (["symmetric_mp_%dp" % n for n in SCALE_COUNTS]
         + ["client_server_mp_%dc" % n for n in SCALE_COUNTS])


def start(specs, log_dir, tag, ready_timeout=60.0):
    """Starts the processes in order, each after the previous is ready."""
    procs = []
    for spec in specs:
        p = Process("%s-%s" % (tag, spec.name), spec.argv, log_dir)
        procs.append((spec, p))
        if spec.ready is not None:
            p.wait_for(spec.ready, ready_timeout)
    return procs


def stop(procs):
    """Secondaries first (reverse start order), then the primary."""
    for _, p in reversed(procs):
        p.stop()


def _wait_for_traffic(tele, ports, procs, timeout=20.0):
    """Start-up is over when the ports transmit (every process has joined)."""
    first = sum(tele.port_stats(p)["opackets"] for p in ports)
    deadline = time.monotonic() + timeout
    while sum(tele.port_stats(p)["opackets"] for p in ports) == first:
        for spec, p in procs:
            if not p.running():
                raise BenchError("%s exited during start-up; see %s" % (p.name, p.log_path))
        if time.monotonic() > deadline:
            raise BenchError("no packet transmitted %.0f s after start-up" % timeout)
        time.sleep(0.05)


def _sample(tele, ports, procs):
    t0 = time.monotonic()
    stats = {port: tele.port_stats(port) for port in ports}
    t1 = time.monotonic()
    cpu = {spec.name: p.cpu_ns(tree=True) for spec, p in procs}
    return {"t": (t0 + t1) / 2, "stats": stats, "cpu": cpu}


def run_forwarding(scenario, variant, bins, log_dir, tag, warmup, duration, tsc_hz):
    """One measurement: start, warm up, two counter samples `duration` apart, stop."""
    prefix = Prefix(tag)
    specs = scenario.builders[variant](bins, prefix)
    if not specs:
        prefix.cleanup()
        return None
    procs = []
    tele = None
    try:
        procs = start(specs, log_dir, tag)
        tele = Telemetry(prefix, procs[0][1])
        ports = tele.ports()
        if len(ports) < 2:
            raise BenchError("%s: telemetry lists ports %s, expected 2" % (tag, ports))
        _wait_for_traffic(tele, ports, procs)
        time.sleep(warmup)
        s0 = _sample(tele, ports, procs)
        series = _rate_series(tele, ports, s0["t"] + duration)
        s1 = _sample(tele, ports, procs)
        for spec, p in procs:
            if not p.running():
                raise BenchError("%s exited during the measurement; see %s" % (p.name, p.log_path))
    finally:
        if tele:
            tele.close()
        stop(procs)
        prefix.cleanup()
    row = _rates(scenario, specs, s0, s1, tsc_hz)
    row["mpps_samples"] = series
    return row


SAMPLE_PERIOD = 0.1


def _rate_series(tele, ports, until):
    """Transmit rates (Mpps) over SAMPLE_PERIOD slices until `until`: on a VM
    whose two vCPUs change places, cross-core forwarding switches between a
    fast and a slow state within one window, and the slices show both."""
    rates = []
    last = None
    while True:
        now = time.monotonic()
        if now >= until:
            return rates
        sent = sum(tele.port_stats(p)["opackets"] for p in ports)
        if last is not None and now > last[0]:
            rates.append(round((sent - last[1]) / (now - last[0]) / 1e6, 3))
        last = (now, sent)
        time.sleep(max(0.0, min(SAMPLE_PERIOD, until - time.monotonic())))


def _delta(s0, s1, key):
    return sum(s1["stats"][p][key] - s0["stats"][p][key] for p in s0["stats"])


def _rates(scenario, specs, s0, s1, tsc_hz):
    dt = s1["t"] - s0["t"]
    rx = _delta(s0, s1, "ipackets")
    tx = _delta(s0, s1, "opackets")
    if tx <= 0:
        raise BenchError("no packets forwarded in %.1f s" % dt)
    row = {"seconds": round(dt, 3), "rx_mpps": rx / dt / 1e6, "mpps": tx / dt / 1e6,
           "mpps_per_lcore": tx / dt / 1e6 / scenario.lcores_forwarding}
    total_cpu = 0
    for role, counted in scenario.roles.items():
        cpu = sum(s1["cpu"][s.name] - s0["cpu"][s.name] for s in specs if s.role == role)
        total_cpu += cpu
        packets = rx if counted == "rx" else tx
        row["cpu_" + role] = cpu / 1e9 / dt
        row["cycles_" + role] = cpu / 1e9 * tsc_hz / packets
    row["cycles_per_packet"] = total_cpu / 1e9 * tsc_hz / tx
    # Packets per second of CPU time the benchmark actually got: on a busy
    # machine the scheduler's shares move the plain rate, not this one.
    row["mpps_per_cpu"] = tx / (total_cpu / 1e9) / 1e6
    # Per-queue TX counters tell the clients' shares apart.
    q_tx = [sum(s1["stats"][p]["q_opackets"][q] - s0["stats"][p]["q_opackets"][q]
                for p in s0["stats"]) for q in range(4)]
    row["queue_tx_mpps"] = [round(v / dt / 1e6, 3) for v in q_tx if v]
    return row


def shown_command(argv, build_dir):
    """A command as the docs show it: programs relative to the build folder."""
    first = argv[0]
    first = os.path.relpath(first, build_dir) if first.startswith(build_dir) else os.path.basename(first)
    return " ".join([first] + list(argv[1:]))


class _ShownPrefix:
    name = "PREFIX"


def command_lines(bins, keys):
    """The command of every process of the forwarding benchmarks `keys`, for the docs."""
    lines = []
    for sc in FORWARDING:
        if sc.key not in keys:
            continue
        for variant, builder in sc.builders.items():
            specs = builder(bins, _ShownPrefix())
            if not specs:
                continue
            for spec in specs:
                lines.append("%s %s %s: %s" % (sc.key, variant, spec.name,
                                               shown_command(spec.argv, bins.build_dir)))
    return lines
