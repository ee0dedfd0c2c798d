// Helpers every checker shares: time formatting, saturating deadlines, event descriptions,
// the count of events a checker could not make sense of, and assembling a result.
//
// Typed events cannot lack a field or carry one of the wrong type, so "malformed" here
// means semantically malformed: an op id invoked twice, a completion without its invoke, a
// holder activated twice without a deactivation, a drift no clock can have. A checker
// records such an event instead of guessing, and a history with a malformed event it
// needed can at best be "unknown", never "pass".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "history/history.h"
#include "scenarios/checkers/checker.h"

namespace orbit::checkers {

// a + b, clamped to [INT64_MIN, INT64_MAX]: deadlines built from "no deadline" (INT64_MAX)
// stay "no deadline".
int64_t saturating_add(int64_t a, int64_t b);

// A true time for humans: "1.500000000s"; INT64_MAX prints as "+inf".
std::string format_ns(int64_t ns);

// "event 12 (lease_acquired, t=1.500000000s, node 2)".
std::string describe_event(const history::History& history, size_t index);

// The string of a history name (an actor, holder or process), owned.
inline std::string name_of(const history::History& history, history::Sym sym) {
  return std::string(history.str(sym));
}

// Counts the events a checker could not use and remembers the first few for the note.
class MalformedEvents {
 public:
  void add(const history::History& history, size_t index, std::string_view what);
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }
  // "" when empty, else "2 malformed events ignored; first: event 3 (...): op id 7 invoked twice".
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
