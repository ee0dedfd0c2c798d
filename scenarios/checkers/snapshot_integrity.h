// snapshot_integrity: no corrupt or invented state is ever loaded, accepted snapshot versions
// only move forward, and no acknowledged snapshot silently disappears.
//
// Per actor, from snapshot_write {version, token, sha256, ok, error}, snapshot_load {version,
// sha256, loaded_sha256, verified} and snapshot_integrity_failure {version}:
//   1. Every load has verified == true.
//   2. Every load's loaded_sha256 (the hash of the bytes actually loaded) equals the sha256 of
//      a write of the same version recorded before the load that may have been applied:
//      ok=true, or failed with an outcome the writer could not know (any error but kRejected
//      or kConflict, which are definite refusals). A load of bytes never written at that
//      version is corruption loaded; so is a load of bytes the store refused.
//   3. Accepted writes (ok=true) have strictly increasing versions in the store's order. The
//      store accepts a write only under the current lease version (the fencing token), so its
//      order is token order, and within one token (one activation, which writes one at a time)
//      event order. Ordering by token rather than by recording time keeps a holder paused with
//      a write in flight, which records its success late, from looking like a regression.
//   4. A load must not pick a version older than the newest write acknowledged before its
//      read began (snapshot_read_begin {actor, holder}: a holder paused with its read in
//      flight records the load late; without that event, before the load),
//      unless a snapshot_integrity_failure of a version newer than the one loaded was recorded
//      between that acknowledgement and the load (the newer snapshot was corrupt: falling back
//      is the designed behaviour, and the failure is on record).
#pragma once

#include "scenarios/checkers/checker.h"

namespace orbit::checkers {

class SnapshotIntegrityChecker final : public Checker {
 public:
  std::string_view name() const override { return "snapshot_integrity"; }
  CheckerClass checker_class() const override { return CheckerClass::kSafety; }
  int cost_order() const override { return 40; }
  CheckResult check(const CheckInput& input, const CheckContext& context) const override;
};

}  // namespace orbit::checkers
