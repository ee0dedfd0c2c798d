#!/bin/bash
# orbit-store and orbit-cli from the outside: a store on free loopback ports, populated over
# the real TCP transport (RemoteProvider in orbit_store_test_client), every orbit-cli command
# asserted on its output and exit code, a snapshot with a bad hash reported as unverified,
# SIGKILL + restart on the same data directory keeping everything (lease versions too),
# SIGTERM exiting 0, and bad flags / unusable directories / taken ports failing with a
# message naming the problem. No process outlives the test (trap).
set -uo pipefail
store_bin="tools/orbit_store"
cli_bin="tools/orbit_cli"
client_bin="tools/orbit_store_test_client"
tmp="$(mktemp -d "${TEST_TMPDIR:-/tmp}/orbit-store-test.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$tmp"/store*.err; do [[ -f "$f" ]] && { echo "--- $f"; tail -20 "$f"; }; done
  exit 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

client_port=$(free_port)
data="$tmp/data"

# Starts a store on free ports and waits for its ready line; sets store_pid, tport, hport.
start_store() {
  local n=$1
  shift
  "$store_bin" --id 1 --data-dir "$data" --peer "100=127.0.0.1:$client_port" "$@" \
    >"$tmp/store$n.out" 2>"$tmp/store$n.err" &
  store_pid=$!
  pids+=("$store_pid")
  for _ in $(seq 1 200); do
    if read -r word tport hport <"$tmp/store$n.out" 2>/dev/null && [[ "$word" == "ready" ]]; then return 0; fi
    kill -0 "$store_pid" 2>/dev/null || fail "store $n exited before ready: $(cat "$tmp/store$n.err")"
    sleep 0.05
  done
  fail "store $n printed no ready line within 10s"
}

client() { "$client_bin" --id 100 --listen "127.0.0.1:$client_port" --store "1=127.0.0.1:$tport" "$@"; }
cli() { "$cli_bin" --store "127.0.0.1:$hport" "$@"; }
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- a store, populated through the transport.
start_store 1
[[ "$tport" =~ ^[0-9]+$ && "$hport" =~ ^[0-9]+$ && "$tport" != 0 && "$hport" != 0 ]] || fail "bad ready line"
out=$(client acquire --key counter/c1 --holder n1#1) || fail "acquire counter/c1: $out"
grep -q '"granted":true' <<<"$out" || fail "acquire not granted: $out"
client write --key counter/c1 --holder n1#1 --state '{"value":41}' >/dev/null || fail "write counter/c1 v1"
client write --key counter/c1 --holder n1#1 --state '{"value":42}' >/dev/null || fail "write counter/c1 v2"
client acquire --key register/r2 --holder n3#1 >/dev/null || fail "acquire register/r2"
# A snapshot whose stored hash does not match its state (what bit rot looks like to a reader).
client write --key register/r1 --holder n2#1 --state '{"v":"x"}' --bad-hash >/dev/null || fail "write register/r1"
client release --key register/r1 --holder n2#1 >/dev/null || fail "release register/r1"

# --- actor list-leases
out=$(cli actor list-leases) || fail "list-leases exited $?: $out"
grep -qE '^KEY +HOLDER +VERSION +STATE +EXPIRES' <<<"$out" || fail "list-leases header: $out"
grep -qE '^counter/c1 +n1#1 +1 +held +in ' <<<"$out" || fail "list-leases counter/c1 row: $out"
grep -qE '^register/r1 +- +1 +free +-' <<<"$out" || fail "list-leases register/r1 row (released): $out"
grep -qE '^register/r2 +n3#1 +1 +held' <<<"$out" || fail "list-leases register/r2 row: $out"
grep -q '^3 leases$' <<<"$out" || fail "list-leases count: $out"
out=$(cli actor list-leases --kind register) || fail "list-leases --kind exited $?"
grep -q 'counter/c1' <<<"$out" && fail "--kind register listed a counter: $out"
grep -q '^2 leases of kind register$' <<<"$out" || fail "list-leases --kind count: $out"
keys=$(cli --json actor list-leases | json_get '",".join(l["key"]["kind"]+"/"+l["key"]["id"]+":"+l["holder"]+":"+str(l["version"]) for l in d)') \
  || fail "list-leases --json"
[[ "$keys" == "counter/c1:n1#1:1,register/r1::1,register/r2:n3#1:1" ]] || fail "list-leases --json content: $keys"

# --- actor inspect-state
out=$(cli actor inspect-state counter/c1) || fail "inspect-state exited $?: $out"
grep -qE '^version: +2$' <<<"$out" || fail "inspect-state version: $out"
grep -qE '^hash_verified: +true$' <<<"$out" || fail "inspect-state hash: $out"
grep -qE '^state: +\{"value":42\}$' <<<"$out" || fail "inspect-state state: $out"
grep -qE '^retained: +2, 1$' <<<"$out" || fail "inspect-state retained: $out"
grep -qE '^lease: +held by n1#1, version 1$' <<<"$out" || fail "inspect-state lease: $out"
got=$(cli actor inspect-state counter/c1 --json | json_get '" ".join(str(x) for x in (d["version"], d["hash_verified"], d["state"]["value"], d["fencing_token"], len(d["versions"])))') \
  || fail "inspect-state --json"
[[ "$got" == "2 True 42 1 2" ]] || fail "inspect-state --json fields: $got"
out=$(cli actor inspect-state register/r1) || fail "inspect-state of the corrupt snapshot exited $?: $out"
grep -qE '^hash_verified: +false$' <<<"$out" || fail "a bad hash was not reported: $out"
grep -q 'does NOT match' <<<"$out" || fail "no mismatch note: $out"
[[ "$(cli --json actor inspect-state register/r1 | json_get 'd["hash_verified"]')" == "False" ]] || fail "--json hash_verified"
out=$(cli actor inspect-state counter/none 2>&1); rc=$?
[[ $rc -eq 1 ]] || fail "inspect-state of a missing actor exited $rc, want 1"
grep -q 'no snapshot of counter/none' <<<"$out" || fail "missing actor message: $out"
out=$(cli actor inspect-state noslash 2>&1); rc=$?
[[ $rc -eq 2 ]] || fail "inspect-state noslash exited $rc, want 2"
grep -q '<kind>/<id>' <<<"$out" || fail "noslash message: $out"

# --- metrics persistence
out=$(cli metrics persistence) || fail "metrics exited $?: $out"
grep -qE '^orbit_store_snapshot_writes_total +3$' <<<"$out" || fail "snapshot writes: $out"
grep -qE '^orbit_store_lease_acquires_total +[1-9][0-9]*$' <<<"$out" || fail "lease acquires: $out"
grep -qE '^orbit_store_lease_releases_total +1$' <<<"$out" || fail "lease releases: $out"
grep -qE '^orbit_store_held_leases +2$' <<<"$out" || fail "held leases gauge: $out"
out=$(cli metrics persistence --watch --interval 100ms --count 3) || fail "metrics --watch exited $?"
[[ $(grep -c '^-- ' <<<"$out") -eq 3 ]] || fail "--watch --count 3 printed $(grep -c '^-- ' <<<"$out") samples"
grep -qE '^orbit_store_snapshot_writes_total +3 +0/s$' <<<"$out" || fail "--watch rates: $out"
lines=$(cli metrics persistence --watch --interval 100ms --count 2 --json | wc -l)
[[ "$lines" -eq 2 ]] || fail "--watch --json printed $lines lines, want 2"
[[ "$(cli --json metrics persistence | json_get 'd["metrics"]["orbit_store_snapshot_writes_total"]')" == "3" ]] \
  || fail "metrics --json"
curl_out=$("$cli_bin" --store "127.0.0.1:$hport" metrics persistence --interval 1s 2>&1); rc=$?
[[ $rc -eq 2 ]] || fail "--interval without --watch exited $rc, want 2"

# --- persistence health-check
out=$(cli persistence health-check) || fail "health-check of a healthy store exited $?: $out"
grep -q ': healthy' <<<"$out" || fail "health-check output: $out"
[[ "$(cli persistence health-check --json | json_get 'd["state"]')" == "healthy" ]] || fail "health-check --json"

# --- SIGKILL, unreachable, restart on the same data directory: everything is still there.
kill -9 "$store_pid"
wait "$store_pid" 2>/dev/null
out=$(cli persistence health-check 2>&1); rc=$?
[[ $rc -eq 3 ]] || fail "health-check of a dead store exited $rc, want 3"
grep -q "cannot reach the store" <<<"$out" || fail "unreachable message: $out"
start_store 2
out=$(cli actor inspect-state counter/c1) || fail "inspect-state after restart exited $?"
grep -qE '^version: +2$' <<<"$out" || fail "version lost in the restart: $out"
grep -qE '^hash_verified: +true$' <<<"$out" || fail "hash after restart: $out"
out=$(cli actor list-leases) || fail "list-leases after restart"
grep -qE '^counter/c1 +n1#1 +1 +held' <<<"$out" || fail "lease lost in the restart: $out"
# The lease is still held: another holder is refused; the holder writes on under its token.
client acquire --key counter/c1 --holder n9#1 >/dev/null 2>&1 && fail "a held lease was granted to another holder after restart"
out=$(client acquire --key register/r1 --holder n9#1) || fail "acquire of the released lease"
grep -q '"version":2' <<<"$out" || fail "released lease did not get the next version after restart: $out"
client write --key counter/c1 --holder n1#1 --state '{"value":43}' >/dev/null || fail "write after restart"
grep -qE '^version: +3$' <<<"$(cli actor inspect-state counter/c1)" || fail "write after restart not visible"

# --- SIGTERM: clean exit 0.
kill -TERM "$store_pid"
wait "$store_pid"; rc=$?
[[ $rc -eq 0 ]] || fail "SIGTERM exit code $rc, want 0"
grep -q 'shutting down' "$tmp/store2.err" || fail "no shutdown log line"

# --- bad input: non-zero exits with messages naming the problem.
expect_fail() {  # expect_fail <code> <needle> <cmd...>
  local want=$1 needle=$2
  shift 2
  local out rc
  out=$("$@" 2>&1 </dev/null); rc=$?
  [[ $rc -eq $want ]] || fail "'$*' exited $rc, want $want: $out"
  grep -qF -- "$needle" <<<"$out" || fail "'$*' did not name '$needle': $out"
}
expect_fail 2 "--bogus" "$store_bin" --id 1 --data-dir "$tmp/x" --bogus
expect_fail 2 "--data-dir" "$store_bin" --id 1
expect_fail 2 "--peer 5" "$store_bin" --id 1 --data-dir "$tmp/x" --peer 5
expect_fail 2 "--listen" "$store_bin" --id 1 --data-dir "$tmp/x" --listen nonsense
expect_fail 2 "--retained-versions" "$store_bin" --id 1 --data-dir "$tmp/x" --retained-versions 0
touch "$tmp/a-file"
expect_fail 1 "$tmp/a-file/data" "$store_bin" --id 1 --data-dir "$tmp/a-file/data"
# A taken HTTP port: bind fails, named.
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' >"$tmp/holder.out" &
pids+=($!)
for _ in $(seq 1 100); do [[ -s "$tmp/holder.out" ]] && break; sleep 0.05; done
taken=$(cat "$tmp/holder.out")
expect_fail 1 "--http 127.0.0.1:$taken" "$store_bin" --id 1 --data-dir "$tmp/y" --http "127.0.0.1:$taken"
expect_fail 2 "nosuch" "$cli_bin" --store 127.0.0.1:1 nosuch
expect_fail 2 "'metrics' needs a command: persistence" "$cli_bin" --store 127.0.0.1:1 metrics
expect_fail 2 "a command is required" "$cli_bin" --store 127.0.0.1:1
expect_fail 2 "--store" "$cli_bin" persistence health-check
expect_fail 2 "--store nohostport" "$cli_bin" --store nohostport persistence health-check
expect_fail 3 "cannot reach the store" "$cli_bin" --store "127.0.0.1:$(free_port)" actor list-leases
"$cli_bin" --help >/dev/null || fail "--help exited $?"
"$cli_bin" --store 127.0.0.1:1 actor inspect-state --help | grep -q '<kind>/<id>' || fail "inspect-state --help"
"$store_bin" --help | grep -q -- '--data-dir' || fail "orbit-store --help"

echo "PASS"
