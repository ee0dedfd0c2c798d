#!/bin/bash
# The report of a planted-bug failure names the checker, the actor and the two overlapping
# holders (or the corrupt snapshot), with the repro command, and `replay` reproduces it; the
# history exports (JSON Lines, Jepsen EDN) and the re-simulation fallback work from it; bad
# input exits 2 with a message naming it; a small campaign writes summary.json.
set -uo pipefail
sim=tools/orbit_sim
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || fail "python3 not found (tools/setup installs it)"

# The first seed (1..30) whose report has a violation by CHECKER; prints the report path.
find_failure() {
  local bug=$1 scenario=$2 checker=$3 seed report
  for seed in $(seq 1 30); do
    "bugs/orbit_sim_bug_$bug" run --scenario "$scenario" --seed "$seed" --report "$tmp/$bug" >/dev/null 2>&1
    report="$tmp/$bug/$scenario-seed$seed.report.json"
    if python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if any(v["checker"]==sys.argv[2] for v in j["violations"]) else 1)' "$report" "$checker"; then
      echo "$report"
      return 0
    fi
  done
  return 1
}

# --- no_fencing: a stale duplicate writes; single_activation names both holders.
fencing=$(find_failure no_fencing stale-writer single_activation) || fail "no_fencing: no single_activation violation in seeds 1..30"
python3 - "$fencing" <<'EOF' || fail "no_fencing report $fencing is incomplete"
import json, re, sys
j = json.load(open(sys.argv[1]))
assert j["schema_version"] == 2, j["schema_version"]
assert j["outcome"] == "safety_violation", j["outcome"]
assert j["repro"] == "tools/orbit-sim replay " + sys.argv[1], j["repro"]
assert j["run_command"].startswith("tools/orbit-sim run --scenario stale-writer --seed %d " % j["seed"]), j["run_command"]
assert j["history"]["file"].endswith(".history.jsonl") and j["history"]["events"] > 0, j["history"]
v = [v for v in j["violations"] if v["checker"] == "single_activation"][0]
assert re.fullmatch(r"register/r\d+", v["actor"]), v["actor"]
assert len(v["holders"]) == 2, v["holders"]
a, b = v["holders"]
for h in (a, b):
    assert re.fullmatch(r"n\d+\.b\d+\.a\d+", h["holder"]), h
    assert isinstance(h["node"], int) and isinstance(h["lease_version"], int), h
    assert h["holder"] in v["explanation"], (h, v["explanation"])
assert a["holder"] != b["holder"] and a["lease_version"] < b["lease_version"], (a, b)
assert [e["index"] for e in v["events"]] == v["event_indices"], v
assert a["event"] in v["event_indices"] and b["event"] in v["event_indices"], v
assert all(e["kind"] and "t" in e and "data" in e for e in v["events"]), v["events"]
assert j["violations"][j["primary_violation"]]["checker"] != "liveness"
print("no_fencing:", v["actor"], a["holder"], "v%d" % a["lease_version"], "and", b["holder"], "v%d" % b["lease_version"])
EOF
out=$(bugs/orbit_sim_bug_no_fencing replay "$fencing" 2>&1); rc=$?
[[ $rc -eq 1 ]] && grep -q "REPRODUCED" <<<"$out" || fail "replay of $fencing did not reproduce (exit $rc): $out"
grep -q "single_activation    VIOLATION" <<<"$out" || fail "replay of $fencing lost the single_activation violation: $out"

# --- no_hash_verify: a corrupt snapshot is loaded; snapshot_integrity names it.
corrupt=$(find_failure no_hash_verify snapshot-corruption snapshot_integrity) || fail "no_hash_verify: no snapshot_integrity violation in seeds 1..30"
python3 - "$corrupt" <<'EOF' || fail "no_hash_verify report $corrupt is incomplete"
import json, re, sys
j = json.load(open(sys.argv[1]))
v = [v for v in j["violations"] if v["checker"] == "snapshot_integrity"][0]
s = v["snapshot"]
assert s["actor"] == v["actor"] and re.fullmatch(r"counter/c\d+", s["actor"]), v
assert isinstance(s["version"], int) and s["version"] > 0, s
assert re.fullmatch(r"[0-9a-f]{64}", s["sha256"]) and re.fullmatch(r"[0-9a-f]{64}", s["expected_sha256"]), s
assert s["sha256"] != s["expected_sha256"], s
assert s["event"] in v["event_indices"], v
assert any(e["kind"] == "snapshot_load" for e in v["events"]), v["events"]
assert j["repro"].startswith("tools/orbit-sim replay "), j["repro"]
print("no_hash_verify:", s["actor"], "version", s["version"], "sha256", s["sha256"][:12], "instead of", s["expected_sha256"][:12])
EOF
out=$(bugs/orbit_sim_bug_no_hash_verify replay "$corrupt" 2>&1); rc=$?
[[ $rc -eq 1 ]] && grep -q "REPRODUCED" <<<"$out" || fail "replay of $corrupt did not reproduce (exit $rc): $out"

# --- export: JSON Lines of every event; the register history as Jepsen EDN.
"$sim" export "$fencing" --format jsonl -o "$tmp/all.jsonl" || fail "export jsonl exited $?"
cmp -s "$tmp/all.jsonl" "${fencing%.report.json}.history.jsonl" || fail "export jsonl differs from the recorded history"
"$sim" export "$fencing" --format edn -o "$tmp/reg.edn" || fail "export edn exited $?"
invokes=$(grep -c '"kind":"op_invoke"' "$tmp/all.jsonl")
[[ $(grep -c '^{:type :invoke, ' "$tmp/reg.edn") -eq $invokes ]] || fail "edn has not one :invoke per op_invoke ($invokes)"
head -1 "$tmp/reg.edn" | grep -qE '^\{:type :invoke, :f :(read|write|cas), :value [^,]+, :process 0, :time [0-9]+, :index 0, :key "register/r[0-9]+"\}$' \
  || fail "edn first line: $(head -1 "$tmp/reg.edn")"
grep -vqE '^\{:type :(invoke|ok|fail|info), :f :(read|write|cas), :value ' "$tmp/reg.edn" && fail "edn has a line of another shape"
"$sim" export "$fencing" --format edn --actor register/r0 | grep -q ':key' && fail "edn --actor still carries :key"

# --- the history file missing: re-simulated (same build) or refused (another build).
mkdir -p "$tmp/nohist" && cp "$fencing" "$tmp/nohist/x.report.json"
err=$(bugs/orbit_sim_bug_no_fencing timeline "$tmp/nohist/x.report.json" -o "$tmp/nohist/x.html" 2>&1) || fail "re-simulated timeline exited $?: $err"
grep -q "re-simulated" <<<"$err" || fail "timeline did not say it re-simulated: $err"
err=$("$sim" timeline "$tmp/nohist/x.report.json" -o "$tmp/nohist/y.html" 2>&1); rc=$?
[[ $rc -eq 2 ]] && grep -q "re-simulating gave trace hash" <<<"$err" || fail "another build's re-simulation was not refused (exit $rc): $err"

# --- bad input: exit 2, the problem named.
expect_usage_error() {
  local what="$1" pattern="$2"; shift 2
  local err rc
  err=$("$sim" "$@" 2>&1 >/dev/null); rc=$?
  [[ $rc -eq 2 ]] || fail "$what: exit $rc, want 2 ($err)"
  grep -qi -- "$pattern" <<<"$err" || fail "$what: message does not mention '$pattern': $err"
}
expect_usage_error "timeline: missing report" "cannot read" timeline "$tmp/absent.report.json"
printf 'garbage' >"$tmp/garbage.report.json"
expect_usage_error "timeline: garbage" "not a JSON object" timeline "$tmp/garbage.report.json"
expect_usage_error "export: unknown format" "format" export "$fencing" --format xml
expect_usage_error "export: edn of counters" "no register operations" export "$corrupt" --format edn
printf '{"t":1,"node":0,"kind":"heal","data":{}}\nnot json\n' >"${fencing%.report.json}.history.jsonl"
expect_usage_error "timeline: broken history" "line 2" timeline "$fencing"

# --- a campaign over a failing seed and the next: summary.json and the table.
seed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$corrupt")
out=$(bugs/orbit_sim_bug_no_hash_verify campaign --scenario snapshot-corruption --first-seed "$seed" --seeds 2 --jobs 2 --out "$tmp/camp" 2>/dev/null); rc=$?
[[ $rc -eq 1 ]] || fail "campaign with a failing seed exited $rc: $out"
grep -q "failures by checker:.*snapshot_integrity=" <<<"$out" || fail "campaign table has no failures by checker: $out"
grep -q "summary: $tmp/camp/summary.json" <<<"$out" || fail "campaign did not name its summary.json: $out"
python3 - "$tmp/camp/summary.json" "$seed" <<'EOF' || fail "summary.json is incomplete"
import json, sys
s = json.load(open(sys.argv[1]))
seed = int(sys.argv[2])
r = s["runs"]
assert r["run"] == 2 and r["passed"] + r["failed"] + r["unknown"] == 2 and r["failed"] >= 1, r
assert any(x == {"scenario": "snapshot-corruption", "seed": seed} for x in s["failures_by_checker"]["snapshot_integrity"]["seeds"]), s["failures_by_checker"]
assert s["failures_by_fault_kind"], s["failures_by_fault_kind"]
assert set(s["fault_kind_coverage"]["plan_kinds"]) >= {"partition", "pause", "crash", "clock_jump"}, s["fault_kind_coverage"]
assert len(s["fault_point_coverage"]["sites"]) == 5, s["fault_point_coverage"]
t = s["timing"]
assert t["seeds_per_s"] > 0 and t["sim_per_wall"] > 0 and t["actor_calls_per_wall_s"] > 0 and t["sim_events_per_wall_s"] > 0, t
f = [f for f in s["failures"] if f["seed"] == seed][0]
assert f["report"].endswith(".report.json") and f["repro"] == "tools/orbit-sim replay " + f["report"], f
assert s["ok"] is False
EOF
echo PASS
