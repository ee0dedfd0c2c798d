// HealthEvaluator: judges a persistence provider Healthy, Degraded or Unhealthy from the
// outcomes of its recent calls, as seen by the caller.
//
// The rules (user-facing: these decide what operators and the cluster see). The window is
// the last `window_calls` calls recorded (100 by default), counted in calls, not time:
// nothing here reads a clock, and a provider that receives no calls keeps its verdict until
// new calls give new evidence.
//
//   Unhealthy when either holds:
//     1. Unreachable: the last `unreachable_after_failures` calls (3) all failed, however
//        many calls the window holds.
//     2. Error rate: more than `unhealthy_error_rate` (0.5) of the calls in the window
//        failed.
//   Degraded when not Unhealthy and any holds:
//     3. Error rate: more than `degraded_error_rate` (0.05) of the calls in the window
//        failed.
//     4. Latency: the p99 latency of the calls in the window (failed ones included: a
//        timeout is slow too), by nearest rank, is above `degraded_p99_latency` (500ms).
//     5. Integrity: a snapshot failed its hash check (record_integrity_failure) within the
//        last `window_calls` calls, i.e. it counts until that many calls have been
//        recorded after it.
//   Healthy otherwise.
//
// Rules 2, 3 and 4 apply only once the window holds at least `min_calls_for_rates` calls
// (10), so that one early failure is not a 100% error rate; rule 1 covers a provider that
// fails from the start.
//
// Health::reason lists every rule that holds, most severe first, joined by "; ", e.g.
//   "unreachable: the last 3 calls failed; error rate 6/10 calls is above 0.5"
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/env/result.h"
#include "runtime/env/time.h"
#include "runtime/persistence/provider.h"

namespace orbit::metrics {

struct HealthConfig {
  uint32_t window_calls = 100;               // >= 1
  uint32_t min_calls_for_rates = 10;         // in [1, window_calls]
  uint32_t unreachable_after_failures = 3;   // >= 1
  double unhealthy_error_rate = 0.5;         // in [0, 1]
  double degraded_error_rate = 0.05;         // in [0, unhealthy_error_rate]
  Duration degraded_p99_latency = std::chrono::milliseconds(500);  // > 0

  friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

// kInvalidArgument naming the field when a bound above is broken.
[[nodiscard]] Result<void> validate(const HealthConfig& config);

class HealthEvaluator {
 public:
  // `config` must pass validate(); a bad one is a programming error (assertion).
  explicit HealthEvaluator(HealthConfig config = {});

  // One provider call finished: whether it succeeded, and how long it took from the
  // caller's point of view. "Failed" means an I/O-class error (kIo, kUnavailable, kTimeout,
  // ...); a refused CAS or a stale fencing token is the provider working, so record those
  // as ok.
  void record_call(bool ok, Duration latency);

  // A snapshot read from this provider failed its SHA-256 check.
  void record_integrity_failure();

  persistence::Health evaluate() const;

  // What evaluate() looks at, for reports and tests.
  size_t calls_in_window() const { return window_.size(); }
  size_t failures_in_window() const { return failures_in_window_; }
  uint64_t consecutive_failures() const { return consecutive_failures_; }
  uint64_t total_calls() const { return total_calls_; }
  uint64_t total_integrity_failures() const { return total_integrity_failures_; }
  // Nearest-rank p99 of the latencies in the window; zero when it is empty.
  Duration window_p99_latency() const;

  const HealthConfig& config() const { return config_; }

 private:
  struct Call {
    bool ok;
    Duration latency;
  };

  HealthConfig config_;
  std::deque<Call> window_;  // oldest first, at most config_.window_calls
  size_t failures_in_window_ = 0;
  uint64_t consecutive_failures_ = 0;
  uint64_t total_calls_ = 0;
  uint64_t total_integrity_failures_ = 0;
  // total_calls_ when the latest integrity failure was recorded.
  std::optional<uint64_t> last_integrity_failure_at_call_;
};

std::string_view health_state_name(persistence::HealthState state);  // "healthy", "degraded", "unhealthy"
nlohmann::json health_to_json(const persistence::Health& health);    // {"state": ..., "reason": ...}

}  // namespace orbit::metrics
