#!/usr/bin/env bash
# The typed history's layering rules (docs/HISTORY.md), checked on bazel query's answers
# (genquery files given as arguments) and on the source tree:
#  1. //history and //scenarios/checkers depend on no JSON library and not on //sim;
#     the judge (shared by orbit-sim and orbit-cluster) not on //sim either.
#  2. No runtime, simulator or workload call site records an event by a string kind or
#     builds JSON to record it: env::Recorder takes typed events only.
set -uo pipefail
history_deps=$1 checkers_deps=$2 judge_deps=$3
failed=0
fail() { echo "FAIL: $*"; failed=1; }

for pair in "history:$history_deps" "checkers:$checkers_deps" "judge:$judge_deps"; do
  name=${pair%%:*} file=${pair#*:}
  [[ -s "$file" ]] || fail "$name: empty query answer $file"
  grep -q -E '^@system//:json$' "$file" && fail "$name depends on @system//:json"
  grep -q -E '^//sim(:|$)' "$file" && fail "$name depends on the simulator: $(grep -E '^//sim' "$file" | paste -sd' ')"
done

ws="${TEST_SRCDIR:-$PWD/..}/${TEST_WORKSPACE:-orbit}/WORKSPACE"
[[ -e "$ws" ]] || ws=WORKSPACE
root=$(dirname "$(readlink -f "$ws")")
[[ -d "$root/history" ]] || { echo "cannot find the source tree from $ws"; exit 2; }
cd "$root"
hits=$(grep -rnE '(record|record_for)\(\s*"[a-z_]+"' runtime sim faults scenarios tools --include=*.cc --include=*.h \
         | grep -v '_test\.cc:' || true)
[[ -z "$hits" ]] || fail "events recorded by string kind:"$'\n'"$hits"
grep -q nlohmann runtime/env/recorder.h && fail "runtime/env/recorder.h mentions JSON"

# 3. Planted bugs switch only at the sites of runtime/env/planted_bugs.h's table, each in
#    the file the table names.
direct=$(grep -rn 'planted_bug(' runtime sim scenarios faults --include=*.cc --include=*.h \
           | grep -v '^runtime/env/planted_bugs\.' | grep -v '_test\.cc:' || true)
[[ -z "$direct" ]] || fail "planted_bug() called outside the site table (use env::planted(bug_sites::...)):"$'\n'"$direct"
sites=0
while read -r name file; do
  sites=$((sites + 1))
  [[ -f "$file" ]] || { fail "planted site $name names a missing file $file"; continue; }
  grep -q "bug_sites::$name\b" "$file" || fail "planted site $name is not used in $file"
done < <(tr -d '\n' < runtime/env/planted_bugs.h | grep -oE 'PlantedSite k[A-Za-z]+\{PlantedBug::k[A-Za-z]+, *"[^"]+"' \
           | sed -E 's/PlantedSite (k[A-Za-z]+)\{PlantedBug::k[A-Za-z]+, *"([^"]+)"/\1 \2/')
((sites > 0)) || fail "no planted sites found in runtime/env/planted_bugs.h"
used=$(grep -rhoE 'bug_sites::k[A-Za-z]+' runtime --include=*.cc | grep -c . || true)
((used == sites)) || fail "$used planted(...) calls in runtime/ for $sites table sites: one call per site"

if ((failed)); then exit 1; fi
echo "layering ok: history, checkers and judge link no JSON and no simulator; no string-kind records; $sites planted sites"
