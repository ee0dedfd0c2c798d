#include "reports/history_export.h"

#include <map>
#include <set>

namespace orbit::reports {
namespace {

using nlohmann::json;

// EDN for the JSON values a register history holds: nil, booleans, integers, strings,
// vectors (CAS's [expected new]).
std::string edn(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "nil";
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return v.dump();
    case json::value_t::string: return v.dump();  // JSON string escapes are valid EDN escapes for these
    case json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + edn(v[i]);
      return out + "]";
    }
    case json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, x] : v.items()) {
        out += (first ? "" : ", ") + std::string(":") + k + " " + edn(x);
        first = false;
      }
      return out + "}";
    }
    default: return "nil";
  }
}

struct Invoked {
  std::string f;
  json value;
  int64_t process = 0;
  std::string actor;
};

}  // namespace

std::string history_jsonl(const sim::History& history) { return history.to_jsonl(); }

Result<std::string> register_history_edn(const sim::History& history, std::string_view actor) {
  static const std::set<std::string> kFunctions = {"read", "write", "cas"};
  std::map<std::string, int64_t> processes;  // client process name -> Jepsen process number
  int64_t next_process = 0;
  std::map<int64_t, Invoked> open;           // op id -> its invocation
  std::string out;
  size_t index = 0;
  const auto& events = history.events();
  for (size_t i = 0; i < events.size(); ++i) {
    const sim::HistoryEvent& e = events[i];
    if (e.kind != "op_invoke" && e.kind != "op_complete") continue;
    const json& d = e.data;
    const auto bad = [&](const std::string& what) {
      return Error{ErrorCode::kInvalidArgument, "history event " + std::to_string(i) + " (" + e.kind + "): " + what};
    };
    if (!d.contains("actor") || !d["actor"].is_string()) return bad("no string \"actor\"");
    const std::string name = d["actor"].get<std::string>();
    if (name.rfind("register/", 0) != 0 || (!actor.empty() && name != actor)) continue;
    if (!d.contains("op") || !d["op"].is_number_integer()) return bad("no integer \"op\"");
    if (!d.contains("process") || !d["process"].is_string()) return bad("no string \"process\"");
    const int64_t op = d["op"].get<int64_t>();
    std::string line;
    if (e.kind == "op_invoke") {
      if (!d.contains("f") || !d["f"].is_string() || !kFunctions.contains(d["f"].get<std::string>())) {
        return bad("\"f\" is not read, write or cas");
      }
      const auto [it, inserted] = processes.emplace(d["process"].get<std::string>(), next_process);
      if (inserted) ++next_process;
      Invoked inv{d["f"].get<std::string>(), d.value("value", json()), it->second, name};
      if (!open.emplace(op, inv).second) return bad("op " + std::to_string(op) + " invoked twice");
      line = "{:type :invoke, :f :" + inv.f + ", :value " + edn(inv.value);
      line += ", :process " + std::to_string(inv.process) + ", :time " + std::to_string(e.time_ns);
    } else {
      auto it = open.find(op);
      if (it == open.end()) return bad("op " + std::to_string(op) + " completes without an invocation");
      const Invoked inv = it->second;
      open.erase(it);
      const std::string type = d.value("type", std::string());
      if (type != "ok" && type != "fail" && type != "info") return bad("\"type\" is not ok, fail or info");
      const json value = type == "ok" && inv.f == "read" ? d.value("value", json()) : inv.value;
      // Jepsen's convention: a process whose operation ended :info may still have it in
      // flight, so the client continues as a new process.
      if (type == "info") processes[d["process"].get<std::string>()] = next_process++;
      line = "{:type :" + type + ", :f :" + inv.f + ", :value " + edn(value);
      line += ", :process " + std::to_string(inv.process) + ", :time " + std::to_string(e.time_ns);
    }
    line += ", :index " + std::to_string(index++);
    if (actor.empty()) line += ", :key " + json(name).dump();
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
