#include "runtime/metrics/health_evaluator.h"

#include <gtest/gtest.h>

namespace orbit::metrics {
namespace {

using persistence::HealthState;

void record(HealthEvaluator& h, int n, bool ok, Duration latency = 1ms) {
  for (int i = 0; i < n; ++i) h.record_call(ok, latency);
}

// `failures` failed calls spread among `calls`, never two in a row (so the unreachable rule
// stays out of the way).
void record_spread(HealthEvaluator& h, int calls, int failures) {
  for (int i = 0; i < calls; ++i) h.record_call(!(i % 2 == 0 && i / 2 < failures), 1ms);
}

TEST(HealthEvaluatorTest, ANewProviderIsHealthy) {
  HealthEvaluator h;
  const persistence::Health health = h.evaluate();
  EXPECT_EQ(health.state, HealthState::kHealthy);
  EXPECT_EQ(health.reason, "");
}

TEST(HealthEvaluatorTest, DefaultsAreTheDocumentedOnes) {
  const HealthConfig c;
  EXPECT_EQ(c.window_calls, 100u);
  EXPECT_EQ(c.min_calls_for_rates, 10u);
  EXPECT_EQ(c.unreachable_after_failures, 3u);
  EXPECT_EQ(c.unhealthy_error_rate, 0.5);
  EXPECT_EQ(c.degraded_error_rate, 0.05);
  EXPECT_EQ(c.degraded_p99_latency, 500ms);
  EXPECT_TRUE(validate(c).ok());
}

TEST(HealthEvaluatorTest, ConsecutiveFailuresMeanUnreachable) {
  HealthEvaluator h;
  record(h, 2, false);
  EXPECT_EQ(h.evaluate().state, HealthState::kHealthy);  // 2 < 3, and too few calls for a rate
  record(h, 1, false);
  EXPECT_EQ(h.evaluate().state, HealthState::kUnhealthy);
  EXPECT_EQ(h.evaluate().reason, "unreachable: the last 3 calls failed");
  record(h, 1, true);  // one success: reachable again
  EXPECT_EQ(h.consecutive_failures(), 0u);
  EXPECT_EQ(h.evaluate().state, HealthState::kHealthy);
}

TEST(HealthEvaluatorTest, UnreachableAppliesAfterManySuccessesToo) {
  HealthEvaluator h;
  record(h, 100, true);
  record(h, 3, false);
  EXPECT_EQ(h.evaluate().state, HealthState::kUnhealthy);
  EXPECT_EQ(h.evaluate().reason, "unreachable: the last 3 calls failed");
}

TEST(HealthEvaluatorTest, HighErrorRateIsUnhealthy) {
  HealthEvaluator h;
  record_spread(h, 10, 5);
  EXPECT_EQ(h.failures_in_window(), 5u);
  // 5/10 is not above 0.5, but is above 0.05.
  EXPECT_EQ(h.evaluate().state, HealthState::kDegraded);
  EXPECT_EQ(h.evaluate().reason, "error rate 5/10 calls is above 0.05");
  h.record_call(false, 1ms);
  EXPECT_EQ(h.evaluate().state, HealthState::kUnhealthy);
  EXPECT_EQ(h.evaluate().reason, "error rate 6/11 calls is above 0.5");
}

TEST(HealthEvaluatorTest, ModestErrorRateIsDegraded) {
  HealthEvaluator h;
  record(h, 90, true);
  record_spread(h, 10, 5);
  EXPECT_EQ(h.evaluate().state, HealthState::kHealthy);  // 5/100 is not above 0.05
  h.record_call(false, 1ms);                             // the window slides: 6/100
  EXPECT_EQ(h.calls_in_window(), 100u);
  EXPECT_EQ(h.failures_in_window(), 6u);
  EXPECT_EQ(h.evaluate().state, HealthState::kDegraded);
  EXPECT_EQ(h.evaluate().reason, "error rate 6/100 calls is above 0.05");
}

TEST(HealthEvaluatorTest, OldFailuresLeaveTheWindow) {
  HealthConfig c;
  c.window_calls = 20;
  HealthEvaluator h(c);
  record(h, 16, true);
  record_spread(h, 4, 2);  // calls 16 and 18 failed
  EXPECT_EQ(h.evaluate().state, HealthState::kDegraded);  // 2/20 > 0.05
  record(h, 16, true);     // the window is now calls 16..35
  EXPECT_EQ(h.failures_in_window(), 2u);
  EXPECT_EQ(h.evaluate().state, HealthState::kDegraded);
  record(h, 1, true);      // call 16 left
  EXPECT_EQ(h.failures_in_window(), 1u);
  EXPECT_EQ(h.evaluate().state, HealthState::kHealthy);  // 1/20 is not above 0.05
  record(h, 2, true);
  EXPECT_EQ(h.failures_in_window(), 0u);
  EXPECT_EQ(h.total_calls(), 39u);
}

TEST(HealthEvaluatorTest, RatesWaitForEnoughCalls) {
  HealthEvaluator h;
  record_spread(h, 9, 4);  // 4/9 failed, but fewer than min_calls_for_rates
  EXPECT_EQ(h.evaluate().state, HealthState::kHealthy);
  h.record_call(true, 1ms);
  EXPECT_EQ(h.evaluate().state, HealthState::kDegraded);
}

TEST(HealthEvaluatorTest, SlowP99IsDegraded) {
  HealthEvaluator h;
  record(h, 99, true, 10ms);
  h.record_call(true, 2s);  // one slow call in 100: p99 (rank 99) is still 10ms
  EXPECT_EQ(h.window_p99_latency(), 10ms);
  EXPECT_EQ(h.evaluate().state, HealthState::kHealthy);
  h.record_call(true, 2s);  // two in 100: p99 is 2s
  EXPECT_EQ(h.window_p99_latency(), 2s);
  EXPECT_EQ(h.evaluate().state, HealthState::kDegraded);
  EXPECT_EQ(h.evaluate().reason, "p99 latency 2s over the last 100 calls is above 500ms");
}

TEST(HealthEvaluatorTest, LatencyExactlyAtTheThresholdIsHealthy) {
  HealthEvaluator h;
  record(h, 10, true, 500ms);
  EXPECT_EQ(h.evaluate().state, HealthState::kHealthy);
}

TEST(HealthEvaluatorTest, IntegrityFailureDegradesForOneWindow) {
  HealthConfig c;
  c.window_calls = 10;
  HealthEvaluator h(c);
  h.record_integrity_failure();
  EXPECT_EQ(h.evaluate().state, HealthState::kDegraded);
  EXPECT_EQ(h.evaluate().reason, "a snapshot failed its integrity check (hash mismatch) within the last 10 calls");
  record(h, 9, true);
  EXPECT_EQ(h.evaluate().state, HealthState::kDegraded);
  record(h, 1, true);
  EXPECT_EQ(h.evaluate().state, HealthState::kHealthy);
  EXPECT_EQ(h.total_integrity_failures(), 1u);
}

TEST(HealthEvaluatorTest, EveryHoldingRuleIsListedMostSevereFirst) {
  HealthConfig c;
  c.window_calls = 10;
  HealthEvaluator h(c);
  record(h, 10, false, 1s);
  h.record_integrity_failure();
  const persistence::Health health = h.evaluate();
  EXPECT_EQ(health.state, HealthState::kUnhealthy);
  EXPECT_EQ(health.reason,
            "unreachable: the last 10 calls failed; error rate 10/10 calls is above 0.5; "
            "p99 latency 1s over the last 10 calls is above 500ms; "
            "a snapshot failed its integrity check (hash mismatch) within the last 10 calls");
}

TEST(HealthEvaluatorTest, ValidateNamesTheBadField) {
  HealthConfig c;
  c.window_calls = 0;
  ASSERT_FALSE(validate(c).ok());
  EXPECT_EQ(validate(c).error().message, "HealthConfig.window_calls must be at least 1");

  c = HealthConfig{};
  c.min_calls_for_rates = 101;
  EXPECT_EQ(validate(c).error().message,
            "HealthConfig.min_calls_for_rates must be between 1 and HealthConfig.window_calls (100), got 101");

  c = HealthConfig{};
  c.unreachable_after_failures = 0;
  EXPECT_EQ(validate(c).error().message, "HealthConfig.unreachable_after_failures must be at least 1");

  c = HealthConfig{};
  c.unhealthy_error_rate = 1.5;
  EXPECT_EQ(validate(c).error().message, "HealthConfig.unhealthy_error_rate must be in [0, 1], got 1.5");

  c = HealthConfig{};
  c.degraded_error_rate = 0.6;
  EXPECT_EQ(validate(c).error().message,
            "HealthConfig.degraded_error_rate must be in [0, HealthConfig.unhealthy_error_rate], got 0.6");

  c = HealthConfig{};
  c.degraded_p99_latency = 0s;
  EXPECT_EQ(validate(c).error().message, "HealthConfig.degraded_p99_latency must be greater than zero, got 0s");
}

TEST(HealthEvaluatorTest, HealthAsJson) {
  EXPECT_EQ(health_state_name(HealthState::kHealthy), "healthy");
  EXPECT_EQ(health_state_name(HealthState::kDegraded), "degraded");
  EXPECT_EQ(health_state_name(HealthState::kUnhealthy), "unhealthy");
  persistence::Health health{HealthState::kDegraded, "why"};
  EXPECT_EQ(health_to_json(health), nlohmann::json::parse(R"({"state": "degraded", "reason": "why"})"));
}

}  // namespace
}  // namespace orbit::metrics
