#!/bin/bash
# orbit-sim from the outside: determinism across processes, exit codes (0 pass, 1
# violation, 2 usage or input error, 4 replay diverged), and errors that name the problem.
set -uo pipefail
bin="tools/orbit_sim"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "FAIL: $*"; exit 1; }

# --- demo: the same seed gives the same trace hash in separate processes.
a=$("$bin" demo --seed 42 --seconds 3 --hash-only) || fail "demo exited $?"
b=$("$bin" demo --seed 42 --seconds 3 --hash-only) || fail "demo exited $?"
c=$("$bin" demo --seed 43 --seconds 3 --hash-only) || fail "demo exited $?"
[[ "$a" =~ ^[0-9a-f]{16}$ ]] || fail "not a hash: $a"
[[ "$a" == "$b" ]] || fail "same seed, different trace hashes across processes"
[[ "$a" != "$c" ]] || fail "different seeds gave the same trace hash"

# --- run: passes, prints its trace hash and a repro; report + replay reproduce it.
out=$("$bin" run --scenario counter --seed 3 --duration 8s --report "$tmp/rep") || fail "run exited $?: $out"
grep -q "outcome      pass" <<<"$out" || fail "run did not pass: $out"
hash=$(sed -n 's/^trace hash   //p' <<<"$out")
[[ "$hash" =~ ^[0-9a-f]{16}$ ]] || fail "run printed no trace hash: $out"
report="$tmp/rep/counter-seed3.report.json"
[[ -f "$report" ]] || fail "no report at $report"
[[ -f "$tmp/rep/counter-seed3.history.jsonl" ]] || fail "no history export"
replay=$("$bin" replay "$report") || fail "replay exited $?: $replay"
grep -q "REPRODUCED" <<<"$replay" || fail "replay did not reproduce: $replay"
grep -q "trace hash   $hash" <<<"$replay" || fail "replay printed another trace hash"
# The plan file alone reproduces it too.
plan_out=$("$bin" run --scenario counter --seed 3 --duration 8s --plan "$tmp/rep/counter-seed3.plan.json") || fail "plan run exited $?"
grep -q "trace hash   $hash" <<<"$plan_out" || fail "running the saved plan gave another trace hash"

# A report whose trace hash was tampered with: replay says DIVERGED, exit 4.
sed "s/\"trace_hash\": \"$hash\"/\"trace_hash\": \"0000000000000000\"/" "$report" >"$tmp/tampered.json"
"$bin" replay "$tmp/tampered.json" >/dev/null; rc=$?
[[ $rc -eq 4 ]] || fail "replay of a tampered report exited $rc, want 4"

# --- list names every part.
list=$("$bin" list) || fail "list exited $?"
for want in register counter lease-storm snapshot-corruption partition pause actor.stall_before_snapshot_write linearizability lease_exclusivity; do
  grep -q -- "$want" <<<"$list" || fail "list does not mention $want"
done

# --- bad input exits 2 with a message naming the problem.
expect_usage_error() {
  local what="$1" pattern="$2"; shift 2
  local err rc
  err=$("$bin" "$@" 2>&1 >/dev/null); rc=$?
  [[ $rc -eq 2 ]] || fail "$what: exit $rc, want 2 ($err)"
  grep -qi -- "$pattern" <<<"$err" || fail "$what: message does not mention '$pattern': $err"
}
expect_usage_error "unknown flag" "--bogus" demo --bogus
expect_usage_error "no subcommand" "subcommand"
expect_usage_error "too few nodes" "nodes" demo --nodes 1
expect_usage_error "unknown scenario" "unknown scenario 'nope'" run --scenario nope
expect_usage_error "bad duration" "duration" run --scenario counter --duration 5x
expect_usage_error "missing plan file" "cannot read" run --scenario counter --plan "$tmp/absent.json"
printf '{not json' >"$tmp/bad.json"
expect_usage_error "plan: bad JSON" "invalid JSON" run --scenario counter --plan "$tmp/bad.json"
printf '{"version":1,"events":[{"at_ms":5,"kind":"meteor"}]}' >"$tmp/kind.json"
expect_usage_error "plan: unknown kind" 'unknown fault kind "meteor"' run --scenario counter --plan "$tmp/kind.json"
printf '{"version":1,"events":[{"at_ms":5,"kind":"crash","node":9}]}' >"$tmp/node.json"
expect_usage_error "plan: unknown node" "node 9 does not exist" run --scenario counter --plan "$tmp/node.json"
printf '{"version":1,"events":[{"at_ms":-5,"kind":"heal"}]}' >"$tmp/neg.json"
expect_usage_error "plan: negative time" "at_ms" run --scenario counter --plan "$tmp/neg.json"
printf '{"schema_version":1}' >"$tmp/badreport.json"
expect_usage_error "replay: malformed report" "report" replay "$tmp/badreport.json"
expect_usage_error "campaign: unknown scenario" "unknown scenario" campaign --scenario nope
"$bin" --help >/dev/null || fail "--help exited $?"
echo PASS
