#!/bin/bash
# One judge on files: `orbit-sim judge` and `orbit-cluster judge` read the same history file
# (JSON Lines), call the same judge with the liveness window the history records, and print
# the verdict with the same function: byte-identical output, the same exit code. For the
# history of a passing run, of a planted-bug failing run, and for bad input (exit 2).
# Also: replay refuses a report of another trace-hash version (exit 2, naming both).
set -uo pipefail
sim=${1:-tools/orbit_sim} cluster=${2:-tools/orbit_cluster} bug=${3:-bugs/orbit_sim_bug_no_fencing}
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "FAIL: $*"; exit 1; }

# Judges $1 as scenario $2 with both binaries; checks both agree; prints the exit code.
judge_both() {
  local history=$1 scenario=$2 a b rc_a rc_b
  a=$("$sim" judge "$history" --scenario "$scenario" 2>"$tmp/sim.err"); rc_a=$?
  b=$("$cluster" judge "$history" --scenario "$scenario" 2>"$tmp/cluster.err"); rc_b=$?
  [[ "$a" == "$b" ]] || fail "judge outputs differ for $history:"$'\n'"--- orbit-sim:"$'\n'"$a"$'\n'"--- orbit-cluster:"$'\n'"$b"
  [[ $rc_a == "$rc_b" ]] || fail "judge exit codes differ for $history: orbit-sim $rc_a, orbit-cluster $rc_b"
  printf '%s\n' "$a" >"$tmp/last.out"
  return "$rc_a"
}

# --- a passing run: the same verdict the run printed.
out=$("$sim" run --scenario register --seed 3 --report "$tmp/pass") || fail "run exited $?: $out"
history="$tmp/pass/register-seed3.history.jsonl"
[[ -f "$history" ]] || fail "no history file at $history"
judge_both "$history" register; rc=$?
[[ $rc == 0 ]] || fail "judging a passing run's history exited $rc: $(cat "$tmp/last.out")"
grep -q "^outcome      pass$" "$tmp/last.out" || fail "no pass outcome: $(cat "$tmp/last.out")"
# Every checker line (verdict and note with its counts) as the run printed it: the file
# carries the run's liveness window, so judging it later sees the same run.
while IFS= read -r line; do
  grep -qxF -- "$line" <(sed -E 's/ +/ /g' "$tmp/last.out") || fail "judge differs from the run on: $line"$'\n'"$(cat "$tmp/last.out")"
done < <(grep -E '^  [a-z_]+ +pass ' <<<"$out" | sed -E 's/ +/ /g')
grep -q "liveness pass [0-9]* ops judged in the liveness phase" <(sed -E 's/ +/ /g' "$tmp/last.out") ||
  fail "the liveness window was not read from the history: $(cat "$tmp/last.out")"

# --- a failing run (planted bug: no fencing): the first failing seed of 1..30.
found=""
for seed in $(seq 1 30); do
  if ! "$bug" run --scenario stale-writer --seed "$seed" --report "$tmp/fail" >/dev/null 2>&1; then
    found="$tmp/fail/stale-writer-seed$seed.history.jsonl"
    break
  fi
done
[[ -n "$found" ]] || fail "no failing no_fencing stale-writer seed in 1..30"
judge_both "$found" stale-writer; rc=$?
[[ $rc == 1 ]] || fail "judging a failing run's history exited $rc (want 1): $(cat "$tmp/last.out")"
grep -q "violation" "$tmp/last.out" || fail "no violation printed: $(cat "$tmp/last.out")"

# --- bad input: exit 2 from both, the message names the file and line.
printf '%s\n' "$(head -n 1 "$history")" 'garbage' >"$tmp/bad.jsonl"
judge_both "$tmp/bad.jsonl" register; rc=$?
[[ $rc == 2 ]] || fail "a malformed history exited $rc (want 2)"
grep -q "bad.jsonl: history line 2: not valid JSON" "$tmp/sim.err" || fail "orbit-sim error: $(cat "$tmp/sim.err")"
grep -q "bad.jsonl: history line 2: not valid JSON" "$tmp/cluster.err" || fail "orbit-cluster error: $(cat "$tmp/cluster.err")"
judge_both "$tmp/missing.jsonl" register; rc=$?
[[ $rc == 2 ]] || fail "a missing history exited $rc (want 2)"
judge_both "$history" no-such-scenario; rc=$?
[[ $rc == 2 ]] || fail "an unknown scenario exited $rc (want 2)"

# --- replay refuses a report of another trace-hash version (version 1: no field).
report="$tmp/pass/register-seed3.report.json"
python3 - "$report" "$tmp/v1.report.json" <<'PY' || fail "cannot write the old-version report"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["trace_hash_version"] == 3, j.get("trace_hash_version")
del j["trace_hash_version"]
json.dump(j, open(sys.argv[2], "w"))
PY
err=$("$sim" replay "$tmp/v1.report.json" 2>&1); rc=$?
[[ $rc == 2 ]] || fail "replaying a version-1 report exited $rc (want 2): $err"
grep -q "report trace-hash version 1, this binary 3: re-run the seed instead of replaying" <<<"$err" || fail "replay message: $err"

echo "PASS: orbit-sim judge and orbit-cluster judge agree (pass, violation, bad input); replay checks the trace-hash version"
