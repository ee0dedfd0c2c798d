#include "scenarios/checkers/checker.h"

#include <algorithm>

#include "scenarios/checkers/directory_handoff.h"
#include "scenarios/checkers/durability.h"
#include "scenarios/checkers/lease_exclusivity.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/checkers/liveness.h"
#include "scenarios/checkers/single_activation.h"
#include "scenarios/checkers/snapshot_integrity.h"

namespace orbit::checkers {

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kViolation: return "violation";
    case Verdict::kUnknown: return "unknown";
  }
  return "?";
}

std::vector<std::unique_ptr<Checker>> all_checkers() {
  std::vector<std::unique_ptr<Checker>> out;
  out.push_back(std::make_unique<DirectoryHandoffChecker>());
  out.push_back(std::make_unique<DurabilityChecker>());
  out.push_back(std::make_unique<LeaseExclusivityChecker>());
  out.push_back(std::make_unique<LinearizabilityChecker>());
  out.push_back(std::make_unique<LivenessChecker>());
  out.push_back(std::make_unique<SingleActivationChecker>());
  out.push_back(std::make_unique<SnapshotIntegrityChecker>());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return out;
}

std::vector<CheckResult> run_all_checkers(const sim::History& history, const CheckContext& context) {
  std::vector<CheckResult> results;
  for (const auto& checker : all_checkers()) results.push_back(checker->check(history, context));
  return results;
}

}  // namespace orbit::checkers
