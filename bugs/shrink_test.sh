#!/bin/bash
# orbit-sim shrink on a planted-bug failure: a campaign with no_hash_verify finds a failing
# run; shrink minimises its plan (the same checker must still fail), writes a new report,
# and that report replays to the same trace hash in two separate runs. Bad input exits 2.
set -uo pipefail
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
bin=bugs/orbit_sim_bug_no_hash_verify
fail() { echo "FAIL: $*"; exit 1; }

"$bin" campaign --scenario snapshot-corruption --seeds 20 --jobs 2 --max-failures 1 --out "$tmp/found" >"$tmp/campaign.log" 2>&1
report=$(grep -oE "replay [^ ]+\.report\.json" "$tmp/campaign.log" | head -1 | cut -d' ' -f2)
[[ -n "$report" ]] || fail "the campaign found no failure: $(tail -3 "$tmp/campaign.log")"

out=$("$bin" shrink "$report" -o "$tmp/min" 2>&1); rc=$?
echo "$out"
[[ $rc -eq 0 ]] || fail "shrink exited $rc"
grep -q "still failing: snapshot_integrity" <<<"$out" || fail "shrink did not keep the snapshot_integrity failure"
before=$(sed -nE 's/^shrunk +([0-9]+) -> ([0-9]+) fault events.*/\1/p' <<<"$out")
after=$(sed -nE 's/^shrunk +([0-9]+) -> ([0-9]+) fault events.*/\2/p' <<<"$out")
[[ -n "$before" && -n "$after" && $after -le $before ]] || fail "no event counts in the output"
grep -q "^repro .*--plan $tmp/min/" <<<"$out" || fail "no replay command for the minimal plan"
shrunk="$tmp/min/$(basename "$report")"
[[ -f "$shrunk" ]] || fail "no shrunk report at $shrunk"

# Two separate replays of the shrunk report: same violation, same trace hash.
h1=$("$bin" replay "$shrunk" 2>&1); r1=$?
h2=$("$bin" replay "$shrunk" 2>&1); r2=$?
grep -q REPRODUCED <<<"$h1" && grep -q REPRODUCED <<<"$h2" || fail "the shrunk report did not replay: $h1"
[[ $r1 -eq 1 && $r2 -eq 1 ]] || fail "replays exited $r1 and $r2 (expected 1: a violation)"
t1=$(grep -oE "[0-9a-f]{16}" <<<"$(grep -i "trace" <<<"$h1")" | head -1)
t2=$(grep -oE "[0-9a-f]{16}" <<<"$(grep -i "trace" <<<"$h2")" | head -1)
[[ -n "$t1" && "$t1" == "$t2" ]] || fail "trace hashes differ: $t1 vs $t2"

# Bad input: garbage, a missing file, and a run that does not fail.
echo "not json" >"$tmp/garbage.json"
"$bin" shrink "$tmp/garbage.json" >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "garbage report: expected exit 2"
"$bin" shrink "$tmp/missing.json" >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "missing report: expected exit 2"
tools/orbit_sim run --scenario register --seed 1 --nodes 3 --duration 5s --report "$tmp/pass" >/dev/null 2>&1
msg=$(tools/orbit_sim shrink "$tmp/pass/register-seed1.report.json" 2>&1); rc=$?
[[ $rc -eq 2 ]] && grep -q "does not fail" <<<"$msg" || fail "passing run: expected exit 2 and 'does not fail', got $rc: $msg"
echo PASS
