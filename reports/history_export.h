// Exports of a recorded history for other tools. JSON Lines is the history as recorded (one
// event per line, the same bytes as <run>.history.jsonl). The register history goes out in
// Jepsen's EDN form, one operation map per line, so Knossos, Elle or Porcupine can cross-check
// our linearizability verdict:
//   {:type :invoke, :f :cas, :value [1 2], :process 0, :time 8857262, :index 0}
// :type is :invoke, then :ok, :fail (definitely not applied) or :info (outcome unknown);
// :process is an integer per client process (numbered in order of first appearance; after an
// :info the client continues under a new number, as in Jepsen, since the op may still apply);
// :time is true time in ns; :index counts the exported operations. A write's completion
// carries the written value, a read's the value read, a CAS's [expected new] (nil: empty).
// An operation whose client died with its node has an :invoke and no completion, which
// Knossos reads as indeterminate.
#pragma once

#include <string>
#include <string_view>

#include "runtime/env/result.h"
#include "history/history.h"

namespace orbit::reports {

// The history's JSON Lines form (reports/history_jsonl.h: render_jsonl).
std::string history_jsonl(const history::History& history);

// `actor`: only this register ("register/r0"); empty: every register, each map with an
// extra :key naming it (Knossos checks one register at a time: pass --actor for it).
// Errors when the history has no register operation (of that actor) or a malformed one.
Result<std::string> register_history_edn(const history::History& history, std::string_view actor);

}  // namespace orbit::reports
