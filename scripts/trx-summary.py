#!/usr/bin/env python3
"""Prints `N passed, N failed[, N skipped]` from every TRX file under the given directory, plus the
script's own checks recorded as lines `passed NAME` / `failed NAME` in <directory>/checks.txt."""
import os
import glob
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
files = glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True)
for path in files:
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", NS)
    passed += int(counters.get("passed", 0))
    failed += sum(int(counters.get(k, 0)) for k in ("failed", "error", "timeout", "aborted"))
    skipped += int(counters.get("notExecuted", 0))
checks = os.path.join(sys.argv[1], "checks.txt")
if os.path.exists(checks):
    for line in open(checks, encoding="utf-8"):
        passed += line.startswith("passed ")
        failed += line.startswith("failed ")
if not files:
    failed += 1  # no results at all is a failure, never a silent pass
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
