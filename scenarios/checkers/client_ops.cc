#include "scenarios/checkers/client_ops.h"

#include <map>
#include <unordered_map>

namespace orbit::checkers {

namespace {

OpOutcome outcome_of(history::OpType type) {
  switch (type) {
    case history::OpType::kOk: return OpOutcome::kOk;
    case history::OpType::kFail: return OpOutcome::kFail;
    case history::OpType::kInfo: return OpOutcome::kInfo;
  }
  return OpOutcome::kInfo;  // unreachable: the enum is closed
}

}  // namespace

std::string_view to_string(OpOutcome outcome) {
  switch (outcome) {
    case OpOutcome::kOk: return "ok";
    case OpOutcome::kFail: return "fail";
    case OpOutcome::kInfo: return "info";
    case OpOutcome::kMissing: return "no completion";
  }
  return "?";
}

std::string ClientOp::describe(const history::History& history) const {
  return "op " + std::to_string(id) + " (" + std::string(history::enum_name(f)) + " by " + name_of(history, process) +
         " on " + name_of(history, actor) + ", " + std::string(to_string(outcome)) + ")";
}

std::vector<size_t> ClientOp::event_indices() const {
  std::vector<size_t> out{invoke_index};
  if (completed()) out.push_back(complete_index);
  return out;
}

ClientOps read_client_ops(const history::History& history) {
  ClientOps out;
  std::unordered_map<int64_t, size_t> by_id;  // op id -> position in out.ops (looked up, never iterated)
  for (size_t i = 0; i < history.size(); ++i) {
    const history::Event& e = history[i];
    if (const auto* invoke = e.get<history::OpInvoke>()) {
      if (by_id.count(invoke->op) != 0) {
        out.malformed.add(history, i, "op id " + std::to_string(invoke->op) + " invoked twice");
        continue;
      }
      ClientOp op;
      op.id = invoke->op;
      op.process = invoke->process;
      op.actor = invoke->actor;
      op.f = invoke->f;
      op.value = invoke->value;
      op.expected = invoke->expected;
      op.invoke_index = i;
      op.invoke_ns = e.time_ns;
      by_id.emplace(invoke->op, out.ops.size());
      out.ops.push_back(op);
    } else if (const auto* complete = e.get<history::OpComplete>()) {
      auto id = [&] { return std::to_string(complete->op); };
      auto found = by_id.find(complete->op);
      if (found == by_id.end()) {
        out.malformed.add(history, i, "completes op " + id() + ", which was never invoked before");
        continue;
      }
      ClientOp& op = out.ops[found->second];
      if (op.completed()) {
        out.malformed.add(history, i, "op " + id() + " completed twice");
        continue;
      }
      if (complete->actor != op.actor) {
        out.malformed.add(history, i, "op " + id() + " invoked on " + name_of(history, op.actor) + " but completed on " +
                                          name_of(history, complete->actor));
        continue;
      }
      op.outcome = outcome_of(complete->type);
      op.complete_index = i;
      op.complete_ns = e.time_ns;
      op.result = complete->value;
      op.precondition_failed = complete->precondition_failed;
    }
  }
  return out;
}

}  // namespace orbit::checkers
