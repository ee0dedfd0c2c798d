#include "runtime/config/actor_management.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace orbit::config {
namespace {

std::string problem(const ActorManagementConfig& c) {
  Result<void> r = validate_actor_management(c);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
  return r.error().message;
}

TEST(ActorManagementTest, DefaultsAreValid) {
  const ActorManagementConfig c;
  EXPECT_TRUE(validate_actor_management(c).ok());
  EXPECT_EQ(c.max_clock_drift, kDefaultMaxClockDrift);
  EXPECT_EQ(c.max_clock_drift, 0.001);
  EXPECT_EQ(c.lease_duration, 10s);
  EXPECT_EQ(c.safety_margin, 500ms);
}

TEST(ActorManagementTest, DriftPpmRounds) {
  static_assert(drift_ppm(0.001) == 1000);
  static_assert(drift_ppm(kDefaultMaxClockDrift) == 1000);
  EXPECT_EQ(drift_ppm(0.01), 10000);
  EXPECT_EQ(drift_ppm(0.0), 0);
  EXPECT_EQ(drift_ppm(0.0000015), 2);    // halves away from zero
  EXPECT_EQ(drift_ppm(-0.0000015), -2);
  EXPECT_EQ(drift_ppm(0.0000014), 1);
  EXPECT_EQ(drift_ppm(0.000249), 249);   // 0.000249 * 1e6 is 248.99999999999997: truncating is wrong
  EXPECT_EQ(drift_ppm(0.5), 500000);
}

// The exact formulas the runtime used before they moved here; simulated runs depend on
// every nanosecond of them.
Duration old_runtime_validity(Duration duration, double drift, Duration margin) {
  return duration - Duration(static_cast<Duration::rep>(static_cast<double>(duration.count()) * drift)) - margin;
}
Duration old_runtime_renew(Duration duration, double fraction) {
  return Duration(static_cast<Duration::rep>(static_cast<double>(duration.count()) * fraction));
}

TEST(ActorManagementTest, LeaseArithmeticIsTheRuntimes) {
  ActorManagementConfig c;  // 10s, 0.5, 0.001, 500ms
  EXPECT_EQ(c.renew_after(), 5s);
  EXPECT_EQ(c.lease_validity(), 9490ms);
  c.lease_duration = 3ns;
  EXPECT_EQ(c.renew_after(), 1ns);  // truncated
  for (Duration d : {Duration(1), Duration(3), Duration(999'999'999), Duration(3'000'000'001), Duration(10s),
                     Duration(3s), Duration(123'456'789'123)}) {
    for (double drift : {0.0, 0.001, 0.0013, 0.01, 0.1, 0.29, 0.4999}) {
      for (double fraction : {0.1, 0.3, 0.5, 0.7, 1.0 / 3}) {
        c.lease_duration = d;
        c.max_clock_drift = drift;
        c.lease_renewal_fraction = fraction;
        c.safety_margin = 200ms;
        EXPECT_EQ(c.lease_validity(), old_runtime_validity(d, drift, 200ms)) << d.count() << " " << drift;
        EXPECT_EQ(c.renew_after(), old_runtime_renew(d, fraction)) << d.count() << " " << fraction;
      }
    }
  }
}

TEST(ActorManagementTest, ErrorsNameTheKey) {
  ActorManagementConfig c;
  c.max_clock_drift = 0.5;
  EXPECT_EQ(problem(c), "actor_management.max_clock_drift must be in [0, 0.5) (a ratio: 0.001 is 1000 ppm), got 0.5");
  c.max_clock_drift = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(problem(c), "actor_management.max_clock_drift must be in [0, 0.5) (a ratio: 0.001 is 1000 ppm), got nan");
  c = {};
  c.max_clock_drift = 0.4999;
  c.lease_renewal_fraction = 0.1;
  EXPECT_TRUE(validate_actor_management(c).ok());

  c = {};
  c.lease_duration = Duration(0);
  EXPECT_EQ(problem(c), "actor_management.lease_duration must be greater than zero, got \"0s\"");
  c = {};
  c.safety_margin = -1ms;
  EXPECT_EQ(problem(c), "actor_management.safety_margin must not be negative, got \"-1ms\"");
  c = {};
  c.max_concurrent_activations = 0;
  EXPECT_EQ(problem(c), "actor_management.max_concurrent_activations must be at least 1, got 0");
  c.max_concurrent_activations = UINT64_MAX;
  EXPECT_TRUE(validate_actor_management(c).ok());
  c = {};
  c.snapshot_retained_versions = 1001;
  EXPECT_EQ(problem(c), "actor_management.snapshot_retained_versions must be between 1 and 1000, got 1001");
  c = {};
  c.lease_renewal_fraction = 0.95;
  EXPECT_EQ(problem(c),
            "actor_management.lease_renewal_fraction 0.95 renews after \"9500ms\", but a lease of "
            "actor_management.lease_duration \"10s\" is only trusted for \"9490ms\" (after "
            "actor_management.max_clock_drift 0.001 and actor_management.safety_margin \"500ms\"); lower the "
            "fraction, or lengthen the lease");
}

}  // namespace
}  // namespace orbit::config
