#!/usr/bin/env bash
# Runs the determinism lint over the real source tree (not a copy): the test's only data is
# the top-level WORKSPACE, whose runfiles symlink (spawn_strategy=local) leads back to the
# repository root. Tagged "external" in BUILD so it is never cached and sees new files.
set -euo pipefail
ws="${TEST_SRCDIR:-$PWD/..}/${TEST_WORKSPACE:-orbit}/WORKSPACE"
[[ -e "$ws" ]] || ws=WORKSPACE
real_ws=$(readlink -f "$ws")
root=$(dirname "$real_ws")
if [[ ! -f "$root/tools/lint/determinism_lint.sh" ]]; then
  echo "determinism_lint_test: cannot find the source tree (WORKSPACE resolves to $real_ws)" >&2
  exit 2
fi
echo "determinism lint over $root"
exec "$root/tools/lint/determinism_lint.sh" "$root"
