# SPDX-License-Identifier: BSD-3-Clause
"""Unit tests of the runner's pure parts (no DPDK): python3 -m unittest discover bench"""

import contextlib
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import interactive  # noqa: E402
import report  # noqa: E402
import run as bench_run  # noqa: E402
import scenarios  # noqa: E402
from dpdkproc import Prefix, Registry  # noqa: E402


def run(bench, variant, rnd, **values):
    row = {"benchmark": bench, "variant": variant, "round": rnd}
    row.update(values)
    return row


class SummaryTest(unittest.TestCase):
    def test_ratio_is_the_median_of_per_round_ratios(self):
        runs = [run("symmetric_mp_1p", "ours", 1, mpps=100.0, cycles_per_packet=20.0),
                run("symmetric_mp_1p", "upstream", 1, mpps=50.0, cycles_per_packet=40.0),
                run("symmetric_mp_1p", "ours", 2, mpps=90.0, cycles_per_packet=20.0),
                run("symmetric_mp_1p", "upstream", 2, mpps=100.0, cycles_per_packet=20.0),
                run("symmetric_mp_1p", "ours", 3, mpps=110.0, cycles_per_packet=20.0),
                run("symmetric_mp_1p", "upstream", 3, mpps=100.0, cycles_per_packet=20.0)]
        row = next(r for r in report.summarize(runs) if r["metric"] == "mpps")
        self.assertEqual(row["against"], "upstream")
        self.assertAlmostEqual(row["ratio"], 1.1)      # ratios 2.0, 0.9, 1.1
        self.assertAlmostEqual(row["ratio_min"], 0.9)
        self.assertAlmostEqual(row["ratio_max"], 2.0)
        self.assertEqual(row["ours"], 100.0)
        self.assertEqual(row["other"], 100.0)
        self.assertEqual(row["verdict"], "holds")

    def test_failed_runs_and_missing_partners_are_left_out(self):
        runs = [run("l2fwd", "ours", 1, mpps_per_lcore=10.0, cycles_per_packet=1.0),
                run("l2fwd", "upstream", 1, error="crashed"),
                run("l2fwd", "ours", 2, mpps_per_lcore=9.0, cycles_per_packet=1.0),
                run("l2fwd", "upstream", 2, mpps_per_lcore=10.0, cycles_per_packet=1.0)]
        row = next(r for r in report.summarize(runs) if r["metric"] == "mpps_per_lcore")
        self.assertEqual(row["rounds"], 1)
        self.assertAlmostEqual(row["ratio"], 0.9)
        self.assertEqual(row["verdict"], "misses")

    def test_within_noise_when_some_rounds_reach_the_target(self):
        runs = []
        for rnd, ours in enumerate([0.97, 0.98, 1.01], start=1):
            runs += [run("l2fwd", "ours", rnd, mpps_per_lcore=ours, cycles_per_packet=1.0),
                     run("l2fwd", "upstream", rnd, mpps_per_lcore=1.0, cycles_per_packet=1.0)]
        row = next(r for r in report.summarize(runs) if r["metric"] == "mpps_per_lcore")
        self.assertEqual(row["verdict"], "within noise")

    def test_slow_and_fast_states_come_from_the_pooled_samples(self):
        # Ours: 20 slow and 20 fast slices; upstream the same at 3/4 the rate.
        ours = [20.0] * 20 + [60.0] * 20
        up = [15.0] * 20 + [45.0] * 20
        runs = [run("client_server_mp_1c", "ours", 1, mpps=40.0, mpps_samples=ours[:20]),
                run("client_server_mp_1c", "upstream", 1, mpps=30.0, mpps_samples=up[20:]),
                run("client_server_mp_1c", "ours", 2, mpps=40.0, mpps_samples=ours[20:]),
                run("client_server_mp_1c", "upstream", 2, mpps=30.0, mpps_samples=up[:20])]
        rows = {r["metric"]: r for r in report.summarize(runs)}
        self.assertEqual((rows["mpps_p10"]["ours"], rows["mpps_p10"]["other"]), (20.0, 15.0))
        self.assertEqual((rows["mpps_p90"]["ours"], rows["mpps_p90"]["other"]), (60.0, 45.0))
        self.assertAlmostEqual(rows["mpps_p90"]["ratio"], 4 / 3)
        # Too few samples: no state rows.
        runs = [run("client_server_mp_2c", v, 1, mpps=1.0, mpps_samples=[1.0] * 5)
                for v in ("ours", "upstream")]
        self.assertNotIn("mpps_p10", {r["metric"] for r in report.summarize(runs)})

    def test_absolute_target(self):
        runs = [run("l2fwd_fork_recovery", "ours", 0, recovery_median_ms=250.0, recovery_max_ms=400.0)]
        row = next(r for r in report.summarize(runs) if r["metric"] == "recovery_median_ms")
        self.assertEqual((row["target"], row["verdict"]), ("<= 200", "misses"))


class OutputTest(unittest.TestCase):
    RUNS = [run("symmetric_mp_1p", v, r, mpps=m, cycles_per_packet=c)
            for r in (1, 2) for v, m, c in (("ours", 100.0, 20.0), ("upstream", 95.0, 21.0),
                                            ("testpmd", 101.0, 19.0))]

    def test_svg_is_well_formed_and_shows_every_variant(self):
        svg = report.svg_chart(self.RUNS, {"host_cpu": "cpu <x>", "cpus": 2, "dpdk": "22.11", "date": "d"})
        root = ET.fromstring(svg)
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        for needle in ("symmetric_mp_1p", "ours", "upstream", "testpmd", "1.05"):
            self.assertIn(needle, texts)

    # What only the run report may say: when, at which commit, under what load.
    INFO = {"date": "2031-02-03 04:05 UTC", "host_cpu": "Some CPU", "cpus": 2,
            "os": "Debian GNU/Linux 12 (bookworm)", "dpdk": "22.11.11", "kernel": "6.1.0-k",
            "tsc_hz": 2e9, "commit": "abc1234", "rounds": 2, "duration_s": 4, "load_before": 3.25,
            "load_after": 4.5, "elapsed_s": 321, "command": "bench/run.py --update-docs"}
    RUN_REPORT_ONLY = ("2031-02-03", "04:05", "abc1234", "3.25", "4.50", "321", "6.1.0-k",
                       "Target", "Verdict", "holds", ">= 1.00x")

    @staticmethod
    def docs_with_blocks(docs):
        with open(os.path.join(docs, "performance.rst"), "w") as f:
            f.write("Title\n=====\n\n%s\nold\n%s\nmid\n%s\nold 24\n%s\n%s\nold table\n%s\ntail\n"
                    % (report.begin_marker("22.11"), report.end_marker("22.11"),
                       report.begin_marker("24.11"), report.end_marker("24.11"),
                       report.SIDE_BY_SIDE_BEGIN, report.SIDE_BY_SIDE_END))

    def test_rst_results_block_is_replaced(self):
        with tempfile.TemporaryDirectory() as docs:
            self.docs_with_blocks(docs)
            report.update_docs(docs, self.INFO, self.RUNS, report.summarize(self.RUNS),
                               ["symmetric_mp_1p ours proc0: x"])
            with open(os.path.join(docs, "performance.rst")) as f:
                text = f.read()
            self.assertNotIn("\nold\n", text)
            self.assertIn("\nold 24\n", text, "another release's block is left alone")
            self.assertNotIn("\nold table\n", text)
            self.assertIn(".. list-table::", text)
            self.assertIn("symmetric_mp_1p ours proc0: x", text)
            self.assertIn("     - DPDK 22.11", text)
            self.assertTrue(text.endswith(report.SIDE_BY_SIDE_END + "\ntail\n"))
            self.assertTrue(os.path.exists(os.path.join(docs, "perf_throughput_22.11.svg")))

    def test_docs_show_what_interprets_the_numbers_and_no_run_report(self):
        with tempfile.TemporaryDirectory() as docs:
            self.docs_with_blocks(docs)
            report.update_docs(docs, self.INFO, self.RUNS, report.summarize(self.RUNS), [])
            with open(os.path.join(docs, "performance.rst")) as f:
                text = f.read()
            block = text[text.index(report.begin_marker("22.11")):text.index(report.end_marker("22.11"))]
            self.assertIn("\nSome CPU (2 CPUs), Debian GNU/Linux 12 (bookworm), DPDK 22.11.11; "
                          "2 rounds of 4 s windows. Made by::\n\n   bench/run.py --update-docs\n", block)
            self.assertIn("   * - Benchmark\n     - Metric\n     - Ours\n     - Other\n"
                          "     - Ratio ours/other (median, range)\n   * - symmetric_mp_1p\n", block)
            for name in ("perf_throughput_22.11.svg", "perf_summary_22.11.csv"):
                with open(os.path.join(docs, name)) as f:
                    text += f.read()
            for needle in self.RUN_REPORT_ONLY:
                self.assertNotIn(needle, text)

    def test_the_run_report_keeps_what_the_docs_leave_out(self):
        with tempfile.TemporaryDirectory() as out:
            report.write_all(out, self.INFO, self.RUNS, report.summarize(self.RUNS))
            with open(os.path.join(out, "report.txt")) as f:
                text = f.read()
            for needle in self.RUN_REPORT_ONLY:
                self.assertIn(needle, text)
            with open(os.path.join(out, "summary.csv")) as f:
                self.assertIn(",target,verdict", f.readline())


class RenderStoredTest(unittest.TestCase):
    """bench/run.py --render-docs: the docs blocks from a results folder alone."""

    def test_blocks_and_run_report_come_from_results_json(self):
        runs = OutputTest.RUNS + [run("simple_mp", "ours", 1, rtt_p50_us=1.0)]
        with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as docs:
            report.write_all(out, OutputTest.INFO, runs, report.summarize(runs))
            os.remove(os.path.join(out, "report.txt"))
            OutputTest.docs_with_blocks(docs)
            with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
                self.assertEqual(bench_run.render_stored([out], docs), 0)
            with open(os.path.join(docs, "performance.rst")) as f:
                text = f.read()
            self.assertIn("\n   symmetric_mp_1p ours proc0: symmetric_mp/symmetric_mp --no-pci "
                          "--file-prefix=PREFIX --lcores=1@1 ", text)
            self.assertIn("\n   symmetric_mp_1p upstream proc0: tests/upstream/upstream_symmetric_mp ", text)
            self.assertIn("\n   symmetric_mp_1p testpmd testpmd: dpdk-testpmd --no-pci ", text)
            self.assertIn("\n   simple_mp ours primary: simple_mp/simple_mp ", text)
            # Only what ran: no upstream simple_mp, no l2fwd_fork.
            self.assertNotIn("upstream_simple_mp", text)
            self.assertNotIn("l2fwd", text)
            self.assertIn("\nold 24\n", text)
            self.assertTrue(os.path.exists(os.path.join(out, "report.txt")))


class RateTest(unittest.TestCase):
    """_rates: what a window of port and CPU counters becomes."""

    class Scenario:
        lcores_forwarding = 2
        roles = {"forward": "tx"}

    class Spec:
        def __init__(self, name, role):
            self.name, self.role = name, role

    @staticmethod
    def snapshot(t, rx, tx, cpu_ns):
        return {"t": t, "cpu": {"p0": cpu_ns},
                "stats": {0: {"ipackets": rx, "opackets": tx, "q_opackets": [tx, 0, 0, 0]}}}

    def test_two_seconds_of_counters(self):
        s0 = self.snapshot(10.0, 1_000_000, 1_000_000, 5e9)
        s1 = self.snapshot(12.0, 5_200_000, 5_000_000, 5e9 + 2e9)
        row = scenarios._rates(self.Scenario, [self.Spec("p0", "forward")], s0, s1, 2e9)
        self.assertEqual(row["seconds"], 2.0)
        self.assertAlmostEqual(row["mpps"], 2.0)
        self.assertAlmostEqual(row["rx_mpps"], 2.1)
        self.assertAlmostEqual(row["mpps_per_lcore"], 1.0)
        self.assertAlmostEqual(row["cpu_forward"], 1.0)  # one CPU busy all along
        self.assertAlmostEqual(row["cycles_forward"], 1000.0)  # 2 s x 2 GHz / 4 M packets
        self.assertAlmostEqual(row["cycles_per_packet"], 1000.0)
        self.assertAlmostEqual(row["mpps_per_cpu"], 2.0)
        self.assertEqual(row["queue_tx_mpps"], [2.0])

    def test_a_window_without_packets_is_an_error(self):
        s0 = self.snapshot(0.0, 7, 7, 0)
        with self.assertRaises(scenarios.BenchError):
            scenarios._rates(self.Scenario, [self.Spec("p0", "forward")], s0,
                             self.snapshot(1.0, 7, 7, 1e9), 2e9)


class PieceTest(unittest.TestCase):
    def test_percentile_interpolates(self):
        self.assertEqual(report.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50), 3.0)
        self.assertAlmostEqual(report.percentile([0.0, 10.0], 99), 9.9)

    def test_every_process_gets_no_pci_a_null_port_and_its_own_prefix(self):
        lines = scenarios.command_lines(scenarios.Binaries("/nonexistent"),
                                        [sc.key for sc in scenarios.FORWARDING])
        # Only what is installed: testpmd (package dpdk), none of ours.
        self.assertTrue(lines, "dpdk-testpmd is not installed")
        self.assertTrue(all(" testpmd " in line for line in lines), lines)
        prefix = Prefix("unit")
        try:
            for sc in scenarios.FORWARDING:
                for variant, builder in sc.builders.items():
                    fake = scenarios.Binaries("/b")
                    fake.ours = lambda app, name=None: "/b/" + (name or app)
                    fake.upstream = lambda name: "/b/upstream_" + name
                    fake.tool = staticmethod(lambda name: "/usr/bin/" + name)
                    for spec in builder(fake, prefix):
                        self.assertIn("--no-pci", spec.argv, (sc.key, variant))
                        self.assertIn("--file-prefix=" + prefix.name, spec.argv)
                        self.assertIn("--vdev=net_null0", spec.argv)
        finally:
            Registry.cleanup()

    def test_scale_processes_have_their_own_lcore_ids_on_both_cpus(self):
        fake = scenarios.Binaries("/b")
        fake.ours = lambda app, name=None: "/b/" + (name or app)
        fake.upstream = lambda name: "/b/upstream_" + name
        prefix = Prefix("unit")
        try:
            for key, cpus in (("symmetric_mp_8p", {"0", "1"}), ("client_server_mp_8c", {"0", "1"})):
                sc = next(s for s in scenarios.FORWARDING if s.key == key)
                lcores = [a.split("=", 1)[1] for spec in sc.builders["ours"](fake, prefix)
                          for a in spec.argv if a.startswith("--lcores=")]
                ids = [pair.split("@")[0] for arg in lcores for pair in arg.split(",")]
                self.assertEqual(len(ids), len(set(ids)), (key, lcores))
                self.assertEqual({pair.split("@")[1] for arg in lcores for pair in arg.split(",")}, cpus)
                self.assertEqual(len(lcores), 8 if key.endswith("p") else 9)
        finally:
            Registry.cleanup()


class ScaleTest(unittest.TestCase):
    RUNS = ([run("symmetric_mp_%dp" % n, v, r, mpps=m * r) for r in (1, 2)
             for n, mo, mu in ((2, 40.0, 40.0), (4, 38.0, 40.0), (8, 30.0, 30.0))
             for v, m in (("ours", mo), ("upstream", mu))]
            + [run("startup_mp_client", v, i, startup_ms=ms)
               for i in range(1, 4) for v, ms in (("ours", 10.0 + i), ("upstream", 12.0 + i))])

    def test_ours_against_ours_at_two_is_per_round_and_judged(self):
        rows = report.scale_rows(self.RUNS, report.summarize(self.RUNS))
        by_count = {r["count"]: r for r in rows}
        self.assertIsNone(by_count[2]["vs2"])
        self.assertAlmostEqual(by_count[4]["vs2"], 0.95)
        self.assertEqual(by_count[4]["vs2_verdict"], "holds")
        self.assertAlmostEqual(by_count[8]["vs2"], 0.75)
        self.assertEqual(by_count[8]["vs2_verdict"], "misses")
        self.assertAlmostEqual(by_count[4]["ratio"], 0.95)
        self.assertEqual(by_count[4]["verdict"], "misses")

    def test_a_shorter_start_up_holds_its_target(self):
        summary = report.summarize(self.RUNS)
        row = next(r for r in summary if r["benchmark"] == "startup_mp_client")
        self.assertEqual(row["target"], "<= 1.00x upstream")
        self.assertEqual(row["verdict"], "holds")
        (start,) = report.startup_rows(self.RUNS, summary)
        self.assertEqual((start["ours"], start["upstream"]), (12.0, 14.0))
        self.assertEqual(start["verdict"], "holds")
        slower = [dict(r, startup_ms=r["startup_ms"] + 5) if "startup_ms" in r and r["variant"] == "ours"
                  else r for r in self.RUNS]
        self.assertEqual(report.startup_rows(slower, report.summarize(slower))[0]["verdict"], "misses")
        self.assertEqual(next(r for r in report.summarize(slower)
                              if r["benchmark"] == "startup_mp_client")["verdict"], "misses")

    def test_start_up_ratio_pairs_the_starts_taken_in_turns(self):
        # Ours is faster in two pairs of three, but its median (30) is over
        # upstream's (12): the table must show the paired median, 10/11.
        pairs = ((10.0, 11.0), (30.0, 12.0), (31.0, 40.0))
        runs = [run("startup_mp_client", v, i, startup_ms=ms)
                for i, pair in enumerate(pairs, 1) for v, ms in zip(("ours", "upstream"), pair)]
        (start,) = report.startup_rows(runs, report.summarize(runs))
        self.assertEqual((start["ours"], start["upstream"]), (30.0, 12.0))
        self.assertAlmostEqual(start["ratio"], 10.0 / 11.0)
        self.assertEqual(start["verdict"], "holds")

    def test_scale_block_of_one_release_is_replaced(self):
        info = {"date": "2031-02-03 04:05 UTC", "host_cpu": "c", "cpus": 2, "os": "o", "dpdk": "24.11.3",
                "kernel": "k", "tsc_hz": 2e9, "commit": "abc", "rounds": 2, "duration_s": 4, "load_before": 0.1, "load_after": 0.2,
                "elapsed_s": 10, "command": "bench/run.py --scale"}
        with tempfile.TemporaryDirectory() as docs:
            with open(os.path.join(docs, "performance.rst"), "w") as f:
                f.write("T\n=\n\n%s\nold\n%s\n%s\nold 22\n%s\ntail\n"
                        % (report.scale_begin_marker("24.11"), report.scale_end_marker("24.11"),
                           report.scale_begin_marker("22.11"), report.scale_end_marker("22.11")))
            report.update_scale_docs(docs, info, self.RUNS, report.summarize(self.RUNS), ["x: y"])
            with open(os.path.join(docs, "performance.rst")) as f:
                text = f.read()
            self.assertNotIn("\nold\n", text)
            self.assertIn("\nold 22\n", text)
            self.assertIn("\nc (2 CPUs), o, DPDK 24.11.3; 2 rounds of 4 s windows. Made by::\n", text)
            self.assertIn("   * - 8\n     - 45.00\n     - 45.00\n     - 1.000 (1.000-1.000)\n"
                          "     - 0.75\n\n", text)
            self.assertIn("   * - mp_client\n     - 12.0 (p90 12.8)\n     - 14.0 (p90 14.8)\n"
                          "     - 0.857 (0.846-0.867)\n     - 3\n", text)
            for needle in ("Target", "misses", "holds", ">=", "<=", "abc", "0.10", "0.20", "2031"):
                self.assertNotIn(needle, text)
            judged = report.run_report(info, self.RUNS, report.summarize(self.RUNS))
            for needle in ("0.75 (misses)", "0.857 (0.846-0.867) (holds)", ">= 1.00x upstream: holds", "load average 0.10"):
                self.assertIn(needle, judged)
            root = ET.parse(os.path.join(docs, "perf_scale_24.11.svg")).getroot()
            texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
            self.assertIn("mp_client", texts)


@unittest.skipUnless(os.environ.get("MP_BUILD_ROOT"), "MP_BUILD_ROOT (the build folder) is not set")
class C2cProbeTest(unittest.TestCase):
    """The cache-line transfer probe the runner reads before each run."""

    probe = os.path.join(os.environ.get("MP_BUILD_ROOT", ""), "bench", "c2c_latency")

    def test_prints_a_latency_in_ns(self):
        out = subprocess.run([self.probe, "0", "1", "2000"], capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertGreater(int(out.stdout), 0)

    def test_a_cpu_that_does_not_exist_is_one_line_and_exit_1(self):
        out = subprocess.run([self.probe, "0", "4095", "10"], capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertEqual(out.stderr, "c2c_latency: cannot pin to CPUs 0 and 4095\n")


if __name__ == "__main__":
    unittest.main()
