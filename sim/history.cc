#include "sim/history.h"

namespace orbit::sim {

std::string HistoryEvent::to_json_line() const {
  nlohmann::json line = nlohmann::json::object();
  line["t"] = time_ns;
  line["node"] = node;
  line["kind"] = kind;
  line["data"] = data;
  return line.dump();
}

const HistoryEvent& History::record(int64_t time_ns, int64_t node, std::string kind,
                                    nlohmann::json data) {
  if (data.is_null()) data = nlohmann::json::object();
  events_.push_back(HistoryEvent{time_ns, node, std::move(kind), std::move(data)});
  return events_.back();
}

std::vector<const HistoryEvent*> History::of_kind(std::string_view kind) const {
  std::vector<const HistoryEvent*> out;
  for (const auto& e : events_) {
    if (e.kind == kind) out.push_back(&e);
  }
  return out;
}

std::string History::to_jsonl() const {
  std::string out;
  for (const auto& e : events_) {
    out += e.to_json_line();
    out += '\n';
  }
  return out;
}

Result<History> History::from_jsonl(std::string_view text) {
  History history;
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.empty()) continue;
    const auto where = "history line " + std::to_string(line_no) + ": ";
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Error{ErrorCode::kCorrupt, where + "not valid JSON"};
    if (!j.is_object()) return Error{ErrorCode::kCorrupt, where + "not a JSON object"};
    if (!j.contains("t") || !j["t"].is_number_integer()) {
      return Error{ErrorCode::kCorrupt, where + "field \"t\" must be an integer"};
    }
    if (!j.contains("node") || !j["node"].is_number_integer()) {
      return Error{ErrorCode::kCorrupt, where + "field \"node\" must be an integer"};
    }
    if (!j.contains("kind") || !j["kind"].is_string()) {
      return Error{ErrorCode::kCorrupt, where + "field \"kind\" must be a string"};
    }
    nlohmann::json data = j.contains("data") ? j["data"] : nlohmann::json::object();
    if (!data.is_object()) return Error{ErrorCode::kCorrupt, where + "field \"data\" must be an object"};
    history.record(j["t"].get<int64_t>(), j["node"].get<int64_t>(), j["kind"].get<std::string>(),
                   std::move(data));
  }
  return history;
}

}  // namespace orbit::sim
