#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmarks: this suite against the upstream C examples and dpdk-testpmd.

Runs ours and upstream alternately (A B A B ...) over several rounds on the
same net_null ports, lcores and durations, and reports per-round ratios and
their medians. Python 3 standard library only.

    bench/run.py            full run (about 8 minutes on 2 CPUs)
    bench/run.py --quick    one round, short windows (under 2 minutes)
    bench/run.py --only symmetric_mp_1p,simple_mp --rounds 3
    bench/run.py --scale    DPDK's test-plan scale: 1-8 processes and clients,
                            secondary start-up times (about 8 minutes)

Results go to bench/results/<DPDK release>/ (results.json, runs.csv, summary.csv,
throughput.svg, report.txt, logs/); --update-docs also writes the summary and
the plot to docs/ and rewrites the results block of docs/performance.rst.

    bench/run.py --render-docs bench/results/22.11 bench/results/24.11
                            rewrite those blocks from stored results, running nothing
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import interactive  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
import startup  # noqa: E402
from dpdkproc import BenchError, Registry, hugetlbfs_mounts, tsc_hz  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.environ.get("BUILD_DIR", os.path.join(TOP, "build")),
                    help="Meson build folder with our programs and the upstream examples "
                         "(default: $BUILD_DIR, else build/)")
    ap.add_argument("--out", help="where results and logs are written "
                                  "(default: bench/results/<DPDK release>/)")
    ap.add_argument("--rounds", type=int, help="A/B rounds (default 5, --quick 1)")
    ap.add_argument("--duration", type=float, help="seconds measured per run (default 4, --quick 2)")
    ap.add_argument("--warmup", type=float, help="seconds between start-up and the first sample (default 1)")
    ap.add_argument("--messages", type=int, help="simple_mp round trips per run (default 400, --quick 100)")
    ap.add_argument("--kills", type=int, help="l2fwd_fork recoveries measured (default 20, --quick 5)")
    ap.add_argument("--starts", type=int, help="secondary start-ups timed per program and variant "
                                               "(default 20, --quick 5)")
    ap.add_argument("--quick", action="store_true", help="one round with short windows (< 2 minutes)")
    ap.add_argument("--scale", action="store_true",
                    help="the test plan's scale instead of the default set: symmetric_mp with 1, 2, 4, "
                         "8 processes, client_server_mp with 1, 2, 4, 8 clients, start-up times")
    ap.add_argument("--only", help="comma-separated benchmarks: " + ", ".join(all_benchmarks()))
    ap.add_argument("--no-build", action="store_true", help="do not run ninja first")
    ap.add_argument("--update-docs", action="store_true",
                    help="copy the summary and plot to docs/ and update docs/performance.rst")
    ap.add_argument("--render-docs", nargs="+", metavar="RESULTS_DIR",
                    help="run nothing: rewrite the docs blocks (and report.txt) of these results folders "
                         "from their results.json")
    a = ap.parse_args(argv)
    quick = a.quick
    a.rounds = a.rounds or (1 if quick else 5)
    a.duration = a.duration or (2.0 if quick else 4.0)
    a.warmup = a.warmup if a.warmup is not None else (0.5 if quick else 1.0)
    a.messages = a.messages or (100 if quick else 400)
    a.kills = a.kills or (5 if quick else 20)
    a.starts = a.starts or (5 if quick else 20)
    if a.only:
        selected = [s.strip() for s in a.only.split(",") if s.strip()]
    elif a.scale:
        selected = scenarios.SCALE + ["startup"]
    else:
        selected = scenarios.DEFAULT + ["simple_mp", "l2fwd_fork_recovery"]
    unknown = [s for s in selected if s not in all_benchmarks()]
    if unknown:
        ap.error("unknown benchmark %s (known: %s)" % (", ".join(unknown), ", ".join(all_benchmarks())))
    a.selected = selected
    return a


def all_benchmarks():
    return [s.key for s in scenarios.FORWARDING] + ["simple_mp", "l2fwd_fork_recovery", "startup"]


def machine_info(tsc):
    def cmd(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "host_cpu": model,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "os": cmd("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "dpdk": cmd("pkg-config", "--modversion", "libdpdk"),
        "compiler": cmd("c++", "--version").split("\n")[0],
        "tsc_hz": tsc[0],
        "tsc_source": tsc[1],
        # scripts/debian-root.sh names it: its roots have no git.
        "commit": os.environ.get("MP_GIT_COMMIT") or cmd("git", "-C", TOP, "rev-parse", "--short", "HEAD"),
        "load_before": os.getloadavg()[0],
        "perf_cycles": perf_cycles_available(),
    }


def perf_cycles_available():
    """Whether `perf stat -e cycles` counts here (virtual machines often expose
    no hardware counters); the runner uses CPU time x TSC either way."""
    try:
        out = subprocess.run(["perf", "stat", "-x,", "-e", "cycles", "true"], capture_output=True,
                             text=True, timeout=10).stderr
    except (OSError, subprocess.SubprocessError):
        return "perf not installed"
    return "not supported" if "not supported" in out or "not counted" in out else "supported"


def debian_root_prefix():
    """How the run was entered when it runs in a root of scripts/debian-root.sh
    (which leaves its stamp at /), so that the command shown repeats it."""
    if not os.path.exists("/.dpdk-mp-cpp-root"):
        return []
    with open("/etc/os-release") as f:
        codename = next((line.split("=", 1)[1].strip().strip('"') for line in f
                         if line.startswith("VERSION_CODENAME=")), "")
    return ["scripts/debian-root.sh", codename] if codename else []


def check_hugepages():
    if not hugetlbfs_mounts():
        raise BenchError("no hugetlbfs is mounted: run scripts/setup.sh (as root) first")
    with open("/proc/meminfo") as f:
        free = [int(line.split()[1]) for line in f if line.startswith("HugePages_Free")]
    if not free or free[0] < 256:
        raise BenchError("only %s free hugepages: run scripts/setup.sh (as root) first"
                         % (free[0] if free else 0))


def c2c_latency_ns(build_dir):
    """One-way cache-line transfer time between CPUs 0 and 1 (median of 3
    short readings), or None when the probe is not built. On a VM it moves
    with where the two vCPUs sit, and cross-core forwarding moves with it."""
    probe = os.path.join(build_dir, "bench", "c2c_latency")
    if not os.access(probe, os.X_OK):
        return None
    readings = []
    for _ in range(3):
        try:
            out = subprocess.run([probe, "0", "1", "20000"], capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            return None  # a crowded machine: the figure would say nothing anyway
        if out.returncode != 0:
            return None
        readings.append(int(out.stdout))
    return sorted(readings)[1]


def build(build_dir):
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        subprocess.run(["meson", "setup", build_dir, TOP], check=True)
    subprocess.run(["ninja", "-C", build_dir], check=True)


def forwarding_round(a, bins, log_dir, rnd, tsc, runs):
    """Round `rnd` of every selected forwarding benchmark, each variant once:
    a row each appended to `runs`, a line each printed."""
    for sc in scenarios.FORWARDING:
        if sc.key not in a.selected:
            continue
        for variant in sc.builders:
            tag = "%s_%s_r%d" % (sc.key, variant, rnd)
            row = {"benchmark": sc.key, "variant": variant, "round": rnd,
                   "c2c_ns": c2c_latency_ns(a.build_dir)}
            try:
                res = scenarios.run_forwarding(sc, variant, bins, log_dir, tag, a.warmup,
                                               a.duration, tsc[0])
                if res is None:
                    print("round %d %-20s %-8s not built, skipped" % (rnd, sc.key, variant))
                    continue
                row.update(res)
                ours = next((r for r in runs if r["benchmark"] == sc.key and r["round"] == rnd
                             and r["variant"] == "ours" and "mpps" in r), None)
                ratio = ("  ours/%s %.3f" % (variant, ours["mpps"] / res["mpps"])
                         if ours and variant != "ours" else "")
                c2c = " c2c %d ns" % row["c2c_ns"] if row["c2c_ns"] is not None else ""
                print("round %d %-20s %-8s %8.2f Mpps  %6.1f cycles/pkt  (rx %.2f Mpps%s)%s"
                      % (rnd, sc.key, variant, res["mpps"], res["cycles_per_packet"], res["rx_mpps"],
                         c2c, ratio))
            except BenchError as e:
                row["error"] = str(e)
                print("round %d %-20s %-8s FAILED: %s" % (rnd, sc.key, variant, e))
            runs.append(row)


def run(a):
    started = time.monotonic()
    check_hugepages()
    if not a.no_build:
        build(a.build_dir)
    tsc = tsc_hz()
    info = machine_info(tsc)
    if a.out is None:
        a.out = os.path.join(TOP, "bench", "results", report.release_of(info["dpdk"]),
                             *(["scale"] if a.scale else []))
    log_dir = os.path.join(a.out, "logs")
    os.makedirs(log_dir, exist_ok=True)
    info["command"] = " ".join(debian_root_prefix() + ["bench/run.py"] + [shlex.quote(x) for x in sys.argv[1:]])
    info.update(rounds=a.rounds, duration_s=a.duration, warmup_s=a.warmup)
    bins = scenarios.Binaries(a.build_dir)
    if not any([bins.ours("symmetric_mp"), bins.ours("simple_mp"), bins.ours("l2fwd_fork"),
                bins.upstream("symmetric_mp")]):
        raise BenchError("no program is built in %s: run scripts/setup.sh, or give --build-dir"
                         % a.build_dir)
    print("machine: %s, %d CPUs, DPDK %s, TSC %.1f MHz, perf cycles %s, load %.2f"
          % (info["host_cpu"], info["cpus"], info["dpdk"], tsc[0] / 1e6, info["perf_cycles"],
             info["load_before"]))
    if info["load_before"] > 0.5:
        print("note: the load average is %.2f: other work shares the CPUs, so packet rates will be "
              "noisy (cycles per packet less so)" % info["load_before"])
    runs = []
    for rnd in range(1, a.rounds + 1):
        forwarding_round(a, bins, log_dir, rnd, tsc, runs)
        if "simple_mp" in a.selected:
            runs += interactive.run_simple_mp(bins, log_dir, rnd, a.messages)
    if "l2fwd_fork_recovery" in a.selected:
        runs += interactive.run_recovery(bins, log_dir, a.kills, a.warmup)
    if "startup" in a.selected:
        runs += startup.run_startup(bins, log_dir, a.starts)
    info["elapsed_s"] = round(time.monotonic() - started, 1)
    info["load_after"] = os.getloadavg()[0]
    summary = report.summarize(runs)
    report.write_all(a.out, info, runs, summary)
    print()
    print(report.run_report(info, runs, summary))
    print("results in %s (%.0f s); report.txt is the run report for an issue note"
          % (a.out, info["elapsed_s"]))
    if a.scale:
        with open(os.path.join(a.out, "scale.svg"), "w") as f:
            f.write(report.scale_svg(runs, summary, info))
    if a.update_docs:
        render_docs(os.path.join(TOP, "docs"), info, runs, summary)
    return 0


def process_lines(runs):
    """The command of every process that `runs` started, as the docs show it
    (build folder paths, PREFIX for the --file-prefix): made from the
    benchmarks and variants in the runs, so stored results need no build."""
    bins = scenarios.ShownBinaries("build")
    ran = {(r["benchmark"], r["variant"]) for r in runs}
    lines = (scenarios.command_lines(bins, {b for b, _ in ran}) + interactive.command_lines(bins)
             + startup.command_lines(bins))
    return [line for line in lines if tuple(line.split(" ", 2)[:2]) in ran]


def render_docs(docs, info, runs, summary):
    """Rewrites the docs block of one run: the scale block of a --scale run,
    else the results block and the side-by-side table."""
    rel = report.release_of(info["dpdk"])
    if report.is_scale(info):
        report.update_scale_docs(docs, info, runs, summary, process_lines(runs))
        print("docs/performance.rst (DPDK %s scale tables) and docs/perf_scale_%s.svg updated" % (rel, rel))
    else:
        report.update_docs(docs, info, runs, summary, process_lines(runs))
        print("docs/performance.rst (DPDK %s results, side-by-side table), docs/perf_summary_%s.csv "
              "and docs/perf_throughput_%s.svg updated" % (rel, rel, rel))


def render_stored(results_dirs, docs):
    """--render-docs: the docs blocks and report.txt of stored results."""
    for out in results_dirs:
        path = os.path.join(out, "results.json")
        try:
            with open(path) as f:
                stored = json.load(f)
        except (OSError, ValueError) as e:
            raise BenchError("cannot read %s: %s" % (path, e))
        info, runs = stored["machine"], stored["runs"]
        summary = report.summarize(runs)
        report.write_report(out, info, runs, summary)
        render_docs(docs, info, runs, summary)
    return 0


def main(argv):
    a = parse_args(argv)
    # SIGTERM/SIGHUP end the run like Ctrl-C does, through the finally below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    try:
        if a.render_docs:
            return render_stored(a.render_docs, os.path.join(TOP, "docs"))
        return run(a)
    except BenchError as e:
        print("bench: error: %s" % e, file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print("bench: error: %s failed (exit %s)" % (" ".join(e.cmd), e.returncode), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        return 130
    finally:
        Registry.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
