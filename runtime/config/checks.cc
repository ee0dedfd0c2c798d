#include "runtime/config/checks.h"

#include <array>
#include <charconv>
#include <system_error>

#include "runtime/config/duration.h"

namespace orbit::config {

std::string format_double(double v) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc()) return "?";
  return std::string(buf.data(), end);
}

std::string quoted_duration(Duration d) { return "\"" + format_duration(d) + "\""; }

Problem check_positive(const std::string& path, Duration d) {
  if (d > Duration(0)) return std::nullopt;
  return path + " must be greater than zero, got " + quoted_duration(d);
}

Problem check_not_negative(const std::string& path, Duration d) {
  if (d >= Duration(0)) return std::nullopt;
  return path + " must not be negative, got " + quoted_duration(d);
}

}  // namespace orbit::config
