#include "reports/history_export.h"

#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "reports/history_jsonl.h"

namespace orbit::reports {
namespace {

std::string edn_int(const history::OptInt& v) { return v ? std::to_string(*v) : std::string("nil"); }

struct Invoked {
  history::OpFunction f = history::OpFunction::kRead;
  std::string value;  // its EDN
  int64_t process = 0;
};

}  // namespace

std::string history_jsonl(const history::History& history) { return render_jsonl(history); }

Result<std::string> register_history_edn(const history::History& history, std::string_view actor) {
  std::map<std::string, int64_t, std::less<>> processes;  // client process name -> Jepsen process number
  int64_t next_process = 0;
  std::map<int64_t, Invoked> open;  // op id -> its invocation
  std::string out;
  size_t index = 0;
  const auto& events = history.events();
  for (size_t i = 0; i < events.size(); ++i) {
    const history::Event& e = events[i];
    const auto* invoke = e.get<history::OpInvoke>();
    const auto* complete = e.get<history::OpComplete>();
    if (invoke == nullptr && complete == nullptr) continue;
    const auto bad = [&](const std::string& what) {
      return Error{ErrorCode::kInvalidArgument,
                   "history event " + std::to_string(i) + " (" + std::string(history::kind_name(e.kind())) + "): " + what};
    };
    const std::string_view name = history.str(invoke ? invoke->actor : complete->actor);
    if (!name.starts_with("register/") || (!actor.empty() && name != actor)) continue;
    const int64_t op = invoke ? invoke->op : complete->op;
    const std::string_view process = history.str(invoke ? invoke->process : complete->process);
    std::string line;
    if (invoke) {
      std::string value;
      switch (invoke->f) {
        case history::OpFunction::kRead: value = "nil"; break;
        case history::OpFunction::kWrite: value = edn_int(invoke->value); break;
        case history::OpFunction::kCas: value = "[" + edn_int(invoke->expected) + " " + edn_int(invoke->value) + "]"; break;
        case history::OpFunction::kAdd: return bad("\"f\" is not read, write or cas");
      }
      auto it = processes.find(process);
      if (it == processes.end()) it = processes.emplace(std::string(process), next_process++).first;
      Invoked inv{invoke->f, value, it->second};
      if (!open.emplace(op, inv).second) return bad("op " + std::to_string(op) + " invoked twice");
      line = "{:type :invoke, :f :" + std::string(history::enum_name(inv.f)) + ", :value " + inv.value;
      line += ", :process " + std::to_string(inv.process) + ", :time " + std::to_string(e.time_ns);
    } else {
      auto it = open.find(op);
      if (it == open.end()) return bad("op " + std::to_string(op) + " completes without an invocation");
      const Invoked inv = it->second;
      open.erase(it);
      const std::string type(history::enum_name(complete->type));
      const std::string value =
          complete->type == history::OpType::kOk && inv.f == history::OpFunction::kRead ? edn_int(complete->value)
                                                                                         : inv.value;
      // Jepsen's convention: a process whose operation ended :info may still have it in
      // flight, so the client continues as a new process.
      if (complete->type == history::OpType::kInfo) processes[std::string(process)] = next_process++;
      line = "{:type :" + type + ", :f :" + std::string(history::enum_name(inv.f)) + ", :value " + value;
      line += ", :process " + std::to_string(inv.process) + ", :time " + std::to_string(e.time_ns);
    }
    line += ", :index " + std::to_string(index++);
    if (actor.empty()) line += ", :key " + nlohmann::json(std::string(name)).dump();
    out += line + "}\n";
  }
  if (index == 0) {
    return Error{ErrorCode::kInvalidArgument,
                 actor.empty() ? std::string("the history has no register operations (only the register and stale-writer scenarios have them)")
                               : "the history has no operations on " + std::string(actor)};
  }
  return out;
}

}  // namespace orbit::reports
