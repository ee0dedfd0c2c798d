// durability: a counter under write_through never loses an acknowledged add and never
// shows an add nobody could have made.
//
// Applies to every actor with at least one "add" op (the counter workload): the actors of
// kinds whose policy is write_through. (The history does not say which policy a kind has;
// a scenario with periodic counters should not register this checker for them.) For each
// "read" on such an actor that completed "ok" with an integer value v:
//   lower = sum of adds that completed ok before the read was invoked
//         + the negative amounts among adds that may have been applied
//   upper = sum of adds that completed ok before the read was invoked
//         + the positive amounts among adds that may have been applied
// and lower <= v <= upper must hold, where "may have been applied" means invoked before the
// read completed, not already counted, and not completed "fail" (fail means not applied, even
// if the fail arrives after the read; "info" and a missing completion mean maybe).
// Below the lower bound an acknowledged add was lost; above the upper one the counter holds
// an add that was never made, or was made twice (a retried write, Orleans #6128).
#pragma once

#include "scenarios/checkers/checker.h"

namespace orbit::checkers {

class DurabilityChecker final : public Checker {
 public:
  std::string_view name() const override { return "durability"; }
  CheckerClass checker_class() const override { return CheckerClass::kSafety; }
  int cost_order() const override { return 20; }
  CheckResult check(const CheckInput& input, const CheckContext& context) const override;
};

}  // namespace orbit::checkers
