#!/usr/bin/env bash
# caf_pingpong end to end, small: 3 member processes on loopback, 1 s measured after a short
# warm-up, both affinities. Checks that every member reports, that calls complete without
# errors, and that the totals line has orbit-cluster bench's shape. Usage: $0 CAF_PINGPONG
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
for affinity in spread local; do
  out=$("$bin" --nodes 3 --seconds 1 --warmup-seconds 0.3 --clients 4 --actors 8 --affinity "$affinity") \
    || fail "$affinity: exit $?: $out"
  echo "$out"
  [[ $(grep -c '^caf node ' <<<"$out") == 3 ]] || fail "$affinity: not every member reported"
  line=$(grep '^caf bench ' <<<"$out") || fail "$affinity: no totals line"
  [[ $line =~ 3\ nodes,\ 4\ clients\ per\ node,\ $affinity\ affinity,\ 1\ s:\ ([0-9]+)\ calls,\ 0\ errors,\ [0-9]+\ calls/s\;\ p50\ [0-9]+\ us,\ p99\ [0-9]+\ us ]] \
    || fail "$affinity: unexpected totals line: $line"
  ((BASH_REMATCH[1] > 0)) || fail "$affinity: no calls completed"
done
# Bad flags are refused with exit 2.
set +e
"$bin" --affinity sideways >/dev/null 2>&1
[[ $? == 2 ]] || fail "--affinity sideways was not refused with exit 2"
echo "PASS"
