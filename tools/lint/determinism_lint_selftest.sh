#!/usr/bin/env bash
# Runs the determinism lint over the fixture tree testdata/bad and checks that it reports
# exactly testdata/expected.txt (each bad file once per rule it breaks; nothing from
# runtime/real/, the look-alikes in runtime/allowed.cc, or non-C++ files) and exits 1.
set -uo pipefail
dir="tools/lint"
actual=$("$dir/determinism_lint.sh" "$dir/testdata/bad")
rc=$?
status=0
if [[ $rc -ne 1 ]]; then
  echo "FAIL: expected exit code 1, got $rc" >&2
  status=1
fi
if ! diff -u "$dir/testdata/expected.txt" <(printf '%s\n' "$actual"); then
  echo "FAIL: reported violations differ from testdata/expected.txt (diff above: - expected, + actual)" >&2
  status=1
fi
# A directory with nothing to scan must not pass.
empty=$(mktemp -d "${TEST_TMPDIR:-/tmp}/lint_empty.XXXXXX")
"$dir/determinism_lint.sh" "$empty" >/dev/null 2>&1
rc=$?
if [[ $rc -ne 2 ]]; then
  echo "FAIL: an empty tree should exit 2, got $rc" >&2
  status=1
fi
# A clean tree passes.
mkdir -p "$empty/sim"
printf 'int f(int operand) { return operand; }\n' >"$empty/sim/ok.cc"
if ! "$dir/determinism_lint.sh" "$empty"; then
  echo "FAIL: a clean tree should pass" >&2
  status=1
fi
[[ $status -eq 0 ]] && echo "determinism lint selftest: OK"
exit $status
