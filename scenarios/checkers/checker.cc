#include "scenarios/checkers/checker.h"

#include <algorithm>

#include "scenarios/checkers/client_ops.h"
#include "scenarios/checkers/directory_handoff.h"
#include "scenarios/checkers/durability.h"
#include "scenarios/checkers/lease_exclusivity.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/checkers/liveness.h"
#include "scenarios/checkers/single_activation.h"
#include "scenarios/checkers/snapshot_integrity.h"

namespace orbit::checkers {

namespace {

const std::vector<std::unique_ptr<Checker>>& registry() {
  static const auto* const kRegistry = new std::vector<std::unique_ptr<Checker>>(all_checkers());
  return *kRegistry;
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kViolation: return "violation";
    case Verdict::kUnknown: return "unknown";
  }
  return "?";
}

std::string_view to_string(CheckerClass checker_class) {
  switch (checker_class) {
    case CheckerClass::kSafety: return "safety";
    case CheckerClass::kLiveness: return "liveness";
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

const Checker* find_checker(std::string_view name) {
  for (const auto& checker : registry()) {
    if (checker->name() == name) return checker.get();
  }
  return nullptr;
}

std::optional<std::string> validate_checker_names(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (find_checker(name) != nullptr) continue;
    std::string known;
    for (const auto& checker : registry()) {
      if (!known.empty()) known += ", ";
      known += checker->name();
    }
    return "unknown checker '" + name + "' (known: " + known + ")";
  }
  return std::nullopt;
}

std::vector<CheckResult> run_all_checkers(const history::History& history, const CheckContext& context) {
  const ClientOps ops = read_client_ops(history);
  const CheckInput input{history, ops};
  std::vector<CheckResult> results;
  for (const auto& checker : registry()) results.push_back(checker->check(input, context));
  return results;
}

}  // namespace orbit::checkers
