#include "runtime/metrics/health_evaluator.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <utility>
#include <vector>

#include "runtime/config/duration.h"

namespace orbit::metrics {
namespace {

std::string format_ratio(double v) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc()) return "?";
  return std::string(buf.data(), end);
}

Error invalid(std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); }

// failures/calls > threshold, without dividing (so 5/100 against 0.05 is exactly "not above").
bool rate_above(size_t failures, size_t calls, double threshold) {
  return static_cast<double>(failures) > threshold * static_cast<double>(calls);
}

}  // namespace

Result<void> validate(const HealthConfig& c) {
  if (c.window_calls < 1) return invalid("HealthConfig.window_calls must be at least 1");
  if (c.min_calls_for_rates < 1 || c.min_calls_for_rates > c.window_calls) {
    return invalid("HealthConfig.min_calls_for_rates must be between 1 and HealthConfig.window_calls (" +
                   std::to_string(c.window_calls) + "), got " + std::to_string(c.min_calls_for_rates));
  }
  if (c.unreachable_after_failures < 1) return invalid("HealthConfig.unreachable_after_failures must be at least 1");
  if (!(c.unhealthy_error_rate >= 0.0 && c.unhealthy_error_rate <= 1.0)) {
    return invalid("HealthConfig.unhealthy_error_rate must be in [0, 1], got " + format_ratio(c.unhealthy_error_rate));
  }
  if (!(c.degraded_error_rate >= 0.0 && c.degraded_error_rate <= c.unhealthy_error_rate)) {
    return invalid("HealthConfig.degraded_error_rate must be in [0, HealthConfig.unhealthy_error_rate], got " +
                   format_ratio(c.degraded_error_rate));
  }
  if (c.degraded_p99_latency <= Duration(0)) {
    return invalid("HealthConfig.degraded_p99_latency must be greater than zero, got " +
                   config::format_duration(c.degraded_p99_latency));
  }
  return {};
}

HealthEvaluator::HealthEvaluator(HealthConfig config) : config_(config) {
  assert(validate(config_).ok() && "HealthConfig out of bounds; see validate()");
}

void HealthEvaluator::record_call(bool ok, Duration latency) {
  window_.push_back(Call{ok, latency});
  if (!ok) ++failures_in_window_;
  if (window_.size() > config_.window_calls) {
    if (!window_.front().ok) --failures_in_window_;
    window_.pop_front();
  }
  consecutive_failures_ = ok ? 0 : consecutive_failures_ + 1;
  ++total_calls_;
}

void HealthEvaluator::record_integrity_failure() {
  ++total_integrity_failures_;
  last_integrity_failure_at_call_ = total_calls_;
}

Duration HealthEvaluator::window_p99_latency() const {
  if (window_.empty()) return Duration(0);
  std::vector<Duration> latencies;
  latencies.reserve(window_.size());
  for (const Call& c : window_) latencies.push_back(c.latency);
  // Nearest rank: the ceil(0.99 n)-th smallest, in integers so no rounding is involved.
  const size_t rank = (99 * latencies.size() + 99) / 100;
  const auto nth = latencies.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(latencies.begin(), nth, latencies.end());
  return *nth;
}

persistence::Health HealthEvaluator::evaluate() const {
  std::vector<std::string> unhealthy;
  std::vector<std::string> degraded;

  if (consecutive_failures_ >= config_.unreachable_after_failures) {
    unhealthy.push_back("unreachable: the last " + std::to_string(consecutive_failures_) + " calls failed");
  }
  const size_t calls = window_.size();
  if (calls >= config_.min_calls_for_rates) {
    const std::string rate =
        "error rate " + std::to_string(failures_in_window_) + "/" + std::to_string(calls) + " calls is above ";
    if (rate_above(failures_in_window_, calls, config_.unhealthy_error_rate)) {
      unhealthy.push_back(rate + format_ratio(config_.unhealthy_error_rate));
    } else if (rate_above(failures_in_window_, calls, config_.degraded_error_rate)) {
      degraded.push_back(rate + format_ratio(config_.degraded_error_rate));
    }
    const Duration p99 = window_p99_latency();
    if (p99 > config_.degraded_p99_latency) {
      degraded.push_back("p99 latency " + config::format_duration(p99) + " over the last " + std::to_string(calls) +
                         " calls is above " + config::format_duration(config_.degraded_p99_latency));
    }
  }
  if (last_integrity_failure_at_call_.has_value() &&
      total_calls_ - *last_integrity_failure_at_call_ < config_.window_calls) {
    degraded.push_back("a snapshot failed its integrity check (hash mismatch) within the last " +
                       std::to_string(config_.window_calls) + " calls");
  }

  persistence::Health health;
  if (!unhealthy.empty()) {
    health.state = persistence::HealthState::kUnhealthy;
  } else if (!degraded.empty()) {
    health.state = persistence::HealthState::kDegraded;
  }
  for (const std::vector<std::string>* reasons : {&unhealthy, &degraded}) {
    for (const std::string& r : *reasons) {
      if (!health.reason.empty()) health.reason += "; ";
      health.reason += r;
    }
  }
  return health;
}

std::string_view health_state_name(persistence::HealthState state) {
  switch (state) {
    case persistence::HealthState::kHealthy: return "healthy";
    case persistence::HealthState::kDegraded: return "degraded";
    case persistence::HealthState::kUnhealthy: return "unhealthy";
  }
  return "unknown";
}

nlohmann::json health_to_json(const persistence::Health& health) {
  return {{"state", std::string(health_state_name(health.state))}, {"reason", health.reason}};
}

}  // namespace orbit::metrics
