// lease_exclusivity: no two holders of one actor's lease ever believe, at the same true
// time, that they hold it.
//
// A holder's belief is what it would act on. Each lease_acquired / lease_renewed event
// {actor, holder, version, valid_for} opens a belief interval [t, t + valid_for) where
// valid_for is measured on the holder node's monotonic clock and converted to true time with
// that node's drift in force at the event (the last clock_drift {ppm} of that node before it:
// true = local * 1e6 / (1e6 + ppm), rounded up; a slow clock makes the belief last longer).
// The interval is cut short by the holder's end of belief:
//   - deactivation or lease_lost of that holder: at its time;
//   - a crash of the holder's node: at its time;
//   - lease_released or activation_failed of that holder: at the time of the holder's
//     previous event for the actor. The release was sent after that event and is recorded
//     only when its reply arrives, while the store may grant the lease to someone else as
//     soon as it processes the release; cutting at the earlier bound avoids reporting the
//     reply's latency as an overlap.
// Intervals of one holder may overlap each other (renewals); intervals of two different
// holders of one actor must not. Each overlapping pair of holders is reported once, at its
// first overlap, with both belief events and the clock_drift events that stretched them.
#pragma once

#include "scenarios/checkers/checker.h"

namespace orbit::checkers {

class LeaseExclusivityChecker final : public Checker {
 public:
  std::string_view name() const override { return "lease_exclusivity"; }
  CheckerClass checker_class() const override { return CheckerClass::kSafety; }
  int cost_order() const override { return 50; }
  CheckResult check(const CheckInput& input, const CheckContext& context) const override;
};

}  // namespace orbit::checkers
