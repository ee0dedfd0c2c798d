#!/usr/bin/env bash
# Real mode, planted bug: orbit-store built with //bugs:no_fencing accepts snapshot writes
# that carry a stale fencing token. Node 0 holds the only register (r0) and its clients are
# the only writers; its writes stall between the lease check and the send (the test-only
# fault point actor.stall_before_snapshot_write, armed on node 0 only). SIGSTOP of node 0
# for 6 s (lease 2 s) moves r0 to another node, whose clients only read; when node 0
# resumes, its stalled write leaves with the old token and the buggy store accepts it.
# single_activation must report the stale write (outcome safety_violation, exit 1).
# The same run against the correct store is the control: fencing rejects the write.
set -euo pipefail
cluster=$1 node=$2 bug_store=$3 store=$4
tmp=${TEST_TMPDIR:-$(mktemp -d)}
plan=$tmp/plan.json
echo '{"version":1,"events":[{"at_ms":4000,"kind":"pause","node":0,"duration_ms":6000}]}' >"$plan"
fail() { echo "FAIL: $*"; exit 1; }

run() {  # run <out> <store binary>
  "$cluster" run --scenario register --nodes 3 --duration 12s --liveness 7s --lease 2s --plan "$plan" \
    --actors 1 --max-search-steps 1000000 --out "$1" --store-bin "$2" --node-bin "$node" \
    --node-arg-for "0=--fault-point actor.stall_before_snapshot_write=1.0" \
    --node-arg-for "1=--read-share 1.0" --node-arg-for "2=--read-share 1.0" >"$1.out" 2>"$1.err"
}

# Real time is not the simulator's: whether the stalled write is still pending when the
# pause ends depends on the machine's scheduling (a loaded machine can let the lease lapse
# first, and the activation then stops without writing). Up to three runs, each a fresh
# cluster; the bug must show in one of them.
for attempt in 1 2 3; do
  rc=0
  rm -rf "$tmp/bug"
  run "$tmp/bug" "$bug_store" || rc=$?
  cat "$tmp/bug.out"
  [[ $rc -eq 1 ]] && break
  echo "attempt $attempt: orbit-cluster exited $rc with the no-fencing store (expected 1)"
done
[[ $rc -eq 1 ]] || { cat "$tmp/bug.err"; fail "with the no-fencing store orbit-cluster exited $rc (expected 1) in 3 runs"; }
python3 - "$tmp/bug/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["outcome"] == "safety_violation", r["outcome"]
sa = [c for c in r["checks"] if c["checker"] == "single_activation"][0]
assert sa["verdict"] == "violation", sa
found = [v for v in r["violations"] if v["checker"] == "single_activation"]
assert any("stale duplicate wrote" in v["explanation"] or "both wrote" in v["explanation"] for v in found), found
assert any(h["node"] == 0 for v in found for h in v["holders"]), found  # the paused node is the stale holder
print("single_activation:", found[0]["explanation"])
PY

rc=0
run "$tmp/ok" "$store" || rc=$?
python3 - "$tmp/ok/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
verdicts = {c["checker"]: c["verdict"] for c in r["checks"]}
for name in ["lease_exclusivity", "single_activation", "snapshot_integrity"]:
    assert verdicts[name] == "pass", (name, verdicts)
print("control (correct store): safety checkers pass:", verdicts)
PY
grep -q '"kind":"duplicate_detected","node":0' "$tmp/ok/history.jsonl" || fail "control: the stale writer was not fenced off"

for d in "$tmp/bug" "$tmp/ok"; do
  if pgrep -f -- "$d" >/dev/null; then pgrep -fa -- "$d"; fail "processes of $d are still alive"; fi
done
echo "PASS"
