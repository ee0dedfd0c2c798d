#!/usr/bin/env bash
# Verdict baseline for refactorings of the core: runs every scenario over a range of seeds
# with `orbit-sim run` and writes, per run, one line with the outcome, each checker's verdict
# and note (the note carries the checker's counts: ops judged, beliefs, activations,
# writes) and the operation counts. Trace hashes are left out on purpose: a refactoring may
# change the hash's encoding, never what was judged.
#
# Usage: tools/baseline/verdicts.sh record OUT.txt [SEEDS] [JOBS]
#        tools/baseline/verdicts.sh compare BASELINE.txt [SEEDS] [JOBS]
# compare records afresh into a temporary file and prints a diff; exit 0 when identical.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
mode=${1:?record|compare}
file=${2:?file}
seeds=${3:-200}
jobs=${4:-$(nproc)}

# ORBIT_SIM: a copy of the binary to use (a build that runs meanwhile cannot change it).
if [[ -z "${ORBIT_SIM:-}" ]]; then
  bazel build //tools:orbit_sim >/dev/null 2>&1 || { echo "build failed" >&2; exit 2; }
  ORBIT_SIM=$(mktemp); cp "$root/bazel-bin/tools/orbit_sim" "$ORBIT_SIM"; trap 'rm -f "$ORBIT_SIM"' EXIT
fi
sim=$ORBIT_SIM
scenarios=$("$sim" list | awk '/^scenarios/{on=1; next} on && /^[a-z]/{on=0} on && NF {print $1}')
[[ -n "$scenarios" ]] || { echo "no scenarios listed" >&2; exit 2; }

one() {  # scenario seed -> one line
  local out
  out=$("$1" run --scenario "$2" --seed "$3" 2>&1 || true)
  printf '%s %s | %s\n' "$2" "$3" "$(printf '%s\n' "$out" |
    grep -E '^(outcome|  [a-z_]+ +(pass|VIOLATION|unknown) |operations)' | sed -E 's/ +/ /g' | paste -sd'|')"
}
export -f one

record() {
  for s in $scenarios; do for ((i = 1; i <= seeds; i++)); do echo "$s $i"; done; done |
    xargs -P "$jobs" -n 2 bash -c 'one "$0" "$1" "$2"' "$sim" | sort -k1,1 -k2,2n > "$1"
}

case "$mode" in
  record) record "$file"; echo "$(wc -l < "$file") runs recorded in $file" ;;
  compare)
    fresh=$(mktemp)
    record "$fresh"
    if diff "$file" "$fresh"; then echo "identical: $(wc -l < "$fresh") runs"; rm -f "$fresh"; else echo "DIFFERENT" >&2; exit 1; fi ;;
  *) echo "unknown mode '$mode' (record|compare)" >&2; exit 2 ;;
esac
