// The judge: one function that turns a recorded history into a run's verdict, used by
// every tool that judges (orbit-sim run/campaign/replay/shrink, the properties, and
// orbit-cluster for real-mode histories), so a simulated and a real run of the same
// history get the same verdict, byte for byte.
//
// Order: checkers run by cost order, cheapest first. A search checker (linearizability)
// proving a history NOT linearizable exhausts any budget, so once a safety checker has
// failed the run, later checkers get the small budget (docs/PERFORMANCE.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "history/history.h"
#include "runtime/env/result.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/checkers/client_ops.h"

namespace orbit::scenarios {

enum class Outcome { kPass, kSafetyViolation, kLivenessViolation, kUnknown };
std::string_view to_string(Outcome outcome);

struct JudgeSpec {
  // The checkers that decide the outcome (registry names; an unknown name is an error).
  std::vector<std::string> required_checkers;
  // Search steps for the linearizability checker (all actors), before and after another
  // checker has found a safety violation.
  uint64_t search_steps = 100'000'000;
  uint64_t search_steps_after_violation = 2'000'000;
};

struct Judgement {
  Outcome outcome = Outcome::kPass;
  std::vector<checkers::CheckResult> checks;  // one per required checker, by checker name
};

// Judges `history` under `context` (max_search_steps is the judge's to set). Errors:
// kInvalidArgument naming an unknown checker.
[[nodiscard]] Result<Judgement> judge(const history::History& history, const JudgeSpec& spec,
                                      checkers::CheckContext context);

// The context a history describes itself: the liveness window (its liveness_window_start
// event; none: no liveness phase). What the runtime wrote, not what a tool assumes.
checkers::CheckContext context_from_history(const history::History& history);

// Counts for reports: client operations by outcome, injected faults by history kind (the
// kinds the fault enum records, faults::is_fault_event).
struct HistorySummary {
  uint64_t ops_invoked = 0;
  uint64_t ops_ok = 0;
  uint64_t ops_failed = 0;
  uint64_t ops_indeterminate = 0;
  std::map<std::string, uint64_t> faults_injected;
};
HistorySummary summarize(const history::History& history);

}  // namespace orbit::scenarios
