#include "scenarios/judge.h"

#include <algorithm>

#include "faults/fault_kind.h"

namespace orbit::scenarios {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass: return "pass";
    case Outcome::kSafetyViolation: return "safety_violation";
    case Outcome::kLivenessViolation: return "liveness_violation";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
}

Result<Judgement> judge(const history::History& history, const JudgeSpec& spec, checkers::CheckContext context) {
  if (auto unknown = checkers::validate_checker_names(spec.required_checkers)) {
    return Error{ErrorCode::kInvalidArgument, *unknown};
  }
  std::vector<const checkers::Checker*> order;
  for (const auto& name : spec.required_checkers) order.push_back(checkers::find_checker(name));
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->cost_order() != b->cost_order() ? a->cost_order() < b->cost_order() : a->name() < b->name();
  });
  order.erase(std::unique(order.begin(), order.end()), order.end());

  const checkers::ClientOps ops = checkers::read_client_ops(history);
  const checkers::CheckInput input{history, ops};
  Judgement out;
  bool safety = false, liveness = false, unknown = false;
  for (const checkers::Checker* checker : order) {
    context.max_search_steps = safety ? spec.search_steps_after_violation : spec.search_steps;
    checkers::CheckResult result = checker->check(input, context);
    if (result.verdict == checkers::Verdict::kViolation) {
      (checker->checker_class() == checkers::CheckerClass::kLiveness ? liveness : safety) = true;
    } else if (result.verdict == checkers::Verdict::kUnknown) {
      unknown = true;
    }
    out.checks.push_back(std::move(result));
  }
  std::sort(out.checks.begin(), out.checks.end(), [](const auto& a, const auto& b) { return a.checker < b.checker; });
  out.outcome = safety     ? Outcome::kSafetyViolation
                : liveness ? Outcome::kLivenessViolation
                : unknown  ? Outcome::kUnknown
                           : Outcome::kPass;
  return out;
}

checkers::CheckContext context_from_history(const history::History& history) {
  checkers::CheckContext context;
  for (const history::Event& e : history.events()) {
    if (const auto* w = e.get<history::LivenessWindowStart>()) {
      context.liveness_start_ns = w->true_ns;
      context.liveness_bound_ns = w->bound.count();
    }
  }
  return context;
}

HistorySummary summarize(const history::History& history) {
  HistorySummary s;
  for (const history::Event& e : history.events()) {
    if (e.is<history::OpInvoke>()) ++s.ops_invoked;
    if (const auto* c = e.get<history::OpComplete>()) {
      switch (c->type) {
        case history::OpType::kOk: ++s.ops_ok; break;
        case history::OpType::kFail: ++s.ops_failed; break;
        case history::OpType::kInfo: ++s.ops_indeterminate; break;
      }
    }
    if (faults::is_fault_event(e.kind())) ++s.faults_injected[std::string(history::kind_name(e.kind()))];
  }
  return s;
}

}  // namespace orbit::scenarios
