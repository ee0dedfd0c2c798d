#!/usr/bin/env bash
# orbit-cli against a running real-mode cluster: orbit-cluster starts orbit-store (RocksDB) and
# 3 orbit-nodes on loopback, runs the register scenario for a few seconds, then (--hook, while
# every process is still up) this test runs each orbit-cli command against the store and
# asserts its output: the register actors' leases and holders, inspect-state of an actor the
# clients wrote (version > 1, hash verified, its state, its lease), the persistence metrics
# (snapshot writes and lease grants counted, --watch samples), and a healthy health-check.
# orbit-cluster kills every process it started; the test checks none is left.
set -uo pipefail
cluster=$1 node=$2 store=$3 cli=$4
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/orbit-cli-cluster.XXXXXX")
out=$tmp/run
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

hook=$tmp/hook.sh
cat >"$hook" <<HOOK
#!/usr/bin/env bash
c() { "$PWD/$cli" --store "\$ORBIT_STORE_HTTP" "\$@"; }
c actor list-leases >"$tmp/leases.txt" 2>&1; echo \$? >"$tmp/leases.rc"
c actor list-leases --kind register --json >"$tmp/leases.json" 2>&1
c actor inspect-state register/r0 >"$tmp/inspect.txt" 2>&1; echo \$? >"$tmp/inspect.rc"
c actor inspect-state register/r0 --json >"$tmp/inspect.json" 2>&1
c metrics persistence >"$tmp/metrics.txt" 2>&1; echo \$? >"$tmp/metrics.rc"
c metrics persistence --watch --interval 300ms --count 2 >"$tmp/watch.txt" 2>&1; echo \$? >"$tmp/watch.rc"
c persistence health-check >"$tmp/health.txt" 2>&1; echo \$? >"$tmp/health.rc"
exit 0
HOOK
chmod +x "$hook"

rc=0
"$cluster" run --scenario register --nodes 3 --duration 4s --liveness 3s --out "$out" \
  --store-bin "$store" --node-bin "$node" --hook "$hook" >"$tmp/cluster.out" 2>"$tmp/cluster.err" || rc=$?
[[ $rc -eq 0 ]] || { cat "$tmp/cluster.out" "$tmp/cluster.err"; fail "orbit-cluster exited $rc"; }
for f in leases inspect metrics watch health; do
  [[ -f "$tmp/$f.rc" ]] || fail "the hook did not run orbit-cli ($f)"
  [[ $(cat "$tmp/$f.rc") == 0 ]] || { cat "$tmp/$f.txt"; fail "orbit-cli ($f) exited $(cat "$tmp/$f.rc")"; }
done

# list-leases: one row per register actor, held by a node's activation ("n<id>.b<boot>.a<n>").
for r in r0 r1 r2; do
  grep -Eq "^register/$r +n[0-9]+\.b[0-9]+\.a[0-9]+ +[0-9]+ +held +in " "$tmp/leases.txt" \
    || { cat "$tmp/leases.txt"; fail "list-leases has no held row for register/$r"; }
done
python3 - "$tmp/leases.json" "$tmp/inspect.json" "$tmp/inspect.txt" <<'PY' || fail "JSON output"
import json, re, sys
leases = json.load(open(sys.argv[1]))
assert [l["key"]["id"] for l in leases] == ["r0", "r1", "r2"], leases
assert all(l["held"] and l["version"] >= 1 for l in leases), leases
s = json.load(open(sys.argv[2]))
assert s["key"] == {"kind": "register", "id": "r0"}, s["key"]
assert s["version"] > 1, s["version"]           # the clients wrote it repeatedly
assert s["hash_verified"] is True, s
assert s["state"] is not None and "value" in s["state"], s["state"]
assert [v["version"] for v in s["versions"]] == [s["version"] - i for i in range(len(s["versions"]))], s["versions"]
assert s["lease"]["held"] and s["fencing_token"] == s["lease"]["version"], (s["fencing_token"], s["lease"])
text = open(sys.argv[3]).read()
assert re.search(r"^version: +%d$" % s["version"], text, re.M), text
assert re.search(r"^hash_verified: +true$", text, re.M), text
print("inspect-state ok: version", s["version"], "state", s["state"])
PY
grep -Eq '^orbit_store_snapshot_writes_total +[1-9][0-9]*$' "$tmp/metrics.txt" || { cat "$tmp/metrics.txt"; fail "no snapshot writes counted"; }
grep -Eq '^orbit_store_lease_acquires_total +[1-9][0-9]*$' "$tmp/metrics.txt" || fail "no lease grants counted"
grep -Eq '^orbit_store_held_leases +3$' "$tmp/metrics.txt" || fail "held leases gauge is not 3"
[[ $(grep -c '^-- ' "$tmp/watch.txt") -eq 2 ]] || { cat "$tmp/watch.txt"; fail "--watch --count 2 did not print 2 samples"; }
grep -Eq '^orbit_store_lease_renewals_total +[0-9]+ +[0-9.]+/s$' "$tmp/watch.txt" || fail "--watch printed no rates"
grep -q ': healthy' "$tmp/health.txt" || { cat "$tmp/health.txt"; fail "health-check did not say healthy"; }

if pgrep -f -- "$out" >/dev/null; then pgrep -fa -- "$out"; fail "processes of the run are still alive"; fi
cat "$tmp/leases.txt" "$tmp/inspect.txt" "$tmp/health.txt"
echo "PASS"
