// liveness: once faults are healed and clocks resynced, the system serves every request.
//
// Every client op invoked at or after context.liveness_start_ns must complete "ok" within
// context.liveness_bound_ns of its invocation (true time). A "fail" or "info" completion is a
// violation, and so is an "ok" that came too late, or no completion at all while the history
// runs on past the bound. An op without a completion whose bound reaches past the end of the
// history cannot be judged: the verdict is then unknown. Ops invoked before the liveness
// phase are not judged. Without a liveness phase the checker passes and says so.
#pragma once

#include "scenarios/checkers/checker.h"

namespace orbit::checkers {

class LivenessChecker final : public Checker {
 public:
  std::string_view name() const override { return "liveness"; }
  CheckerClass checker_class() const override { return CheckerClass::kLiveness; }
  int cost_order() const override { return 10; }
  CheckResult check(const CheckInput& input, const CheckContext& context) const override;
};

}  // namespace orbit::checkers
