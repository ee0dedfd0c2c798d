// linearizability: every actor used as a register behaves like one register read and written
// atomically at some instant between each op's invocation and completion.
//
// The model, per actor (P-compositionality: a history is linearizable iff each actor's
// sub-history is, so each actor is searched alone): a register of integers whose initial
// value is null (an op's empty value or expected is null too).
//   read        ok with value v: takes effect iff the register holds v
//   write v     register := v
//   cas [e, n]  ok: takes effect iff the register holds e, then register := n
// Ops that completed "fail" did not happen and are left out. Ops whose outcome is unknown
// ("info", or no completion) may have taken effect at any instant after their invocation, or
// never: they have no deadline and need not be placed (an unknown read constrains nothing and
// is left out; an unknown cas, when placed, must find e). Actors with any op outside read,
// write and cas (a counter's "add") are not registers and are skipped (see the note).
//
// The search is Wing & Gong's, as refined by Lowe ("Testing for linearizability", 2016) and
// used by Porcupine: walk the time-ordered list of invocations and completions; linearize a
// pending op when the model allows it, backtrack when a completion is reached whose op is not
// yet linearized; memoize (set of linearized ops, register value) so no configuration is
// explored twice. Real-time order is history (event index) order. The search is capped by
// context.max_search_steps for the whole history, actors smallest first; an actor it cannot
// finish is unknown, never pass. A failing actor is reported with the op the deepest partial
// linearization could not place, the register value there, the ops concurrent with it, and
// the last write before it.
#pragma once

#include "scenarios/checkers/checker.h"

namespace orbit::checkers {

class LinearizabilityChecker final : public Checker {
 public:
  std::string_view name() const override { return "linearizability"; }
  CheckerClass checker_class() const override { return CheckerClass::kSafety; }
  int cost_order() const override { return 100; }
  CheckResult check(const CheckInput& input, const CheckContext& context) const override;
};

}  // namespace orbit::checkers
