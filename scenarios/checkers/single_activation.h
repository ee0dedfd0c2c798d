// single_activation: an actor may be active in two places at once only harmlessly. The old
// activation must be fenced (its writes refused) and must go away once faults heal.
//
// Activation intervals come from the runtime's events: "activation" {actor, holder, token,
// state_version} opens one on the event's node; the holder's "deactivation", or a "crash" of
// that node, closes it; otherwise it lasts to the end of the history. Two intervals of one
// actor overlap when one activation is recorded while the other is open. Of an overlapping
// pair, the *older* is the one with the lower fencing token (ties: the one activated first),
// and it is the duplicate.
//
// Write rule (the Akka split-brain / Dapr rebalance failure): the duplicate must not have a
// write accepted that the newer activation did not see. Concretely, a snapshot_write with
// ok=true by the duplicate's holder, recorded after the newer activation, whose version is
// above the state_version the newer activation loaded, is a violation ("both wrote" when the
// newer one also had writes accepted, else "stale duplicate wrote"). Judging by version and
// not by recording time matters: a holder paused with a write in flight records the write's
// success only when it wakes, possibly after the newer activation started, although the
// store applied it before the newer lease existed (and the newer activation then loaded
// it). A write whose version had a snapshot_integrity_failure before the newer activation
// (so the newer one fell back past it) is not counted.
//
// Detection rule (only with a liveness phase): every duplicate must be closed by
// liveness_start_ns + duplicate_detection_bound_ns. One still open at the end of a history
// that stops before that deadline cannot be judged: the verdict is then unknown.
#pragma once

#include "scenarios/checkers/checker.h"

namespace orbit::checkers {

class SingleActivationChecker final : public Checker {
 public:
  std::string_view name() const override { return "single_activation"; }
  CheckerClass checker_class() const override { return CheckerClass::kSafety; }
  int cost_order() const override { return 60; }
  CheckResult check(const CheckInput& input, const CheckContext& context) const override;
};

}  // namespace orbit::checkers
