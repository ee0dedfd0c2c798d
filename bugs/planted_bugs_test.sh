#!/bin/bash
# Every planted bug is caught by a campaign within 200 seeds of the scenario that exercises
# it, the violation names the checker that caught it, and replaying the failing run's
# report reproduces the same outcome and trace hash. (The correct build passing the same
# seeds is the main campaign's job: tools/orbit-sim campaign, run by //tools tests and CI.)
set -uo pipefail
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
hunt() {
  local bug="$1" scenario="$2" checker="$3"
  local bin="bugs/orbit_sim_bug_${bug}" out rc
  out=$("$bin" campaign --scenario "$scenario" --seeds 200 --jobs 2 --max-failures 1 --out "$tmp/$bug" 2>&1); rc=$?
  local line
  line=$(grep -E "^(safety_violation|liveness_violation|CRASH) " <<<"$out" | head -1)
  if [[ $rc -ne 1 || -z "$line" ]]; then
    echo "FAIL: planted bug $bug was not caught by $scenario within 200 seeds (exit $rc)"
    failures=$((failures + 1))
    return
  fi
  if ! grep -q -- "$checker" <<<"$line"; then
    echo "FAIL: planted bug $bug was caught, but not by $checker: $line"
    failures=$((failures + 1))
    return
  fi
  # The failing run's report replays to the same violation and trace hash.
  local report replay
  report=$(grep -oE "replay [^ ]+\.report\.json" <<<"$out" | head -1 | cut -d' ' -f2)
  replay=$("$bin" replay "$report" 2>&1); rc=$?
  if [[ $rc -ne 1 ]] || ! grep -q "REPRODUCED" <<<"$replay"; then
    echo "FAIL: replay of $report (planted bug $bug) did not reproduce (exit $rc): $(grep replay <<<"$replay")"
    failures=$((failures + 1))
    return
  fi
  echo "caught $bug and replayed it: ${line:0:200}"
}
hunt at_least_once_rpc counter durability
hunt reply_before_fsync counter "durability\|liveness"
hunt no_hash_verify snapshot-corruption snapshot_integrity
hunt validity_from_receipt lease-storm lease_exclusivity
hunt no_fencing stale-writer "single_activation\|linearizability\|snapshot_integrity"
hunt directory_not_rebuilt register directory_handoff
if ((failures > 0)); then exit 1; fi
echo PASS
