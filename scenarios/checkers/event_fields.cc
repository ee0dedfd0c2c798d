#include "scenarios/checkers/event_fields.h"

#include <algorithm>
#include <limits>

namespace orbit::checkers {

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

std::string format_ns(int64_t ns) {
  if (ns == std::numeric_limits<int64_t>::max()) return "+inf";
  if (ns == std::numeric_limits<int64_t>::min()) return "-inf";
  const bool negative = ns < 0;
  // Unsigned magnitude: -INT64_MIN is handled above, so this cannot overflow.
  const uint64_t magnitude = negative ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  std::string fraction = std::to_string(magnitude % 1'000'000'000ULL);
  fraction.insert(0, 9 - fraction.size(), '0');
  return (negative ? "-" : "") + std::to_string(magnitude / 1'000'000'000ULL) + "." + fraction + "s";
}

std::string describe_event(const history::History& history, size_t index) {
  if (index >= history.size()) return "event " + std::to_string(index) + " (out of range)";
  const history::Event& e = history[index];
  std::string out = "event " + std::to_string(index) + " (" + std::string(history::kind_name(e.kind())) +
                    ", t=" + format_ns(e.time_ns);
  if (e.node != history::kWorldNode) out += ", node " + std::to_string(e.node);
  return out + ")";
}

void MalformedEvents::add(const history::History& history, size_t index, std::string_view what) {
  ++count_;
  if (examples_.size() < kExamples) examples_.push_back(describe_event(history, index) + ": " + std::string(what));
}

std::string MalformedEvents::summary() const {
  if (count_ == 0) return "";
  std::string out = std::to_string(count_) + " malformed event" + (count_ == 1 ? "" : "s") + " ignored; ";
  out += examples_.size() == 1 ? "it was " : "first: ";
  for (size_t i = 0; i < examples_.size(); ++i) {
    if (i > 0) out += "; ";
    out += examples_[i];
  }
  return out;
}

CheckResult make_result(std::string_view checker, std::vector<Violation> violations, std::string checked,
                        std::string undecided, const MalformedEvents& malformed) {
  for (Violation& v : violations) std::sort(v.events.begin(), v.events.end());
  std::stable_sort(violations.begin(), violations.end(), [](const Violation& a, const Violation& b) {
    const size_t fa = a.events.empty() ? std::numeric_limits<size_t>::max() : a.events.front();
    const size_t fb = b.events.empty() ? std::numeric_limits<size_t>::max() : b.events.front();
    if (fa != fb) return fa < fb;
    return a.actor < b.actor;
  });
  CheckResult result;
  result.checker = std::string(checker);
  if (!violations.empty()) {
    result.verdict = Verdict::kViolation;
  } else if (!undecided.empty() || !malformed.empty()) {
    result.verdict = Verdict::kUnknown;
  } else {
    result.verdict = Verdict::kPass;
  }
  result.violations = std::move(violations);
  std::string note = std::move(checked);
  for (const std::string& part : {undecided, malformed.summary()}) {
    if (part.empty()) continue;
    if (!note.empty()) note += "; ";
    note += part;
  }
  result.note = std::move(note);
  return result;
}

}  // namespace orbit::checkers
