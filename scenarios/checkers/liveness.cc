#include "scenarios/checkers/liveness.h"

#include <limits>

#include "scenarios/checkers/client_ops.h"
#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

CheckResult LivenessChecker::check(const CheckInput& input, const CheckContext& context) const {
  if (context.liveness_start_ns == std::numeric_limits<int64_t>::max()) {
    return make_result(name(), {}, "no liveness phase: nothing to judge", "", MalformedEvents{});
  }
  const history::History& history = input.history;
  const ClientOps& ops = input.ops;
  const int64_t history_end_ns = history.events().empty() ? 0 : history.events().back().time_ns;
  const int64_t bound = context.liveness_bound_ns;

  std::vector<Violation> violations;
  size_t judged = 0;
  size_t unjudged = 0;
  for (const ClientOp& op : ops.ops) {
    if (op.invoke_ns < context.liveness_start_ns) continue;
    const int64_t deadline_ns = saturating_add(op.invoke_ns, bound);
    if (!op.completed() && history_end_ns < deadline_ns) {
      ++unjudged;
      continue;
    }
    ++judged;
    std::string what;
    if (!op.completed()) {
      what = "never completed (the history runs to " + format_ns(history_end_ns) + ")";
    } else if (op.outcome == OpOutcome::kFail && op.precondition_failed && op.complete_ns <= deadline_ns) {
      continue;  // answered in time: the CAS did not match
    } else if (op.outcome != OpOutcome::kOk) {
      what = "completed \"" + std::string(to_string(op.outcome)) + "\" after " +
             std::to_string(op.complete_ns - op.invoke_ns) + " ns";
    } else if (op.complete_ns > deadline_ns) {
      what = "completed ok only after " + std::to_string(op.complete_ns - op.invoke_ns) + " ns";
    } else {
      continue;
    }
    Violation v;
    v.explanation = op.describe(history) + ", invoked at " + format_ns(op.invoke_ns) + " in the liveness phase (from " +
                    format_ns(context.liveness_start_ns) + "), " + what + "; it must complete ok within " +
                    std::to_string(bound) + " ns";
    v.events = op.event_indices();
    v.actor = name_of(history, op.actor);
    violations.push_back(std::move(v));
  }
  std::string checked = std::to_string(judged) + " ops judged in the liveness phase from " +
                        format_ns(context.liveness_start_ns) + " (bound " + std::to_string(bound) + " ns)";
  std::string undecided;
  if (unjudged > 0) {
    undecided = std::to_string(unjudged) + " op" + (unjudged == 1 ? " has" : "s have") +
                " no completion yet and the history ends at " + format_ns(history_end_ns) + ", before the bound";
  }
  return make_result(name(), std::move(violations), std::move(checked), std::move(undecided), ops.malformed);
}

}  // namespace orbit::checkers
