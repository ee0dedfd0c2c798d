// directory_handoff: topology change moves names, not activations (DESIGN.md "Virtual
// actors"; the Orleans #5112 / Proto.Actor #799 class). After a view change every member
// tells each name's new owner where its activations are, so an owner that agrees on the
// view never has to place a name that is already active somewhere.
//
// Evidence, all from the history:
//  - "directory_place" {actor, target, owner}: a node found no directory entry for a name
//    and placed it; owner=true when it is the name's owner in its own view.
//  - "directory_forget" {actor, node, reason}: a node dropped an entry on purpose (the
//    activation did not answer, refused the call, or left the view). After that, placing
//    again is legitimate until the holder registers anew.
//  - "activation" / "deactivation" / "lease_lost" / "duplicate_detected" / "crash": the
//    holder's claim on the name, as in single_activation.
//  - "membership_view" {members, suspect}: each node's view; a holder (re-)registers its
//    active names with their owner whenever its view changes, and on activation.
//
// Rule: a directory_place with owner=true by node O for actor K at time t is a violation
// when some holder H had K active (claim open at t), H's registration of K (at
// reg = max(activation time, H's latest view change)) was sent on a quiet network — no
// fault event of any kind after reg up to t, no lossy or duplicating link configured — at
// least `directory_handoff_bound_ns` before t, O's view equals H's view at t (the same
// members and suspects, so H registered with O), and O did not forget K since reg.
// Registrations travel as ordinary messages: under faults they may be lost, which is why
// only quiet stretches are judged.
#pragma once

#include "scenarios/checkers/checker.h"

namespace orbit::checkers {

class DirectoryHandoffChecker final : public Checker {
 public:
  std::string_view name() const override { return "directory_handoff"; }
  CheckerClass checker_class() const override { return CheckerClass::kSafety; }
  int cost_order() const override { return 30; }
  CheckResult check(const CheckInput& input, const CheckContext& context) const override;
};

}  // namespace orbit::checkers
