#include "runtime/node/node_config.h"

#include <gtest/gtest.h>

namespace orbit::node {
namespace {

TEST(NodeConfigTest, MapsEveryKey) {
  auto parsed = config::parse_config(R"(
[actor_management]
lease_duration = "8s"
lease_renewal_fraction = 0.25
max_clock_drift = 0.002
safety_margin = "200ms"
snapshot_interval = "3s"
idle_timeout = "90s"
max_concurrent_activations = 77
snapshot_retained_versions = 4

[persistence]
provider = "remote"
[persistence.remote]
store_node = 5
call_timeout = "750ms"

[membership]
seeds = [0, 1]
heartbeat_interval = "100ms"
suspect_after = "400ms"
remove_after = "1s"

[placement]
policy = "least_loaded"
vnodes_per_member = 32
)", "orbit.toml");
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  auto node = to_node_config(*parsed);
  ASSERT_TRUE(node.ok()) << to_string(node.error());
  EXPECT_EQ(node->actors.lease_duration, 8s);
  EXPECT_EQ(node->actors.lease_renewal_fraction, 0.25);
  EXPECT_EQ(node->actors.max_clock_drift, 0.002);
  EXPECT_EQ(node->actors.safety_margin, 200ms);
  EXPECT_EQ(node->actors.snapshot_interval, 3s);
  EXPECT_EQ(node->actors.idle_timeout, 90s);
  EXPECT_EQ(node->actors.max_concurrent_activations, 77u);
  EXPECT_EQ(node->actors.snapshot_retained_versions, 4u);
  EXPECT_EQ(node->actors.placement, actor::PlacementPolicy::kLeastLoaded);
  EXPECT_EQ(node->actors.vnodes_per_member, 32u);
  EXPECT_EQ(node->store.store, 5u);
  EXPECT_EQ(node->store.call_timeout, 750ms);
  EXPECT_EQ(node->membership.seeds, (std::vector<env::NodeId>{0, 1}));
  EXPECT_EQ(node->membership.remove_after, 1s);
}

TEST(NodeConfigTest, ActorSettingsAreTheParsedStruct) {
  auto parsed = config::parse_config("[persistence]\nprovider = \"remote\"\n[persistence.remote]\nstore_node = 3\n",
                                     "orbit.toml");
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  auto node = to_node_config(*parsed);
  ASSERT_TRUE(node.ok()) << to_string(node.error());
  // Every [actor_management] field, whatever is added later, comes over as one struct.
  EXPECT_EQ(static_cast<const config::ActorManagementConfig&>(node->actors), parsed->actor_management);
  EXPECT_EQ(node->actors.max_clock_drift, config::kDefaultMaxClockDrift);
  EXPECT_EQ(node->actors.lease_validity(), parsed->actor_management.lease_validity());
}

TEST(NodeConfigTest, ActorSystemValidationIsTheTomlValidation) {
  // A config built in code gets the same message, naming the orbit.toml key.
  actor::ActorSystemConfig actors;
  actors.max_clock_drift = 0.6;
  ASSERT_FALSE(actors.validate().ok());
  EXPECT_EQ(actors.validate().error().message,
            "actor_management.max_clock_drift must be in [0, 0.5) (a ratio: 0.001 is 1000 ppm), got 0.6");
  auto parsed = config::parse_config("[actor_management]\nmax_clock_drift = 0.6\n", "orbit.toml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message, "orbit.toml: " + actors.validate().error().message);
}

TEST(NodeConfigTest, MemberNeedsARemoteStore) {
  auto parsed = config::parse_config("[persistence]\nprovider = \"memory\"\n", "orbit.toml");
  ASSERT_TRUE(parsed.ok());
  auto node = to_node_config(*parsed);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().message.find("persistence.remote.store_node"), std::string::npos);
}

TEST(NodeConfigTest, BadTomlNamesTheKey) {
  auto parsed = config::parse_config("[actor_management]\nlease_renewal_fraction = 1.5\n", "orbit.toml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("actor_management.lease_renewal_fraction"), std::string::npos);
}

}  // namespace
}  // namespace orbit::node
