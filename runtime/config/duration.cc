#include "runtime/config/duration.h"

#include <array>
#include <cstdint>
#include <utility>

namespace orbit::config {
namespace {

struct Unit {
  std::string_view name;
  int64_t nanos;
};

// Largest first: format_duration picks the first unit that divides exactly.
constexpr std::array<Unit, 6> kUnits = {{
    {"h", int64_t{3600} * 1'000'000'000},
    {"m", int64_t{60} * 1'000'000'000},
    {"s", 1'000'000'000},
    {"ms", 1'000'000},
    {"us", 1'000},
    {"ns", 1},
}};

constexpr std::string_view kUnitList = "ns, us, ms, s, m or h";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  auto fail = [&](std::string why) {
    return make_error(ErrorCode::kInvalidArgument,
                      "invalid duration \"" + std::string(text) + "\": " + std::move(why));
  };
  if (text.empty()) return fail("empty; write an integer and a unit, such as \"10s\"");
  if (text.front() == '-') return fail("durations cannot be negative");
  if (text.front() == '+') return fail("write it without a sign");

  int64_t total_ns = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t number_begin = i;
    int64_t number = 0;
    bool overflow = false;
    while (i < text.size() && is_digit(text[i])) {
      overflow = overflow || __builtin_mul_overflow(number, 10, &number) ||
                 __builtin_add_overflow(number, text[i] - '0', &number);
      ++i;
    }
    if (i == number_begin) {
      return fail("expected an integer at \"" + std::string(text.substr(i)) + "\"");
    }
    if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
      return fail("fractions are not supported; use a smaller unit (\"1500ms\" rather than \"1.5s\")");
    }
    const size_t unit_begin = i;
    while (i < text.size() && is_letter(text[i])) ++i;
    const std::string_view unit_name = text.substr(unit_begin, i - unit_begin);
    if (unit_name.empty()) {
      if (i == text.size()) {
        return fail("missing unit after \"" + std::string(text.substr(number_begin)) + "\"; use " +
                    std::string(kUnitList));
      }
      return fail("unexpected character '" + std::string(1, text[i]) + "'");
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (u.name == unit_name) unit = &u;
    }
    if (unit == nullptr) {
      return fail("unknown unit \"" + std::string(unit_name) + "\"; use " + std::string(kUnitList));
    }
    int64_t part_ns = 0;
    overflow = overflow || __builtin_mul_overflow(number, unit->nanos, &part_ns) ||
               __builtin_add_overflow(total_ns, part_ns, &total_ns);
    if (overflow) return fail("too large; the longest duration is about 292 years");
  }
  return Duration(total_ns);
}

std::string format_duration(Duration d) {
  const int64_t ns = d.count();
  if (ns == 0) return "0s";
  // The magnitude as unsigned, so that the most negative value does not overflow.
  const uint64_t magnitude = ns < 0 ? uint64_t{0} - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  std::string sign = ns < 0 ? "-" : "";
  for (const Unit& u : kUnits) {
    const auto unit_ns = static_cast<uint64_t>(u.nanos);
    if (magnitude % unit_ns == 0) return sign + std::to_string(magnitude / unit_ns) + std::string(u.name);
  }
  return sign + std::to_string(magnitude) + "ns";  // unreachable: every value divides by 1ns
}

}  // namespace orbit::config
