# SPDX-License-Identifier: BSD-3-Clause
"""DPDK processes for the benchmarks: prefixes, start/stop, CPU time, telemetry.

Every process the benchmark starts gets its own session (so a Ctrl-C on the
terminal reaches the runner only), is remembered in a registry, and is ended
by PID when a measurement finishes, when the runner fails, or when the user
interrupts it. Every --file-prefix is remembered too, and its hugepage files
and runtime folder are removed at the end.
"""

import glob
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import time


class BenchError(Exception):
    """A benchmark could not be run; the text names the cause."""


def hugetlbfs_mounts():
    mounts = []
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 3 and fields[2] == "hugetlbfs":
                mounts.append(fields[1])
    return mounts


def runtime_root():
    if os.getuid() == 0:
        return "/var/run/dpdk"
    return os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")


class Prefix:
    """A unique EAL --file-prefix whose files are removed by cleanup()."""

    _count = 0

    def __init__(self, tag):
        Prefix._count += 1
        self.name = "mpbench_%s_%d_%d" % (tag, os.getpid(), Prefix._count)
        Registry.prefixes.append(self)

    @property
    def runtime_dir(self):
        return os.path.join(runtime_root(), self.name)

    def leftovers(self):
        found = []
        for mount in hugetlbfs_mounts():
            found += glob.glob(os.path.join(mount, self.name + "map_*"))
        if os.path.exists(self.runtime_dir):
            found.append(self.runtime_dir)
        return found

    def cleanup(self):
        for path in self.leftovers():
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass


class Registry:
    """What the runner started and must end."""

    processes = []
    prefixes = []

    @classmethod
    def cleanup(cls):
        # Secondaries first, primaries last: a primary that leaves first can
        # take shared state with it while a secondary still polls.
        for proc in reversed(cls.processes):
            proc.kill()
        cls.processes.clear()
        for prefix in cls.prefixes:
            prefix.cleanup()
        cls.prefixes.clear()


def eal_args(prefix, lcores, vdevs=("net_null0", "net_null1"), extra=()):
    args = ["--no-pci", "--file-prefix=" + prefix.name, "--lcores=" + lcores]
    args += ["--vdev=" + v for v in vdevs]
    return args + list(extra)


class Process:
    """A started program. Output goes to a log file, or through a pty for
    programs with an interactive prompt (cmdline needs a terminal)."""

    def __init__(self, name, argv, log_dir, interactive=False):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = os.path.join(log_dir, name + ".log")
        self.interactive = interactive
        self._buffer = b""
        self._master = None
        os.makedirs(log_dir, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self._log.write((" ".join(self.argv) + "\n").encode())
        self._log.flush()
        if interactive:
            master, slave = pty.openpty()
            self.popen = subprocess.Popen(self.argv, stdin=slave, stdout=slave, stderr=slave,
                                          start_new_session=True, close_fds=True)
            os.close(slave)
            self._master = master
            os.set_blocking(master, False)
        else:
            # stdin stays an open pipe: dpdk-testpmd waits on it and quits at EOF.
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=self._log,
                                          stderr=subprocess.STDOUT, start_new_session=True,
                                          close_fds=True)
        self.pid = self.popen.pid
        Registry.processes.append(self)

    # -- output -----------------------------------------------------------
    def _pump(self, timeout):
        """Reads what the pty has (interactive) or the log file (otherwise)."""
        if self._master is not None:
            ready, _, _ = select.select([self._master], [], [], timeout)
            if ready:
                try:
                    data = os.read(self._master, 65536)
                except OSError:  # EIO: the other side closed
                    data = b""
                if data:
                    self._buffer += data
                    self._log.write(data)
                return bool(data)
            return False
        time.sleep(timeout)
        with open(self.log_path, "rb") as f:
            self._buffer = f.read()
        return True

    def output(self):
        if self._master is None:
            self._pump(0)
        return self._buffer.decode(errors="replace")

    def wait_for(self, text, timeout):
        """Waits until `text` (str or compiled regex) is in the output."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.output()
            if (text.search(out) if hasattr(text, "search") else text in out):
                return out
            if not self.running():
                self._pump(0.05)
                raise BenchError("%s exited (code %s) before printing %r; see %s"
                                 % (self.name, self.popen.returncode, getattr(text, "pattern", text),
                                    self.log_path))
            if time.monotonic() > deadline:
                raise BenchError("%s printed no %r within %.0f s; see %s"
                                 % (self.name, getattr(text, "pattern", text), timeout, self.log_path))
            self._pump(0.002 if self._master is not None else 0.05)

    def count_in_output(self, text):
        return self._buffer.count(text.encode())

    def pump(self, timeout):
        return self._pump(timeout)

    def drain(self):
        """Reads all the output waiting now (keeps a pty from filling up)."""
        while self._pump(0) and self._master is not None:
            pass

    def find_from(self, needle, start):
        return self._buffer.find(needle, start)

    def write(self, data):
        """Types `data` into an interactive program's terminal."""
        if self._master is None:
            raise BenchError("%s has no terminal to type into" % self.name)
        view = memoryview(data.encode() if isinstance(data, str) else data)
        while view:
            _, ready, _ = select.select([], [self._master], [], 1.0)
            if ready:
                try:
                    view = view[os.write(self._master, view):]
                except BlockingIOError:
                    pass
            # The program echoes what it reads: drain it so it never blocks.
            self._pump(0)

    # -- life cycle -------------------------------------------------------
    def running(self):
        return self.popen.poll() is None

    def cpu_ns(self, tree=False):
        """CPU time the threads of this process (and, with tree, of the
        processes it forked, as l2fwd_fork's slaves) have run, in ns."""
        pids = descendants(self.pid) if tree else [self.pid]
        total = 0
        for pid in pids:
            for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
                try:
                    with open(path) as f:
                        total += int(f.read().split()[0])
                except (OSError, ValueError, IndexError):
                    pass
        return total

    def stop(self, sig=signal.SIGINT, timeout=5.0):
        """Asks the program to quit; kills it (and what it forked) if it won't."""
        if self.running():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return self.popen.returncode

    def kill(self):
        """SIGKILL to the process group this process leads, then reap."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            pass
        if self._master is not None:
            while self._pump(0):
                pass
            os.close(self._master)
            self._master = None
        if self.popen.stdin:
            try:
                self.popen.stdin.close()
            except OSError:
                pass
        if not self._log.closed:
            self._log.close()
        if self in Registry.processes:
            Registry.processes.remove(self)


def children(pid):
    """PIDs forked by any thread of `pid` (a DPDK worker lcore may fork)."""
    found = []
    for path in glob.glob("/proc/%d/task/*/children" % pid):
        try:
            with open(path) as f:
                found += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
    return found


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children(p)
    return out


class Telemetry:
    """Client of a primary's telemetry socket (dpdk_telemetry.v2).

    Reading port counters this way needs no change to the programs and
    disturbs them less than attaching dpdk-proc-info (a whole secondary
    process) would: the primary's telemetry thread answers from shared
    memory, where every process's queue counters live."""

    def __init__(self, prefix, process, timeout=20.0):
        path = os.path.join(prefix.runtime_dir, "dpdk_telemetry.v2")
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if not process.running():
                    raise BenchError("%s exited (code %s) during start-up; see %s"
                                     % (process.name, process.popen.returncode, process.log_path))
                if time.monotonic() > deadline:
                    raise BenchError("no telemetry socket %s after %.0f s" % (path, timeout))
                time.sleep(0.05)
        self.info = json.loads(self.sock.recv(16384))

    def query(self, command):
        self.sock.send(command.encode())
        reply = json.loads(self.sock.recv(1 << 20))
        key = command.split(",")[0]
        return reply.get(key)

    def ports(self):
        return self.query("/ethdev/list") or []

    def port_stats(self, port):
        return self.query("/ethdev/stats,%d" % port)

    def close(self):
        self.sock.close()


def tsc_hz():
    """TSC frequency and where it came from (the kernel's calibration when
    it is readable, else /proc/cpuinfo on CPUs with an invariant TSC)."""
    try:
        out = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=5).stdout
        m = (re.search(r"tsc: Refined TSC clocksource calibration: ([\d.]+) MHz", out)
             or re.search(r"tsc: Detected ([\d.]+) MHz processor", out))
        if m:
            return float(m.group(1)) * 1e6, "dmesg: " + m.group(0)
    except (OSError, subprocess.SubprocessError):
        pass
    with open("/proc/cpuinfo") as f:
        text = f.read()
    m = re.search(r"cpu MHz\s*:\s*([\d.]+)", text)
    if not m:
        raise BenchError("cannot find the TSC frequency (no dmesg line, no 'cpu MHz')")
    return float(m.group(1)) * 1e6, "/proc/cpuinfo cpu MHz"
