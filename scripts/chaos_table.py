#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Prints a chaos.csv (scripts/chaos.sh) as a table and, given an .rst file,
writes it there between the lines ".. BEGIN CHAOS <release>" and
".. END CHAOS <release>"."""
import csv
import sys


def table(rows):
    header = ["program", "kills", "in start-up", "mbufs lost", "per kill",
              "working again", "(p90)"]

    def recovery(r):
        median = f'{float(r["recovery_median_ms"]):.0f} ms'
        if int(r["recoveries"]) == 1:
            return [median + " (fresh start)", ""]
        return [median + f' (median of {r["recoveries"]})',
                f'{float(r["recovery_p90_ms"]):.0f} ms']

    body = [[r["program"], r["kills"], r["killed_in_startup"], r["mbufs_lost"],
             f'{float(r["lost_per_kill"]):.1f}', *recovery(r)] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    rule = "  ".join("=" * w for w in widths)
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return [rule, line(header), rule, *map(line, body), rule]


def main(csv_path, release, rst_path=None):
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    print("\n".join(table(rows)))
    if rst_path is None:
        return
    begin, end = f".. BEGIN CHAOS {release}", f".. END CHAOS {release}"
    lines = open(rst_path).read().split("\n")
    if begin not in lines or end not in lines:
        sys.exit(f"chaos_table: {rst_path} has no '{begin}' ... '{end}' block")
    a, b = lines.index(begin), lines.index(end)
    lines[a + 1:b] = ["", *table(rows), ""]
    open(rst_path, "w").write("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:])
