// Reading history events defensively. Histories come from the simulator and from real
// clusters (possibly older runtimes), so a field may be missing or have the wrong type; a
// checker records such an event as malformed instead of guessing, and a history with a
// malformed event it needed can at best be "unknown", never "pass".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/checkers/checker.h"
#include "sim/history.h"

namespace orbit::checkers {

// The field if present with the right type; nullopt otherwise. int_field accepts only JSON
// integers representable as int64_t (never floats).
std::optional<std::string> string_field(const sim::HistoryEvent& event, std::string_view key);
std::optional<int64_t> int_field(const sim::HistoryEvent& event, std::string_view key);
std::optional<bool> bool_field(const sim::HistoryEvent& event, std::string_view key);

// a + b, clamped to [INT64_MIN, INT64_MAX]: deadlines built from "no deadline" (INT64_MAX)
// stay "no deadline".
int64_t saturating_add(int64_t a, int64_t b);

// A true time for humans: "1.500000000s"; INT64_MAX prints as "+inf".
std::string format_ns(int64_t ns);

// "event 12 (lease_acquired, t=1.500000000s, node 2)".
std::string describe_event(const sim::History& history, size_t index);

// Counts the events a checker could not read and remembers the first few for the note.
class MalformedEvents {
 public:
  void add(const sim::History& history, size_t index, std::string_view what);
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  // "" when empty, else "2 malformed events ignored; first: event 3 (...): no integer \"op\"".
  std::string summary() const;

 private:
  static constexpr size_t kExamples = 3;
  size_t count_ = 0;
  std::vector<std::string> examples_;
};

// Assembles a result: kViolation when there are violations; else kUnknown when something
// was malformed or `undecided` is non-empty (which says why); else kPass. The note joins
// `checked`, `undecided` and the malformed summary. Violations are sorted by their first
// event so the order never depends on container iteration.
CheckResult make_result(std::string_view checker, std::vector<Violation> violations, std::string checked,
                        std::string undecided, const MalformedEvents& malformed);

}  // namespace orbit::checkers
