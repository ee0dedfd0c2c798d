#!/bin/bash
# Seeds to first failure per planted bug, from five disjoint first seeds (docs/PERFORMANCE.md).
# Usage (from the workspace root): bazel build //bugs:all && bugs/hunt_medians.sh [out-dir]
set -uo pipefail
out="${1:-$(mktemp -d)}"
declare -A scenario=([no_fencing]=stale-writer [validity_from_receipt]=lease-storm
                     [no_hash_verify]=snapshot-corruption [reply_before_fsync]=counter
                     [at_least_once_rpc]=counter [directory_not_rebuilt]=register)
for bug in no_fencing validity_from_receipt no_hash_verify reply_before_fsync at_least_once_rpc directory_not_rebuilt; do
  counts=()
  for start in 1 201 401 601 801; do
    t0=$(date +%s)
    log=$(bazel-bin/bugs/orbit_sim_bug_$bug campaign --scenario "${scenario[$bug]}" --seeds 200 --first-seed $start \
          --jobs 2 --max-failures 1 --out "$out/$bug-$start" 2>&1)
    first=$(grep -oE "^(safety_violation|liveness_violation|CRASH) [a-z-]+ seed [0-9]+" <<<"$log" | grep -oE "[0-9]+$" | sort -n | head -1)
    n=">200"; [[ -n "$first" ]] && n=$((first - start + 1))
    counts+=("$n")
    echo "$bug ${scenario[$bug]} first-seed=$start seeds-to-first-failure=$n wall=$(( $(date +%s) - t0 ))s"
  done
  echo "$bug: ${counts[*]}"
done
