#!/usr/bin/env python3
"""Event-level comparison of a history recorded before the typed history (JSON events,
sessions 1-2) and after it (docs/HISTORY.md), for the same scenario and seed.

Usage: history_diff.py OLD.history.jsonl NEW.history.jsonl

Pairs events in order, skipping events only the new schema records (listed), and compares
time, node, kind and every field the old event had. Prints each kind of difference once
with a count and the first example; exit 0 when only the expected schema changes remain:
fields the new schema always carries (defaults where the old JSON left them out), the
renamed membership_stall duration (whole ms before, ns now) and the CAS value split into
expected/value.
"""
import collections
import json
import sys

NEW_ONLY = {"liveness_window_start"}


def normalise_old(kind, data):
    d = dict(data)
    if kind == "membership_stall" and "blind_ms" in d:
        d["blind_ns"] = d.pop("blind_ms") * 1_000_000
    if kind == "op_invoke":
        v = d.get("value")
        if d.get("f") == "cas" and isinstance(v, list):
            d["expected"], d["value"] = v[0], v[1]
    if kind == "op_complete" and d.get("error") is None:
        d.pop("error", None)
    return d


def main(old_path, new_path):
    old = [json.loads(l) for l in open(old_path) if l.strip()]
    new = [json.loads(l) for l in open(new_path) if l.strip()]
    new_only = collections.Counter(e["kind"] for e in new if e["kind"] in NEW_ONLY)
    new = [e for e in new if e["kind"] not in NEW_ONLY]
    diffs = collections.OrderedDict()
    added = collections.Counter()

    def note(key, example):
        if key not in diffs:
            diffs[key] = [0, example]
        diffs[key][0] += 1

    if len(old) != len(new):
        note(("event count", len(old), len(new)), "")
    for i, (o, n) in enumerate(zip(old, new)):
        for k in ("t", "node", "kind"):
            if o[k] != n[k]:
                note(("order", k), f"event {i}: old {o[k]} new {n[k]}")
        if o["kind"] != n["kind"]:
            continue
        od = normalise_old(o["kind"], o["data"])
        nd = n["data"]
        for f, v in od.items():
            if f not in nd:
                note(("field dropped", o["kind"], f), f"event {i}")
            elif o["kind"] == "membership_stall" and f == "blind_ns" and nd[f] // 1_000_000 * 1_000_000 == v:
                pass  # the old event truncated the blind time to whole ms
            elif nd[f] != v:
                note(("field value", o["kind"], f), f"event {i}: old {v!r} new {nd[f]!r}")
        for f in nd:
            if f not in od:
                added[(o["kind"], f)] += 1
    print(f"{len(old)} old events, {len(new)} new (+{sum(new_only.values())} new-only: {dict(new_only)})")
    for (kind, f), n in sorted(added.items()):
        print(f"  field added by the schema: {kind}.{f} ({n} events)")
    for key, (n, example) in diffs.items():
        print(f"  DIFFERENCE {key}: {n} events; first: {example}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
