#include "scenarios/checkers/client_ops.h"

#include <map>

namespace orbit::checkers {

std::string_view to_string(OpOutcome outcome) {
  switch (outcome) {
    case OpOutcome::kOk: return "ok";
    case OpOutcome::kFail: return "fail";
    case OpOutcome::kInfo: return "info";
    case OpOutcome::kMissing: return "no completion";
  }
  return "?";
}

std::string ClientOp::describe() const {
  return "op " + std::to_string(id) + " (" + f + " by " + process + " on " + actor + ", " +
         std::string(to_string(outcome)) + ")";
}

std::vector<size_t> ClientOp::event_indices() const {
  std::vector<size_t> out{invoke_index};
  if (completed()) out.push_back(complete_index);
  return out;
}

ClientOps read_client_ops(const sim::History& history) {
  ClientOps out;
  std::map<int64_t, size_t> by_id;  // op id -> position in out.ops
  const auto& events = history.events();
  for (size_t i = 0; i < events.size(); ++i) {
    const sim::HistoryEvent& e = events[i];
    if (e.kind == "op_invoke") {
      const auto id = int_field(e, "op");
      const auto process = string_field(e, "process");
      const auto actor = string_field(e, "actor");
      const auto f = string_field(e, "f");
      if (!id) { out.malformed.add(history, i, "no integer \"op\""); continue; }
      if (!process) { out.malformed.add(history, i, "no string \"process\""); continue; }
      if (!actor) { out.malformed.add(history, i, "no string \"actor\""); continue; }
      if (!f) { out.malformed.add(history, i, "no string \"f\""); continue; }
      if (by_id.count(*id) != 0) {
        out.malformed.add(history, i, "op id " + std::to_string(*id) + " invoked twice");
        continue;
      }
      ClientOp op;
      op.id = *id;
      op.process = *process;
      op.actor = *actor;
      op.f = *f;
      op.argument = e.data.contains("value") ? e.data["value"] : nlohmann::json();
      op.invoke_index = i;
      op.invoke_ns = e.time_ns;
      by_id.emplace(*id, out.ops.size());
      out.ops.push_back(std::move(op));
    } else if (e.kind == "op_complete") {
      const auto id = int_field(e, "op");
      const auto type = string_field(e, "type");
      if (!id) { out.malformed.add(history, i, "no integer \"op\""); continue; }
      auto found = by_id.find(*id);
      if (found == by_id.end()) {
        out.malformed.add(history, i, "completes op " + std::to_string(*id) + ", which was never invoked before");
        continue;
      }
      ClientOp& op = out.ops[found->second];
      if (op.completed()) {
        out.malformed.add(history, i, "op " + std::to_string(*id) + " completed twice");
        continue;
      }
      if (const auto actor = string_field(e, "actor"); actor && *actor != op.actor) {
        out.malformed.add(history, i, "op " + std::to_string(*id) + " invoked on " + op.actor + " but completed on " + *actor);
        continue;
      }
      if (!type || (*type != "ok" && *type != "fail" && *type != "info")) {
        out.malformed.add(history, i, "\"type\" must be \"ok\", \"fail\" or \"info\"");
        continue;
      }
      op.outcome = *type == "ok" ? OpOutcome::kOk : *type == "fail" ? OpOutcome::kFail : OpOutcome::kInfo;
      op.complete_index = i;
      op.complete_ns = e.time_ns;
      op.result = e.data.contains("value") ? e.data["value"] : nlohmann::json();
      op.precondition_failed = e.data.value("precondition_failed", false);
    }
  }
  return out;
}

}  // namespace orbit::checkers
