#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Prints one closing line for the runs of scripts/test.sh:
    tests: N passed, N failed, N skipped
counting GoogleTest cases in the meson-logs/testlog.json files given. A test
program that failed without naming a failed case (a crash, a timeout) counts
as one failure; one that is not GoogleTest counts as one test (and its Python
unittest skips as skips). With --fail-on-skip (CI) a skipped test makes the
exit status 1: a test that did not run did not pass."""
import json
import re
import sys

OK = re.compile(r"^\[       OK \] \S+ \(\d+ ms\)$", re.M)
FAILED = re.compile(r"^\[  FAILED  \] \S+(, where .*)? \(\d+ ms\)$", re.M)
SKIPPED = re.compile(r"^\[  SKIPPED \] \S+ \(\d+ ms\)$", re.M)

UNITTEST_SKIPS = re.compile(r"^OK \(skipped=(\d+)\)$", re.M)

fail_on_skip = "--fail-on-skip" in sys.argv[1:]
passed = failed = skipped = 0
for path in [a for a in sys.argv[1:] if a != "--fail-on-skip"]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        continue
    for line in lines:
        if not line.strip():
            continue
        test = json.loads(line)
        out = test.get("stdout") or ""
        ok, bad, skip = len(OK.findall(out)), len(FAILED.findall(out)), len(SKIPPED.findall(out))
        if test.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and bad == 0:
            bad = 1
        elif ok + bad + skip == 0:  # not GoogleTest: the program counts once
            ok, skip = (0, 1) if test.get("result") == "SKIP" else (1, 0)
            skip += sum(int(n) for n in UNITTEST_SKIPS.findall(out))
        passed, failed, skipped = passed + ok, failed + bad, skipped + skip
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
if fail_on_skip and skipped:
    print(f"tests: {skipped} skipped, which counts as a failure here (CI)", file=sys.stderr)
    sys.exit(1)
