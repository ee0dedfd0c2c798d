#!/usr/bin/env bash
# Determinism lint (docs/BUILD.md, DESIGN.md "Determinism rules").
#
# Usage: determinism_lint.sh ROOT
#
# Scans C++ sources (.h .hpp .cc .cpp) under ROOT/runtime (except ROOT/runtime/real/) and
# ROOT/sim for the OS time, sleep, thread, randomness and Asio uses that would make a
# simulation depend on something other than its seed. Prints one line per violation,
#   path:line: what is forbidden and why
# with path relative to ROOT, sorted. Exit 0 when clean, 1 on violations, 2 on usage errors
# (including "nothing to scan", so a wrong ROOT cannot pass silently).
# Comments are not exempt: keep forbidden names out of them too.
set -euo pipefail

if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: $0 ROOT   (ROOT must be a directory)" >&2
  exit 2
fi
root="${1%/}"

dirs=()
for d in runtime sim; do
  [[ -d "$root/$d" ]] && dirs+=("$root/$d")
done
if ((${#dirs[@]} == 0)); then
  echo "determinism_lint: nothing to scan: neither $root/runtime nor $root/sim exists" >&2
  exit 2
fi

# -L: follow symlinks (Bazel runfiles are symlinks to the source files).
files=()
while IFS= read -r -d '' f; do
  files+=("$f")
done < <(find -L "${dirs[@]}" -path "$root/runtime/real" -prune -o -type f \
           \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' \) -print0 | sort -z)
if ((${#files[@]} == 0)); then
  echo "determinism_lint: nothing to scan: no C++ sources under ${dirs[*]}" >&2
  exit 2
fi

# Character that may not precede an identifier for it to count as a whole word.
nb='(^|[^A-Za-z0-9_])'
# Same, and also not a member access or a qualification (x.rand(, p->rand(, ns::rand().
nbq='(^|[^A-Za-z0-9_:.>])'
na='([^A-Za-z0-9_]|$)'   # not followed by an identifier character

# Each rule: extended regex <TAB> message.
rules=(
  "#[[:space:]]*include[[:space:]]*[<\"](boost/asio|asio)([/.>\"])	includes Asio: real I/O and event loops live in runtime/real/, behind env::Executor and env::Transport"
  "#[[:space:]]*include[[:space:]]*<thread>	includes <thread>: node code is single-threaded on its env::Executor; use coroutines, not threads"
  "${nb}std::j?thread${na}	uses std::thread: node code is single-threaded on its env::Executor; use coroutines, not threads"
  "${nb}(system_clock|steady_clock|high_resolution_clock)${na}	reads an OS clock (std::chrono::*_clock): use env::Clock so the simulator controls time"
  "${nb}random_device${na}	uses std::random_device (nondeterministic seed): use env::Random, seeded per node"
  "${nbq}(std::|::)?s?rand[[:space:]]*\\(	calls rand()/srand() (hidden global state): use env::Random, seeded per node"
  "${nbq}(std::|::)?time[[:space:]]*\\([[:space:]]*(nullptr|NULL|0)[[:space:]]*\\)	reads the OS clock with time(): use env::Clock"
  "${nb}(sleep_for|sleep_until)${na}	blocks the thread (std::this_thread::sleep_*): use co_await orbit::sleep(...) on the executor"
  "${nb}(usleep|nanosleep)${na}	blocks the thread (POSIX sleep): use co_await orbit::sleep(...) on the executor"
  "(^|[^A-Za-z0-9_:])::sleep[[:space:]]*\\(	blocks the thread (POSIX ::sleep): use co_await orbit::sleep(...) on the executor"
  "${nb}(gettimeofday|clock_gettime)${na}	reads the OS clock: use env::Clock"
)

out=""
for rule in "${rules[@]}"; do
  re="${rule%%	*}"
  msg="${rule#*	}"
  # grep exits 1 when nothing matches; that is the good case.
  hits=$(grep -nHE -- "$re" "${files[@]}" || true)
  [[ -z "$hits" ]] && continue
  while IFS= read -r hit; do
    path="${hit%%:*}"
    rest="${hit#*:}"
    line="${rest%%:*}"
    out+="${path#"$root"/}:${line}: ${msg}"$'\n'
  done <<<"$hits"
done

# Layering: dependencies point one way (tools -> scenarios -> sim -> runtime -> env), so
# production code under runtime/ (runtime/real/ included) never includes the simulator.
# Tests may use it as a harness: files named *_test.cc / *_test.h, or whose first line
# says "(test only)".
if [[ -d "$root/runtime" ]]; then
  while IFS= read -r -d '' f; do
    case "$f" in *_test.cc|*_test.h) continue ;; esac
    head -n 1 "$f" | grep -q '(test only)' && continue
    hits=$(grep -nE '#[[:space:]]*include[[:space:]]*"sim/' "$f" || true)
    [[ -z "$hits" ]] && continue
    while IFS= read -r hit; do
      out+="${f#"$root"/}:${hit%%:*}: includes the simulator from production runtime code: dependencies point one way (sim -> runtime); only tests may use sim/"$'\n'
    done <<<"$hits"
  done < <(find -L "$root/runtime" -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' \) -print0 | sort -z)
fi

if [[ -n "$out" ]]; then
  printf '%s' "$out" | LC_ALL=C sort -t: -k1,1 -k2,2n
  exit 1
fi
exit 0
