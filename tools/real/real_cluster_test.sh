#!/usr/bin/env bash
# Real mode, acceptance: orbit-store (RocksDB) + 3 orbit-nodes on loopback run the register
# scenario for ~18 s with a SIGKILL-restart of node 1, a SIGSTOP pause of node 2 longer than
# the lease (4 s vs 2 s), a partition and a clock offset; every checker must pass on the
# merged history. While the cluster is still up (the --hook), orbit-cli must list the
# register actors' leases and report the store healthy. No process may outlive the test.
set -euo pipefail
cluster=$1 node=$2 store=$3 cli=$4
tmp=${TEST_TMPDIR:-$(mktemp -d)}
out=$tmp/run
plan=$tmp/plan.json
cat >"$plan" <<'PLAN'
{"version":1,"events":[
{"at_ms":3000,"kind":"crash","node":1},
{"at_ms":5000,"kind":"restart","node":1},
{"at_ms":7000,"kind":"pause","node":2,"duration_ms":4000},
{"at_ms":12500,"kind":"partition","a":[0],"b":[1,2]},
{"at_ms":14500,"kind":"heal"},
{"at_ms":15000,"kind":"clock_offset","node":0,"offset_ms":300},
{"at_ms":15500,"kind":"disk","node":3,"mode":"bit_flip"}
]}
PLAN
hook=$tmp/hook.sh
cat >"$hook" <<HOOK
#!/usr/bin/env bash
"$cli" --store "\$ORBIT_STORE_HTTP" actor list-leases > "$tmp/leases.txt" 2>&1; echo \$? > "$tmp/leases.rc"
"$cli" --store "\$ORBIT_STORE_HTTP" actor list-leases --kind register > "$tmp/leases_register.txt" 2>&1
"$cli" --store "\$ORBIT_STORE_HTTP" persistence health-check > "$tmp/health.txt" 2>&1; echo \$? > "$tmp/health.rc"
exit 0
HOOK
chmod +x "$hook"

fail() { echo "FAIL: $*"; exit 1; }

rc=0
"$cluster" run --scenario register --nodes 3 --duration 17s --liveness 9s --lease 2s --plan "$plan" \
  --out "$out" --store-bin "$store" --node-bin "$node" --hook "$hook" >"$tmp/cluster.out" 2>"$tmp/cluster.err" || rc=$?
cat "$tmp/cluster.out"
[[ $rc -eq 0 ]] || { cat "$tmp/cluster.err"; fail "orbit-cluster exited $rc (expected 0: every checker passes)"; }

# The report: every required checker ran and passed; the faults really happened.
python3 - "$out/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "real", r.get("mode")
assert r["outcome"] == "pass", r["outcome"]
verdicts = {c["checker"]: c["verdict"] for c in r["checks"]}
for name in ["lease_exclusivity", "single_activation", "snapshot_integrity", "linearizability", "liveness"]:
    assert verdicts.get(name) == "pass", (name, verdicts)
faults = r["metrics"]["faults_injected"]
for kind in ["crash", "restart", "pause", "resume", "partition", "clock_offset"]:
    assert faults.get(kind, 0) >= 1, (kind, faults)
skipped = [s["kind"] for s in r["skipped_faults"]]
assert skipped == ["disk"], skipped
assert r["metrics"]["ops_ok"] > 500, r["metrics"]
assert r["processes_forced_down"] == [], r["processes_forced_down"]  # every process exited 0 on SIGTERM
print("report ok:", verdicts, faults)
PY
# SIGTERM is a clean shutdown: every register actor is deactivated for "shutdown" and its
# lease released (acknowledged by the store) at the end of the run.
python3 - "$out/history.jsonl" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
last = {}
for e in events:
    a = e["data"].get("actor", "")
    if e["kind"] in ("deactivation", "lease_released") and a.startswith("register/"):
        last[(a, e["kind"])] = e["data"]
for r in ["register/r0", "register/r1", "register/r2"]:
    assert last.get((r, "deactivation"), {}).get("reason") == "shutdown", (r, last.get((r, "deactivation")))
    assert last.get((r, "lease_released"), {}).get("ok") is True, (r, last.get((r, "lease_released")))
stops = sorted(e["node"] for e in events if e["kind"] == "node_stop")
assert stops[-3:] and set(stops) == {0, 1, 2}, stops
print("clean shutdown ok")
PY
grep -q '"kind":"crash","node":1' "$out/history.jsonl" || fail "no crash of node 1 in the merged history"
grep -q '"process":"n1.b2.c0"' "$out/history.jsonl" || fail "node 1's second boot (after the restart) ran no client ops"
grep -q '"kind":"pause","node":2' "$out/history.jsonl" || fail "no pause of node 2"
grep -q '"kind":"op_complete","node":1' "$out/history.jsonl" || fail "node 1 recorded no client ops"

# orbit-cli against the running cluster.
[[ $(cat "$tmp/leases.rc") == 0 ]] || { cat "$tmp/leases.txt"; fail "orbit-cli actor list-leases failed"; }
for r in r0 r1 r2; do
  grep -q "register/$r " "$tmp/leases.txt" || { cat "$tmp/leases.txt"; fail "list-leases does not show register/$r"; }
  grep -q "register/$r " "$tmp/leases_register.txt" || fail "list-leases --kind register does not show register/$r"
done
grep -Eq "n[0-9]+\.b[0-9]+\.a[0-9]+" "$tmp/leases.txt" || fail "list-leases shows no holders"
[[ $(cat "$tmp/health.rc") == 0 ]] || { cat "$tmp/health.txt"; fail "orbit-cli persistence health-check exited non-zero"; }
grep -q "healthy" "$tmp/health.txt" || fail "health-check did not say healthy"
cat "$tmp/leases.txt" "$tmp/health.txt"

# Nothing outlives the run.
if pgrep -f -- "$out" >/dev/null; then pgrep -fa -- "$out"; fail "processes of the run are still alive"; fi
echo "PASS"
