// One drift bound: orbit.toml's default, the actor runtime's default and the fault model's
// default are the same number (config::kDefaultMaxClockDrift), in ppm where the fault model
// counts ppm.
#include <gtest/gtest.h>

#include "faults/fault_plan.h"
#include "faults/generators.h"
#include "runtime/actor/config.h"
#include "runtime/config/actor_management.h"
#include "runtime/config/orbit_config.h"

namespace orbit {
namespace {

TEST(DriftBoundTest, ConfigRuntimeAndFaultModelAgree) {
  EXPECT_EQ(config::drift_ppm(config::ActorManagementConfig{}.max_clock_drift), faults::ModelLimits{}.max_drift_ppm);
  EXPECT_EQ(config::drift_ppm(config::OrbitConfig{}.actor_management.max_clock_drift),
            faults::ModelLimits{}.max_drift_ppm);
  EXPECT_EQ(actor::ActorSystemConfig{}.max_clock_drift, config::ActorManagementConfig{}.max_clock_drift);
  EXPECT_EQ(config::drift_ppm(actor::ActorSystemConfig{}.max_clock_drift), faults::ModelLimits{}.max_drift_ppm);
  EXPECT_EQ(faults::GenOptions{}.max_drift_ppm, faults::ModelLimits{}.max_drift_ppm);
  EXPECT_EQ(faults::ModelLimits{}.max_drift_ppm, 1000);
}

TEST(DriftBoundTest, ParsedDefaultIsTheConstant) {
  Result<config::OrbitConfig> parsed = config::parse_config("", "orbit.toml");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->actor_management.max_clock_drift, config::kDefaultMaxClockDrift);
}

}  // namespace
}  // namespace orbit
