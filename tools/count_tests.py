#!/usr/bin/env python3
"""Counts test cases for one `bazel test` invocation (used by tools/test; see docs/BUILD.md).

Usage: count_tests.py --log BAZEL_OUTPUT --testlogs DIR --bazel-exit RC

Reads the per-target summary lines Bazel printed with --test_summary=short, e.g.
    //runtime/env:task_test          PASSED in 0.3s
    //runtime/env:random_test        (cached) PASSED in 0.0s
    //sim:net_test                   FAILED in 1.2s
    //sim:broken_test                FAILED TO BUILD
and, for each target that ran (or was cached), parses the JUnit XML Bazel keeps at
DIR/<package>/<name>/test.xml (or DIR/<package>/<name>/{shard,run}_*/test.xml):
every <testcase> is one case; a case with a <failure> or <error> child failed; a skipped or
disabled case (a <skipped> child, status="notrun") counts as neither.

A target with any other status (FAILED TO BUILD, NO STATUS, TIMEOUT, INCOMPLETE, ...), a
missing or unreadable test.xml, or a FAILED target whose XML shows no failing case (a crash
or leak report after the XML was written) counts as one failed case. If Bazel's exit code is
non-zero (build failure, no test targets = 4, interrupted, ...) at least one failure is
counted. The last line printed is exactly `N passed, M failed`. Exit status 1 if M > 0.
"""

import argparse
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Target label, optional "(cached)", then the status in capitals (words separated by spaces).
STATUSES = ("FAILED TO BUILD", "NO STATUS", "REMOTE FAILURE", "BLAZE HALTED BEFORE TESTING",
            "TOOL HALTED BEFORE TESTING", "PASSED", "FLAKY", "FAILED", "TIMEOUT",
            "INCOMPLETE", "SKIPPED")
SUMMARY = re.compile(
    r"^(?P<label>@?[A-Za-z0-9_.\-]*//[^\s:]*:[^\s]+)\s+(?P<cached>\(cached\)\s+)?"
    r"(?P<status>" + "|".join(STATUSES) + r")(?:\s|,|$)"
)
XML_STATUSES = {"PASSED", "FLAKY", "FAILED"}
NEUTRAL_STATUSES = {"SKIPPED"}  # e.g. a target incompatible with the platform


def label_to_dir(testlogs, label):
    repo, _, rest = label.partition("//")
    pkg, _, name = rest.partition(":")
    if not name:  # //pkg/foo means //pkg/foo:foo
        name = pkg.rsplit("/", 1)[-1]
    parts = [testlogs]
    if repo:
        parts += ["external", repo.lstrip("@")]
    if pkg:
        parts.append(pkg)
    parts.append(name)
    return os.path.join(*parts)


def xml_files(target_dir):
    direct = os.path.join(target_dir, "test.xml")
    if os.path.isfile(direct):
        return [direct]
    found = []
    for pattern in ("shard_*", "run_*"):
        found += glob.glob(os.path.join(target_dir, pattern, "test.xml"))
        found += glob.glob(os.path.join(target_dir, pattern, "*", "test.xml"))
    return sorted(set(found))


def count_xml(path):
    """Returns (passed, failed, failed_case_names) for one JUnit XML file."""
    root = ET.parse(path).getroot()
    passed = failed = 0
    names = []
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if "failure" in tags or "error" in tags:
            failed += 1
            cls = case.get("classname")
            names.append(f"{cls}.{case.get('name')}" if cls else str(case.get("name")))
        elif ("skipped" in tags or case.get("status") == "notrun"
              or case.get("result") in ("skipped", "suppressed")):
            continue
        else:
            passed += 1
    return passed, failed, names


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", required=True)
    ap.add_argument("--testlogs", required=True)
    ap.add_argument("--bazel-exit", type=int, required=True)
    args = ap.parse_args()

    targets = {}  # label -> status, in order of appearance
    with open(args.log, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = ANSI.sub("", raw).replace("\r", "").rstrip("\n")
            m = SUMMARY.match(line)
            if m:
                targets[m.group("label")] = m.group("status")

    passed = failed = 0
    notes = []
    for label, status in targets.items():
        if status in NEUTRAL_STATUSES:
            continue
        if status not in XML_STATUSES:
            failed += 1
            notes.append(f"{label}: {status} (counted as 1 failed)")
            continue
        files = xml_files(label_to_dir(args.testlogs, label))
        if not files:
            failed += 1
            notes.append(f"{label}: {status} but no test.xml (counted as 1 failed)")
            continue
        p = f_ = 0
        names = []
        try:
            for path in files:
                a, b, n = count_xml(path)
                p, f_ = p + a, f_ + b
                names += n
        except (ET.ParseError, OSError) as e:
            failed += 1
            notes.append(f"{label}: {status}, unreadable test.xml: {e} (counted as 1 failed)")
            continue
        if status == "FAILED" and f_ == 0:
            f_ = 1
            notes.append(f"{label}: FAILED, but its test.xml lists no failing case "
                         "(crash, sanitizer or leak report after the cases ran?) "
                         "(counted as 1 failed)")
        elif f_:
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            notes.append(f"{label}: {f_} failed: {shown}")
        passed += p
        failed += f_

    if args.bazel_exit != 0 and failed == 0:
        failed = 1
        why = {1: "build failed", 2: "bad command line", 4: "no test targets",
               8: "interrupted"}.get(args.bazel_exit, "error")
        notes.append(f"bazel exited with code {args.bazel_exit} ({why}) "
                     "(counted as 1 failed)")

    if notes:
        print("Test count notes:")
        for n in notes:
            print("  " + n)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
