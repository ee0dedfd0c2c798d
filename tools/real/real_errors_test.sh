#!/usr/bin/env bash
# Real mode, bad input: a node given a malformed config or an unreachable store exits
# non-zero with a message naming the problem; the launcher refuses bad flags and plans with
# exit 2. No process outlives the test.
set -uo pipefail
node=$1 cluster=$2 store=$3
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail() { echo "FAIL: $*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

expect() {  # expect <exit code> <message substring> <command...>
  local want=$1 needle=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  [[ $rc -eq $want ]] || fail "exit $rc, expected $want: $* -> $out"
  [[ $out == *"$needle"* ]] || fail "message does not name '$needle': $* -> $out"
  echo "ok ($rc): $out" | head -2
}

good=$tmp/good.toml
printf '[persistence]\nprovider = "remote"\n[persistence.remote]\nstore_node = 3\n[membership]\nseeds = [0]\n' >"$good"
port=$(free_port)

# Malformed configs: wrong type, unknown key, bad TOML, a member without a store.
printf '[actor_management]\nlease_duration = 5\n' >"$tmp/type.toml"
expect 2 "actor_management.lease_duration" "$node" --config "$tmp/type.toml" --id 0 --peer 3=127.0.0.1:$port
printf '[membership]\nseedz = [0]\n' >"$tmp/unknown.toml"
expect 2 "membership.seedz" "$node" --config "$tmp/unknown.toml" --id 0 --peer 3=127.0.0.1:$port
printf '[actor_management\nlease_duration = "5s"\n' >"$tmp/syntax.toml"
expect 2 "syntax.toml:1" "$node" --config "$tmp/syntax.toml" --id 0 --peer 3=127.0.0.1:$port
printf '[persistence]\nprovider = "memory"\n' >"$tmp/nostore.toml"
expect 2 "persistence.provider" "$node" --config "$tmp/nostore.toml" --id 0
expect 2 "cannot read --config" "$node" --config "$tmp/missing.toml" --id 0
expect 2 "persistence.remote.store_node" "$node" --config "$good" --id 0
expect 2 "--peer" "$node" --config "$good" --id 0 --peer banana
expect 2 "--bogus" "$node" --config "$good" --id 0 --bogus

# The store is not there: a bounded wait, then exit 1 naming the address.
start=$(date +%s)
expect 1 "127.0.0.1:$port" "$node" --config "$good" --id 0 --peer 3=127.0.0.1:$port --store-timeout 1s
(( $(date +%s) - start < 10 )) || fail "the unreachable-store error took too long"

# Fault points do not exist in production binaries.
expect 2 "--fault-point" "$node" --config "$good" --id 0 --peer 3=127.0.0.1:$port --fault-point actor.stall_before_snapshot_write=1

# The launcher: bad flags, bad plans, missing binaries.
expect 2 "--nodes" "$cluster" run --nodes 1 --out "$tmp/c1" --store-bin "$store" --node-bin "$node"
echo '{"version":1,"events":[{"at_ms":10,"kind":"meteor"}]}' >"$tmp/bad_plan.json"
expect 2 "meteor" "$cluster" run --plan "$tmp/bad_plan.json" --out "$tmp/c2" --store-bin "$store" --node-bin "$node"
echo '{"version":1,"events":[{"at_ms":10,"kind":"crash","node":9}]}' >"$tmp/bad_node.json"
expect 2 "events[0].node" "$cluster" run --plan "$tmp/bad_node.json" --out "$tmp/c3" --store-bin "$store" --node-bin "$node"
expect 2 "--node-bin" "$cluster" run --out "$tmp/c4" --store-bin "$store" --node-bin /nonexistent/orbit_node
expect 2 "--duration" "$cluster" run --duration soon --out "$tmp/c5" --store-bin "$store" --node-bin "$node"
expect 2 "--scenario" "$cluster" run --scenario nope --out "$tmp/c6" --store-bin "$store" --node-bin "$node"

# SIGTERM to the launcher mid-run: it kills and reaps every process it started.
"$cluster" run --duration 60s --out "$tmp/c7" --store-bin "$store" --node-bin "$node" >"$tmp/c7.out" 2>&1 &
launcher=$!
for _ in $(seq 1 150); do grep -q "nodes ready" "$tmp/c7.out" 2>/dev/null && break; sleep 0.1; done
grep -q "nodes ready" "$tmp/c7.out" || { cat "$tmp/c7.out"; fail "the cluster did not come up"; }
pgrep -f -- "$tmp/c7" >/dev/null || fail "no cluster processes found while running"
kill -TERM "$launcher"
wait "$launcher"; rc=$?
[[ $rc -ne 0 ]] || fail "an interrupted launcher exited 0"
grep -q "interrupted" "$tmp/c7.out" || fail "the launcher did not say it was interrupted"

if pgrep -f -- "$tmp" >/dev/null; then pgrep -fa -- "$tmp"; fail "processes are still alive"; fi
echo "PASS"
