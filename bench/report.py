# SPDX-License-Identifier: BSD-3-Clause
"""Medians, ratios, targets, and the files a run leaves: JSON, CSV, an SVG
bar chart drawn here (no plotting library), the run report (report.txt: when,
where, at which commit, under what load, and each target's verdict) and the
RST blocks of docs/performance.rst, which show only what a reader needs to
interpret the numbers (the manual is no run report)."""

import csv
import json
import math
import os
import re
import statistics
from xml.sax.saxutils import escape

_SYMMETRIC_MULTI = [("mpps", "Mpps", True), ("mpps_per_lcore", "Mpps/lcore", True),
                    ("mpps_per_cpu", "Mpps per CPU-second", True),
                    ("cycles_per_packet", "cycles/pkt", False)]
_CLIENT_SERVER = [("mpps", "Mpps", True), ("mpps_per_cpu", "Mpps per CPU-second", True),
                  ("cycles_server", "server cycles/pkt", False),
                  ("cycles_client", "client cycles/pkt", False)]

# The secondaries whose start-up bench/startup.py times.
STARTUP_PROGRAMS = ("symmetric_mp", "mp_client", "simple_mp")

# What each benchmark is judged by: (metric, unit, higher_is_better, label).
METRICS = {
    "symmetric_mp_1p": [("mpps", "Mpps", True), ("mpps_per_cpu", "Mpps per CPU-second", True),
                        ("cycles_per_packet", "cycles/pkt", False)],
    **{"symmetric_mp_%dp" % n: _SYMMETRIC_MULTI for n in (2, 4, 8)},
    **{"client_server_mp_%dc" % n: _CLIENT_SERVER for n in (1, 2, 4, 8)},
    **{"startup_" + p: [("startup_ms", "secondary start-up ms", False)]
       for p in STARTUP_PROGRAMS},
    "l2fwd": [("mpps_per_lcore", "Mpps/lcore", True), ("mpps_per_cpu", "Mpps per CPU-second", True),
              ("cycles_per_packet", "cycles/pkt", False)],
    "simple_mp": [("rtt_p50_us", "round trip p50 us", False), ("rtt_p99_us", "round trip p99 us", False),
                  ("msgs_per_s", "messages/s", True)],
    "l2fwd_fork_recovery": [("recovery_median_ms", "recovery median ms", False),
                            ("recovery_max_ms", "recovery worst ms", False),
                            ("not_recovered", "kills not recovered", False),
                            ("median_exited_ms", "killed slave gone (kernel), median ms", False),
                            ("median_noticed_ms", "death noticed, median ms", False),
                            ("median_group_stopped_ms", "group stopped + pools renewed, median ms", False),
                            ("median_first_slave_loop_ms", "first new slave forwarding, median ms", False)],
}

# Targets from the issue: (benchmark, metric, against, minimum ratio ours/against)
# or, for absolute targets, (benchmark, metric, None, maximum value).
# The rate targets are judged on the plain rate and on the rate per CPU-second
# (the same on an idle machine; on a busy one only the second is fair).
TARGETS = [
    ("symmetric_mp_1p", "mpps", "upstream", 1.00),
    ("symmetric_mp_1p", "mpps", "testpmd", 0.95),
    ("client_server_mp_1c", "mpps", "upstream", 1.50),
    ("l2fwd", "mpps_per_lcore", "upstream", 1.00),
    ("symmetric_mp_1p", "mpps_per_cpu", "upstream", 1.00),
    ("symmetric_mp_1p", "mpps_per_cpu", "testpmd", 0.95),
    ("client_server_mp_1c", "mpps_per_cpu", "upstream", 1.50),
    ("l2fwd", "mpps_per_cpu", "upstream", 1.00),
    ("l2fwd_fork_recovery", "recovery_median_ms", None, 200.0),
    # The test plan's scale (bench/run.py --scale): parity or better everywhere,
    # 50x where upstream's pool ring stalls (4 and 8 clients on one CPU), and
    # a secondary that starts no slower than upstream's.
    *[("symmetric_mp_%dp" % n, "mpps", "upstream", 1.00) for n in (2, 4, 8)],
    *[("client_server_mp_%dc" % n, "mpps", "upstream", 1.00 if n == 2 else 50.0) for n in (2, 4, 8)],
    *[("startup_" + p, "startup_ms", "upstream", 1.00) for p in STARTUP_PROGRAMS],
]
# Ours with 4 and 8 processes or clients against ours with 2, at least.
SCALING_TARGET = 0.95

VARIANTS = ["ours", "upstream", "testpmd"]
COLOURS = {"ours": "#2b6cb0", "upstream": "#dd6b20", "testpmd": "#718096"}


def percentile(sorted_values, p):
    """The p-th percentile of sorted values, interpolated between neighbours."""
    k = (len(sorted_values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def _median(values):
    return statistics.median(values) if values else None


def summarize(runs):
    """One row per (benchmark, metric, against): medians and per-round ratios."""
    rows = []
    ok = [r for r in runs if "error" not in r]
    for bench, metrics in METRICS.items():
        bench_runs = [r for r in ok if r["benchmark"] == bench]
        if not bench_runs:
            continue
        for metric, unit, higher in metrics:
            med = {v: _median([r[metric] for r in bench_runs if r["variant"] == v and metric in r])
                   for v in VARIANTS}
            if med["ours"] is None and med["upstream"] is None:
                continue
            against = [v for v in ("upstream", "testpmd") if med[v] is not None] or [None]
            for other in against:
                ratios = []
                if other:
                    by_round = {}
                    for r in bench_runs:
                        if metric in r:
                            by_round.setdefault(r["round"], {})[r["variant"]] = r[metric]
                    ratios = [v["ours"] / v[other] for v in by_round.values()
                              if v.get("ours") and v.get(other)]
                row = {"benchmark": bench, "metric": metric, "unit": unit,
                       "higher_is_better": higher, "against": other or "",
                       "ours": med["ours"], "other": med[other] if other else None,
                       "ratio": _median(ratios), "ratio_min": min(ratios) if ratios else None,
                       "ratio_max": max(ratios) if ratios else None, "rounds": len(ratios),
                       "ratios": " ".join("%.3f" % x for x in ratios)}
                row.update(_verdict(row))
                rows.append(row)
        rows += _state_rows(bench, bench_runs)
    return rows


# Cross-core forwarding on this VM runs in a slow or a fast state (see
# c2c_ns); the 0.1 s samples of all rounds, pooled per variant, show both:
# the 10th percentile stands for the slow state, the 90th for the fast one.
STATE_BENCHMARKS = ("client_server_mp_1c", "client_server_mp_2c")


def _state_rows(bench, bench_runs):
    if bench not in STATE_BENCHMARKS:
        return []
    pooled = {v: sorted(x for r in bench_runs if r["variant"] == v for x in r.get("mpps_samples", []))
              for v in ("ours", "upstream")}
    if len(pooled["ours"]) < 10 or len(pooled["upstream"]) < 10:
        return []
    rows = []
    for label, q in (("Mpps, slow state (p10 of 0.1 s)", 10), ("Mpps, fast state (p90 of 0.1 s)", 90)):
        ours, other = percentile(pooled["ours"], q), percentile(pooled["upstream"], q)
        rows.append({"benchmark": bench, "metric": "mpps_p%d" % q, "unit": label,
                     "higher_is_better": True, "against": "upstream", "ours": ours, "other": other,
                     "ratio": ours / other if other else None, "ratio_min": None, "ratio_max": None,
                     "rounds": 1, "ratios": "", "target": "", "verdict": ""})
    return rows


def _verdict(row):
    for bench, metric, against, limit in TARGETS:
        if bench != row["benchmark"] or metric != row["metric"]:
            continue
        if against is None and row["ours"] is not None:
            holds = row["ours"] <= limit
            return {"target": "<= %g" % limit, "verdict": "holds" if holds else "misses"}
        if against == row["against"] and row["ratio"] is not None:
            # Lower is better (times): the ratio ours/other must stay under the limit.
            sign = 1 if row["higher_is_better"] else -1
            if sign * row["ratio"] >= sign * limit:
                verdict = "holds"
            elif sign * (row["ratio_max"] if sign > 0 else row["ratio_min"]) >= sign * limit:
                verdict = "within noise"   # some rounds on the right side, the median not
            else:
                verdict = "misses"
            return {"target": "%s %.2fx %s" % (">=" if sign > 0 else "<=", limit, against),
                    "verdict": verdict}
    return {"target": "", "verdict": ""}


def _fmt(value, unit=""):
    if value is None:
        return "-"
    if "messages" in unit:
        return "%.0f" % value
    return "%.2f" % value if abs(value) < 100 else "%.1f" % value


def _ratio_text(row):
    if row["ratio"] is None:
        return "-"
    if row["rounds"] > 1:
        return "%.3f (%.3f-%.3f)" % (row["ratio"], row["ratio_min"], row["ratio_max"])
    return "%.3f" % row["ratio"]


def table_rows(summary, judged):
    """The summary table; `judged` adds each row's target and verdict."""
    head = ["Benchmark", "Metric", "Ours", "Other", "Ratio ours/other (median, range)"]
    head += ["Target", "Verdict"] if judged else []
    body = []
    for r in summary:
        other = "%s %s" % (r["against"], _fmt(r["other"], r["unit"])) if r["against"] else "-"
        body.append([r["benchmark"], r["unit"], _fmt(r["ours"], r["unit"]), other, _ratio_text(r)]
                    + ([r["target"], r["verdict"]] if judged else []))
    return head, body


def text_table(summary):
    head, body = table_rows(summary, judged=True)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in [head, ["-" * w for w in widths]] + body]
    return "\n".join(lines)


def rst_table(summary):
    return _list_table(*table_rows(summary, judged=False))


def run_report(info, runs, summary):
    """The run as a note for an issue: everything the docs leave out."""
    lines = ["%s: %s, %d CPUs, %s, kernel %s, DPDK %s, %s" % (
                 info["date"], info["host_cpu"], info["cpus"], info["os"], info["kernel"], info["dpdk"],
                 info.get("compiler", "")),
             "commit %s; TSC %.1f MHz; %d rounds of %.0f s windows; load average %.2f before, %.2f after; "
             "%.0f s in all" % (info["commit"] or "?", info["tsc_hz"] / 1e6, info["rounds"],
                                info["duration_s"], info["load_before"], info.get("load_after", float("nan")),
                                info["elapsed_s"]),
             "command: " + info["command"], "", text_table(summary)]
    if is_scale(info):
        lines += ["", scale_tables(runs, summary, judged=True)]
    return "\n".join(lines) + "\n"


def is_scale(info):
    """Whether the run was bench/run.py --scale (its docs block is the scale one)."""
    return "--scale" in info["command"].split()


def write_report(out_dir, info, runs, summary):
    with open(os.path.join(out_dir, "report.txt"), "w") as f:
        f.write(run_report(info, runs, summary))


def write_all(out_dir, info, runs, summary):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"machine": info, "runs": runs, "summary": summary}, f, indent=1)
    keys = []
    for r in runs:
        keys += [k for k in r if k not in keys and not isinstance(r[k], list)]
    with open(os.path.join(out_dir, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(runs)
    with open(os.path.join(out_dir, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(summary[0].keys()) if summary else ["benchmark"])
        w.writeheader()
        w.writerows(summary)
    with open(os.path.join(out_dir, "throughput.svg"), "w") as f:
        f.write(svg_chart(runs, info))
    write_report(out_dir, info, runs, summary)


def _chart_data(runs):
    """What svg_chart draws: per benchmark, a (variant, Mpps, cycles per packet)
    bar each, medians over the rounds; and per benchmark its ratio row."""
    ok = [r for r in runs if "error" not in r and "mpps" in r]
    benches = []
    for r in ok:
        if r["benchmark"] not in benches:
            benches.append(r["benchmark"])
    ratios = {}
    for row in summarize(runs):  # l2fwd is judged per lcore: the same ratio
        if row["metric"] in ("mpps", "mpps_per_lcore") and row["against"] == "upstream" and row["ratio"]:
            ratios.setdefault(row["benchmark"], row)
    groups = []
    for b in benches:
        bars = []
        for v in VARIANTS:
            vals = [r for r in ok if r["benchmark"] == b and r["variant"] == v]
            if vals:
                bars.append((v, _median([r["mpps"] for r in vals]),
                             _median([r["cycles_per_packet"] for r in vals])))
        groups.append((b, bars))
    return groups, ratios


def svg_chart(runs, info):
    """Three panels of horizontal bars: packet rate (median of all rounds),
    TSC cycles per packet (median), and the ratio ours/upstream (median of the
    per-round ratios) with a line at 1.0."""
    groups, ratios = _chart_data(runs)
    bar_h, gap, label_w, panel_w, panel_gap = 14, 10, 150, 250, 40
    top = 40
    height = top + sum(len(bars) * bar_h + gap for _, bars in groups) + 36
    width = label_w + 3 * (panel_w + panel_gap)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>']

    def bar(x0, y, w, colour, text, text_at=None):
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (x0, y, w, bar_h - 2, colour))
        out.append('<text x="%.1f" y="%d">%s</text>'
                   % (x0 + max(w, text_at or 0) + 4, y + bar_h - 4, escape(text)))

    titles = ["Packet rate, Mpps (all ports)", "TSC cycles per packet", "Rate ours / upstream"]
    # The ratio axis stops at 2.5 so that one runaway ratio does not flatten
    # the others; longer bars are cut there and keep their number.
    ratio_peak = min(max([r["ratio_max"] for r in ratios.values()] + [1.6]), 2.5)
    for i, title in enumerate(titles):
        x0 = label_w + i * (panel_w + panel_gap)
        out.append('<text x="%d" y="20" font-size="13" font-weight="bold">%s</text>' % (x0, escape(title)))
        peak = max([bv[i + 1] for _, bars in groups for bv in bars] + [1e-9]) if i < 2 else ratio_peak
        y = top
        for bench, bars in groups:
            if i == 0:
                out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                           % (label_w - 8, y + len(bars) * bar_h / 2 + 4, escape(bench)))
            if i < 2:
                for variant, *values in bars:
                    bar(x0, y, values[i] / peak * (panel_w - 50), COLOURS[variant], _fmt(values[i]))
                    y += bar_h
            else:
                row = ratios.get(bench)
                if row:
                    scale = (panel_w - 50) / peak
                    def at(v):
                        return min(v, peak) * scale
                    bar(x0, y + (len(bars) * bar_h - bar_h) / 2, at(row["ratio"]), COLOURS["ours"],
                        "%.2f" % row["ratio"], at(row["ratio_max"]))
                    if row["rounds"] > 1:  # the range over the rounds
                        yy = y + len(bars) * bar_h / 2 - 1
                        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222"/>'
                                   % (x0 + at(row["ratio_min"]), yy, x0 + at(row["ratio_max"]), yy))
                y += len(bars) * bar_h
            y += gap
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>' % (x0, top - 6, x0, y - gap + 4))
        if i == 2:
            x1 = x0 + (panel_w - 50) / peak
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c53030" stroke-dasharray="4 3"/>'
                       % (x1, top - 6, x1, y - gap + 4))
            out.append('<text x="%.1f" y="%d" fill="#c53030">1.0</text>' % (x1 + 3, top - 8))
    return _legend_and_end(out, VARIANTS, label_w, height - 22, info)


def _legend_and_end(out, variants, x, y, info):
    """Ends a chart: a colour swatch a variant from (x, y), the machine note, the SVG text."""
    for v in variants:
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (x, y, COLOURS[v]))
        out.append('<text x="%d" y="%d">%s</text>' % (x + 16, y + 10, v))
        x += 90
    out.append('<text x="%d" y="%d" fill="#555">%s</text>' % (x + 10, y + 10, escape(_machine_note(info))))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _machine_note(info):
    return "%s, %d CPUs, DPDK %s; medians of %s rounds" % (
        info.get("host_cpu", ""), info.get("cpus", 0), info.get("dpdk", ""), info.get("rounds", "?"))


def _docs_preamble(info):
    """What a reader of the docs needs to interpret a block's numbers."""
    return ["%s (%d CPUs), %s, DPDK %s; %d rounds of %.0f s windows. Made by::"
            % (info["host_cpu"], info["cpus"], info["os"], info["dpdk"], info["rounds"], info["duration_s"]),
            "", "   " + info["command"], ""]


# The summary columns the docs' CSV keeps: no targets or verdicts.
DOCS_COLUMNS = ["benchmark", "metric", "unit", "higher_is_better", "against", "ours", "other",
                "ratio", "ratio_min", "ratio_max", "rounds", "ratios"]


def release_of(dpdk_version):
    """The DPDK release ("24.11") of a version string ("24.11.8")."""
    return ".".join(str(dpdk_version).split(".")[:2])


def begin_marker(release):
    return ".. BEGIN RESULTS %s (written by bench/run.py --update-docs)" % release


def end_marker(release):
    return ".. END RESULTS %s" % release


SIDE_BY_SIDE_BEGIN = ".. BEGIN SIDE BY SIDE (written by bench/run.py --update-docs)"
SIDE_BY_SIDE_END = ".. END SIDE BY SIDE"


def _replace_block(text, begin, end, block, path):
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise RuntimeError("%s has no block %s ... %s" % (path, begin, end))
    return pattern.sub(lambda m: block, text)


def _rewrite_blocks(path, blocks):
    """Replaces each (begin, end, text) block of the file at `path`."""
    with open(path) as f:
        text = f.read()
    for begin, end, block in blocks:
        text = _replace_block(text, begin, end, block, path)
    with open(path, "w") as f:
        f.write(text)


def side_by_side(docs_dir):
    """One row per (benchmark, metric, against), one ratio column per DPDK
    release whose summary is in docs_dir (perf_summary_<release>.csv)."""
    releases, rows, order = [], {}, []
    names = sorted(n for n in os.listdir(docs_dir)
                   if n.startswith("perf_summary_") and n.endswith(".csv"))
    for name in names:
        release = name[len("perf_summary_"):-len(".csv")]
        releases.append(release)
        with open(os.path.join(docs_dir, name), newline="") as f:
            for r in csv.DictReader(f):
                key = (r["benchmark"], r["unit"], r["against"])
                if key not in rows:
                    rows[key] = {}
                    order.append(key)
                try:
                    rows[key][release] = "%.3f" % float(r["ratio"])
                except (TypeError, ValueError):
                    rows[key][release] = "-"
    out = [".. list-table::", "   :header-rows: 1", "",
           "   * - Benchmark", "     - Metric", "     - Ours against"]
    out += ["     - DPDK %s" % rel for rel in releases]
    for key in order:
        out += ["   * - %s" % key[0], "     - %s" % key[1], "     - %s" % (key[2] or "-")]
        out += ["     - %s" % rows[key].get(rel, "-") for rel in releases]
    return "\n".join(out)


def update_docs(docs_dir, info, runs, summary, commands):
    """Writes this release's results block of docs/performance.rst (and its CSV
    and plot), then the side-by-side table of every release measured."""
    release = release_of(info["dpdk"])
    csv_name, svg_name = "perf_summary_%s.csv" % release, "perf_throughput_%s.svg" % release
    with open(os.path.join(docs_dir, csv_name), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=DOCS_COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(summary)
    with open(os.path.join(docs_dir, svg_name), "w") as f:
        f.write(svg_chart(runs, info))
    block = "\n".join([begin_marker(release), ""] + _docs_preamble(info) + [
        rst_table(summary), "",
        ".. figure:: %s" % svg_name, "",
        "   DPDK %s: medians over all rounds, packet rate and TSC cycles per packet." % release, "",
        "The processes each benchmark started (build folder paths; PREFIX is a fresh",
        "``--file-prefix`` per run)::", ""]
        + ["   " + c for c in commands] + ["", end_marker(release)])
    table = "\n".join([SIDE_BY_SIDE_BEGIN, "", side_by_side(docs_dir), "", SIDE_BY_SIDE_END])
    _rewrite_blocks(os.path.join(docs_dir, "performance.rst"),
                    [(begin_marker(release), end_marker(release), block),
                     (SIDE_BY_SIDE_BEGIN, SIDE_BY_SIDE_END, table)])


# ---- the test plan's scale (bench/run.py --scale) ---------------------------

SCALE_APPS = (("symmetric_mp", "p", "Processes"), ("client_server_mp", "c", "Clients"))
SCALE_COUNTS = (1, 2, 4, 8)


def _rate_by_round(ok, bench, variant):
    return {r["round"]: r["mpps"] for r in ok if r["benchmark"] == bench and r["variant"] == variant}


def scale_rows(runs, summary):
    """Per program and process/client count: median Mpps of ours and upstream,
    the ratio from the summary, and ours against ours at 2 (median of the
    per-round quotients) with its verdict."""
    ok = [r for r in runs if "error" not in r and "mpps" in r]
    rows = []
    for app, suffix, noun in SCALE_APPS:
        at_two = _rate_by_round(ok, "%s_2%s" % (app, suffix), "ours")
        for n in SCALE_COUNTS:
            bench = "%s_%d%s" % (app, n, suffix)
            row = next((x for x in summary if x["benchmark"] == bench and x["metric"] == "mpps"
                        and x["against"] == "upstream"), None)
            if row is None:
                continue
            ours = _rate_by_round(ok, bench, "ours")
            vs2 = _median([ours[k] / at_two[k] for k in ours if at_two.get(k)]) if n > 2 else None
            rows.append(dict(row, app=app, count=n, noun=noun, vs2=vs2,
                             vs2_verdict="" if vs2 is None else
                             "holds" if vs2 >= SCALING_TARGET else "misses"))
    return rows


def startup_rows(runs, summary):
    """Per program: median start-up ms of ours and upstream, and from the
    summary the ratio and verdict: the median of the quotients of starts taken
    in turns, which a drifting host moves less than a quotient of medians."""
    rows = []
    for program in STARTUP_PROGRAMS:
        ms = {v: sorted(r["startup_ms"] for r in runs if r["benchmark"] == "startup_" + program
                        and r["variant"] == v and "startup_ms" in r) for v in ("ours", "upstream")}
        row = next((x for x in summary if x["benchmark"] == "startup_" + program
                    and x["against"] == "upstream"), None)
        if not ms["ours"] or not ms["upstream"] or row is None or row["ratio"] is None:
            continue
        rows.append({"program": program, "ours": _median(ms["ours"]), "upstream": _median(ms["upstream"]),
                     "ratio": row["ratio"], "ratio_min": row["ratio_min"], "ratio_max": row["ratio_max"],
                     "rounds": row["rounds"], "verdict": row["verdict"],
                     "ours_p90": percentile(ms["ours"], 90), "upstream_p90": percentile(ms["upstream"], 90),
                     "starts": min(len(ms["ours"]), len(ms["upstream"]))})
    return rows


def _list_table(head, body):
    out = [".. list-table::", "   :header-rows: 1", ""]
    for line in [head] + body:
        out.append("   * - " + str(line[0]))
        out += ["     - " + (str(x) or " ") for x in line[1:]]
    return "\n".join(out)


def scale_tables(runs, summary, judged):
    """The RST of the scale tables: one per program, then the start-up times;
    `judged` adds the targets and verdicts (for the run report)."""
    def judge(text, verdict):
        return "%s (%s)" % (text, verdict) if judged else text

    parts = []
    rows = scale_rows(runs, summary)
    for app, _, noun in SCALE_APPS:
        body = [[r["count"], _fmt(r["ours"]), _fmt(r["other"]), _ratio_text(r),
                 "-" if r["vs2"] is None else judge("%.2f" % r["vs2"], r["vs2_verdict"])]
                + (["%s: %s" % (r["target"], r["verdict"]) if r["target"] else "-"] if judged else [])
                for r in rows if r["app"] == app]
        if body:
            parts += ["``%s``, Mpps forwarded (all ports):" % app, "",
                      _list_table([noun, "Ours", "Upstream", "Ours / upstream (median, range)",
                                   judge("Ours / ours at 2", ">= %.2f" % SCALING_TARGET)]
                                  + (["Target"] if judged else []), body), ""]
    body = [[r["program"], "%.1f (p90 %.1f)" % (r["ours"], r["ours_p90"]),
             "%.1f (p90 %.1f)" % (r["upstream"], r["upstream_p90"]),
             judge(_ratio_text(r), r["verdict"]), r["starts"]] for r in startup_rows(runs, summary)]
    if body:
        parts += ["Secondary start-up, exec to ``Finished Process Init.``, ms (median of the starts):", "",
                  _list_table(["Secondary", "Ours", "Upstream", judge("Ours / upstream (median, range)", "<= 1.00"),
                               "Starts each"], body), ""]
    return "\n".join(parts)


def scale_svg(runs, summary, info):
    """Packet rate against the number of processes or clients (log scale),
    ours and upstream, one panel per program; start-up times as bars."""
    rows = scale_rows(runs, summary)
    starts = startup_rows(runs, summary)
    pw, ph, left, top, gap = 240, 200, 60, 40, 70
    width = left + 3 * (pw + gap)
    height = top + ph + 70
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>']
    rates = [r[k] for r in rows for k in ("ours", "other") if r.get(k)]
    lo = 10 ** math.floor(math.log10(min(rates + [1.0])))
    hi = 10 ** math.ceil(math.log10(max(rates + [1.0])))

    def ylog(v):
        return top + ph - (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * ph

    for i, (app, _, noun) in enumerate(SCALE_APPS):
        x0 = left + i * (pw + gap)
        out.append('<text x="%d" y="20" font-size="13" font-weight="bold">%s, Mpps (log)</text>'
                   % (x0, escape(app)))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>' % (x0, top, x0, top + ph))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>' % (x0, top + ph, x0 + pw, top + ph))
        decade = lo
        while decade <= hi:
            y = ylog(decade)
            out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (x0, y, x0 + pw, y))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (x0 - 4, y + 4, decade))
            decade *= 10

        def xpos(k):
            return x0 + 20 + k * (pw - 40) / (len(SCALE_COUNTS) - 1)

        for k, n in enumerate(SCALE_COUNTS):
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (xpos(k), top + ph + 16, n))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                   % (x0 + pw / 2, top + ph + 32, noun.lower()))
        for variant, key in (("ours", "ours"), ("upstream", "other")):
            pts = [(xpos(k), ylog(r[key]), r[key]) for k, n in enumerate(SCALE_COUNTS)
                   for r in rows if r["app"] == app and r["count"] == n and r.get(key)]
            if pts:
                out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                           % (COLOURS[variant], " ".join("%.1f,%.1f" % p[:2] for p in pts)))
            for x, y, v in pts:
                out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (x, y, COLOURS[variant]))
                out.append('<text x="%.1f" y="%.1f" fill="%s">%s</text>' % (x + 4, y - 5, COLOURS[variant], _fmt(v)))
    x0 = left + 2 * (pw + gap)
    out.append('<text x="%d" y="20" font-size="13" font-weight="bold">Secondary start-up, ms</text>' % x0)
    peak = max([r[k] for r in starts for k in ("ours", "upstream")] + [1e-9])
    y = top
    for r in starts:
        out.append('<text x="%d" y="%d">%s</text>' % (x0, y + 10, escape(r["program"])))
        y += 14
        for variant in ("ours", "upstream"):
            w = r[variant] / peak * (pw - 50)
            out.append('<rect x="%d" y="%d" width="%.1f" height="12" fill="%s"/>' % (x0, y, w, COLOURS[variant]))
            out.append('<text x="%.1f" y="%d">%.1f</text>' % (x0 + w + 4, y + 10, r[variant]))
            y += 14
        y += 8
    return _legend_and_end(out, ("ours", "upstream"), left, height - 18, info)


def scale_begin_marker(release):
    return ".. BEGIN SCALE %s (written by bench/run.py --scale --update-docs)" % release


def scale_end_marker(release):
    return ".. END SCALE %s" % release


def update_scale_docs(docs_dir, info, runs, summary, commands):
    """Writes this release's scale block of docs/performance.rst and its plot."""
    release = release_of(info["dpdk"])
    svg_name = "perf_scale_%s.svg" % release
    with open(os.path.join(docs_dir, svg_name), "w") as f:
        f.write(scale_svg(runs, summary, info))
    block = "\n".join([scale_begin_marker(release), ""] + _docs_preamble(info) + [
        scale_tables(runs, summary, judged=False),
        ".. figure:: %s" % svg_name, "",
        "   DPDK %s: packet rate against processes or clients (medians of the rounds), and the "
        "secondaries' start-up times." % release, "",
        "The processes (build folder paths; PREFIX is a fresh ``--file-prefix`` per run)::", ""]
        + ["   " + c for c in commands] + ["", scale_end_marker(release)])
    _rewrite_blocks(os.path.join(docs_dir, "performance.rst"),
                    [(scale_begin_marker(release), scale_end_marker(release), block)])
