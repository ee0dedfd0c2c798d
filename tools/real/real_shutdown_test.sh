#!/usr/bin/env bash
# Real mode, clean shutdown: orbit-cluster bench runs 3 nodes whose bench actors persist
# only periodically (hourly) and at deactivation. The launcher SIGTERMs the nodes: each must
# deactivate its actors with a final snapshot and release their leases before exiting 0.
# The store is then reopened on the same RocksDB directory and inspected with orbit-cli:
# every bench actor has a snapshot with the calls' count in it, and no lease is held.
set -euo pipefail
cluster=$1 node=$2 store=$3 cli=$4
tmp=${TEST_TMPDIR:-$(mktemp -d)}
out=$tmp/bench
fail() { echo "FAIL: $*"; exit 1; }

"$cluster" bench --nodes 3 --seconds 1 --clients 2 --affinity local --out "$out" \
  --store-bin "$store" --node-bin "$node" >"$tmp/bench.out" 2>&1 || { cat "$tmp/bench.out"; fail "bench failed"; }
cat "$tmp/bench.out"
grep -q "0 errors" "$tmp/bench.out" || fail "bench calls failed"
# (the launcher exits 1 when a process does not exit 0 on SIGTERM within 20 s)

# Reopen the store on the same data and look.
"$store" --id 3 --listen 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$out/store-data" >"$tmp/store.out" 2>"$tmp/store.log" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "^ready" "$tmp/store.out" && break; sleep 0.1; done
http=$(awk '/^ready/ {print $3}' "$tmp/store.out")
[[ -n $http ]] || { cat "$tmp/store.log"; fail "the reopened store did not start"; }
"$cli" --store "127.0.0.1:$http" actor list-leases --kind bench >"$tmp/leases.txt" || fail "list-leases failed"
cat "$tmp/leases.txt"
keys=$(awk '$1 ~ /^bench\// {print $1}' "$tmp/leases.txt")
[[ $(echo "$keys" | wc -w) -eq 6 ]] || fail "expected 6 bench actors (2 clients x 3 nodes), got: $keys"
if awk '$1 ~ /^bench\// && $4 == "held"' "$tmp/leases.txt" | grep -q .; then fail "a lease is still held after a clean shutdown"; fi
for key in $keys; do
  "$cli" --store "127.0.0.1:$http" actor inspect-state "$key" >"$tmp/state.txt" || { cat "$tmp/state.txt"; fail "no final snapshot of $key"; }
  grep -q "hash_verified:  true" "$tmp/state.txt" || fail "$key: snapshot hash not verified"
  value=$(sed -n 's/^state: *{"value":\([0-9]*\)}.*/\1/p' "$tmp/state.txt")
  [[ -n $value && $value -gt 0 ]] || { cat "$tmp/state.txt"; fail "$key: the final snapshot does not hold the calls"; }
  echo "$key: final snapshot value $value"
done
kill -TERM $pid; wait $pid || fail "the reopened store did not exit 0 on SIGTERM"
trap - EXIT
if pgrep -f -- "$tmp" >/dev/null; then pgrep -fa -- "$tmp"; fail "processes are still alive"; fi
echo "PASS"
