// The recorded history of a run: typed events stamped with true (simulator) time. Faults,
// process lifecycle and everything the runtime and clients record go here; checkers read
// only this. Serializes to JSON Lines, one event per line:
//   {"t":<true time ns>,"node":<id or -1 for the world>,"kind":"<kind>","data":{...}}
// Field order inside "data" is sorted (canonical), so the bytes of an event are a
// function of its content alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/env/result.h"

namespace orbit::sim {

inline constexpr int64_t kWorldNode = -1;

struct HistoryEvent {
  int64_t time_ns = 0;
  int64_t node = kWorldNode;
  std::string kind;
  nlohmann::json data = nlohmann::json::object();

  // The canonical one-line JSON form (the JSON Lines record, without the newline).
  std::string to_json_line() const;
  friend bool operator==(const HistoryEvent&, const HistoryEvent&) = default;
};

class History {
 public:
  const HistoryEvent& record(int64_t time_ns, int64_t node, std::string kind, nlohmann::json data);

  const std::vector<HistoryEvent>& events() const { return events_; }
  size_t size() const { return events_.size(); }

  // Events of one kind, in order.
  std::vector<const HistoryEvent*> of_kind(std::string_view kind) const;

  std::string to_jsonl() const;
  // Parses JSON Lines; an error names the line and what is wrong with it.
  static Result<History> from_jsonl(std::string_view text);

 private:
  std::vector<HistoryEvent> events_;
};

}  // namespace orbit::sim
