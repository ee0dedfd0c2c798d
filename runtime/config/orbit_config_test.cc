#include "runtime/config/orbit_config.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace orbit::config {
namespace {

constexpr std::string_view kSource = "orbit.toml";

OrbitConfig parsed(std::string_view text) {
  Result<OrbitConfig> r = parse_config(text, kSource);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : OrbitConfig{};
}

std::string problem(std::string_view text) {
  Result<OrbitConfig> r = parse_config(text, kSource);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
  return r.error().message;
}

// A config with every key away from its default.
constexpr std::string_view kEveryKey = R"(
[actor_management]
lease_duration = "20s"
lease_renewal_fraction = 0.25
max_clock_drift = 0.002
safety_margin = "750ms"
snapshot_interval = "1m30s"
idle_timeout = "2m"
max_concurrent_activations = 500
snapshot_retained_versions = 5

[persistence]
provider = "log"

[persistence.log]
dir = "/var/lib/orbit"
segment_bytes = 1048576
group_commit_window = "2ms"

[persistence.remote]
store_node = 9
call_timeout = "300ms"

[membership]
seeds = [3, 1, 2]
heartbeat_interval = "200ms"
suspect_after = "2s"
remove_after = "10s"

[placement]
policy = "least_loaded"
vnodes_per_member = 128
)";

TEST(OrbitConfigTest, EmptyTextGivesTheDefaults) {
  const OrbitConfig c = parsed("");
  EXPECT_EQ(c, OrbitConfig{});
  EXPECT_EQ(c.actor_management.lease_duration, 10s);
  EXPECT_EQ(c.actor_management.lease_renewal_fraction, 0.5);
  EXPECT_EQ(c.actor_management.max_clock_drift, 0.001);
  EXPECT_EQ(c.actor_management.max_clock_drift, kDefaultMaxClockDrift);
  EXPECT_EQ(c.actor_management.safety_margin, 500ms);
  EXPECT_EQ(c.actor_management.snapshot_interval, 5s);
  EXPECT_EQ(c.actor_management.idle_timeout, 60s);
  EXPECT_EQ(c.actor_management.max_concurrent_activations, 10000u);
  EXPECT_EQ(c.actor_management.snapshot_retained_versions, 3u);
  EXPECT_EQ(c.persistence.provider, ProviderKind::kMemory);
  EXPECT_EQ(c.persistence.log.dir, "orbit-log");
  EXPECT_EQ(c.persistence.log.segment_bytes, 64u << 20);
  EXPECT_EQ(c.persistence.log.group_commit_window, 0s);
  EXPECT_FALSE(c.persistence.remote.store_node.has_value());
  EXPECT_EQ(c.persistence.remote.call_timeout, 2s);
  EXPECT_TRUE(c.membership.seeds.empty());
  EXPECT_EQ(c.membership.heartbeat_interval, 1s);
  EXPECT_EQ(c.membership.suspect_after, 5s);
  EXPECT_EQ(c.membership.remove_after, 30s);
  EXPECT_EQ(c.placement.policy, PlacementPolicy::kLocal);
  EXPECT_EQ(c.placement.vnodes_per_member, 64u);
  // Empty tables and comments change nothing.
  EXPECT_EQ(parsed("# nothing\n[actor_management]\n[persistence]\n[membership]\n[placement]\n"), OrbitConfig{});
}

TEST(OrbitConfigTest, DefaultsPassValidation) {
  EXPECT_TRUE(validate_config(OrbitConfig{}, kSource).ok());
}

TEST(OrbitConfigTest, ParsesEveryKey) {
  const OrbitConfig c = parsed(kEveryKey);
  EXPECT_EQ(c.actor_management.lease_duration, 20s);
  EXPECT_EQ(c.actor_management.lease_renewal_fraction, 0.25);
  EXPECT_EQ(c.actor_management.max_clock_drift, 0.002);
  EXPECT_EQ(c.actor_management.safety_margin, 750ms);
  EXPECT_EQ(c.actor_management.snapshot_interval, 90s);
  EXPECT_EQ(c.actor_management.idle_timeout, 2min);
  EXPECT_EQ(c.actor_management.max_concurrent_activations, 500u);
  EXPECT_EQ(c.actor_management.snapshot_retained_versions, 5u);
  EXPECT_EQ(c.persistence.provider, ProviderKind::kLog);
  EXPECT_EQ(c.persistence.log.dir, "/var/lib/orbit");
  EXPECT_EQ(c.persistence.log.segment_bytes, 1048576u);
  EXPECT_EQ(c.persistence.log.group_commit_window, 2ms);
  EXPECT_EQ(c.persistence.remote.store_node, std::optional<env::NodeId>(9));
  EXPECT_EQ(c.persistence.remote.call_timeout, 300ms);
  EXPECT_EQ(c.membership.seeds, (std::vector<env::NodeId>{3, 1, 2}));
  EXPECT_EQ(c.membership.heartbeat_interval, 200ms);
  EXPECT_EQ(c.membership.suspect_after, 2s);
  EXPECT_EQ(c.membership.remove_after, 10s);
  EXPECT_EQ(c.placement.policy, PlacementPolicy::kLeastLoaded);
  EXPECT_EQ(c.placement.vnodes_per_member, 128u);
}

TEST(OrbitConfigTest, ParsesEveryChoice) {
  EXPECT_EQ(parsed("persistence.provider = \"memory\"").persistence.provider, ProviderKind::kMemory);
  EXPECT_EQ(parsed("persistence.provider = \"log\"").persistence.provider, ProviderKind::kLog);
  EXPECT_EQ(parsed("persistence.provider = \"rocksdb\"").persistence.provider, ProviderKind::kRocksDb);
  EXPECT_EQ(parsed("[persistence]\nprovider = \"remote\"\nremote.store_node = 0").persistence.provider,
            ProviderKind::kRemote);
  EXPECT_EQ(parsed("placement.policy = \"local\"").placement.policy, PlacementPolicy::kLocal);
  EXPECT_EQ(parsed("placement.policy = \"least_loaded\"").placement.policy, PlacementPolicy::kLeastLoaded);
  EXPECT_EQ(parsed("placement.policy = \"random\"").placement.policy, PlacementPolicy::kRandom);
  EXPECT_EQ(to_string(ProviderKind::kRocksDb), "rocksdb");
  EXPECT_EQ(to_string(PlacementPolicy::kLeastLoaded), "least_loaded");
}

TEST(OrbitConfigTest, IntegersAreAcceptedWhereFloatsAreExpected) {
  EXPECT_EQ(parsed("actor_management.max_clock_drift = 0").actor_management.max_clock_drift, 0.0);
}

TEST(OrbitConfigTest, LeaseTimingHelpers) {
  ActorManagementConfig am;  // 10s, 0.5, 0.1%, 500ms
  EXPECT_EQ(am.renew_after(), 5s);
  EXPECT_EQ(am.lease_validity(), 9490ms);
  am.lease_duration = 3ns;
  EXPECT_EQ(am.renew_after(), 1ns);  // rounded down
}

struct BadCase {
  std::string text;
  std::string message;  // without the "orbit.toml: " prefix
};

TEST(OrbitConfigTest, EveryBadValueNamesItsKey) {
  const std::vector<BadCase> cases = {
      // Unknown keys and tables, at every level.
      {"foo = 1", "unknown key foo"},
      {"[foo]\nx = 1", "unknown table foo"},
      {"[actor_management]\nlease_time = \"5s\"", "unknown key actor_management.lease_time"},
      {"[persistence]\nfoo = 1", "unknown key persistence.foo"},
      {"[persistence.foo]\nx = 1", "unknown key persistence.foo"},
      {"[persistence.log]\npath = \"x\"", "unknown key persistence.log.path"},
      {"[persistence.remote]\nnode = 1", "unknown key persistence.remote.node"},
      {"[membership]\nseed = [1]", "unknown key membership.seed"},
      {"[placement]\nvnodes = 3", "unknown key placement.vnodes"},
      {"[actor_management.extra]\nx = 1", "unknown key actor_management.extra"},
      // Tables that are not tables.
      {"actor_management = 3", "actor_management must be a table, got integer"},
      {"[[placement]]\npolicy = \"local\"", "placement must be a table, got array"},
      {"[persistence]\nlog = \"x\"", "persistence.log must be a table, got string"},
      {"[persistence]\nremote = [1]", "persistence.remote must be a table, got array"},
      // Wrong types name the expected type.
      {"[actor_management]\nlease_duration = 10",
       "actor_management.lease_duration must be a duration string such as \"10s\", got integer"},
      {"[actor_management]\nlease_renewal_fraction = \"half\"",
       "actor_management.lease_renewal_fraction must be a number, got string"},
      {"[actor_management]\nmax_concurrent_activations = 1.5",
       "actor_management.max_concurrent_activations must be an integer, got float"},
      {"[actor_management]\nsnapshot_retained_versions = true",
       "actor_management.snapshot_retained_versions must be an integer, got boolean"},
      {"[persistence]\nprovider = 1",
       "persistence.provider must be a string (one of \"memory\", \"log\", \"remote\", \"rocksdb\"), got integer"},
      {"[persistence.log]\ndir = 5", "persistence.log.dir must be a string, got integer"},
      {"[persistence.remote]\nstore_node = \"7\"", "persistence.remote.store_node must be an integer, got string"},
      {"[membership]\nseeds = 1", "membership.seeds must be an array of integers, got integer"},
      {"[membership]\nseeds = [1, \"2\"]", "membership.seeds[1] must be an integer, got string"},
      {"[membership]\nheartbeat_interval = 1979-05-27",
       "membership.heartbeat_interval must be a duration string such as \"10s\", got date"},
      // Durations that do not parse, or are zero where zero makes no sense.
      {"[actor_management]\nlease_duration = \"-5s\"",
       "actor_management.lease_duration: invalid duration \"-5s\": durations cannot be negative"},
      {"[actor_management]\nsafety_margin = \"5x\"",
       "actor_management.safety_margin: invalid duration \"5x\": unknown unit \"x\"; use ns, us, ms, s, m or h"},
      {"[actor_management]\nlease_duration = \"0s\"",
       "actor_management.lease_duration must be greater than zero, got \"0s\""},
      {"[actor_management]\nsnapshot_interval = \"0ms\"",
       "actor_management.snapshot_interval must be greater than zero, got \"0s\""},
      {"[actor_management]\nidle_timeout = \"0s\"", "actor_management.idle_timeout must be greater than zero, got \"0s\""},
      {"[persistence.remote]\ncall_timeout = \"0s\"",
       "persistence.remote.call_timeout must be greater than zero, got \"0s\""},
      {"[persistence.log]\ngroup_commit_window = \"-1ms\"",
       "persistence.log.group_commit_window: invalid duration \"-1ms\": durations cannot be negative"},
      {"[membership]\nheartbeat_interval = \"0s\"",
       "membership.heartbeat_interval must be greater than zero, got \"0s\""},
      {"[membership]\nsuspect_after = \"0s\"", "membership.suspect_after must be greater than zero, got \"0s\""},
      {"[membership]\nremove_after = \"0s\"", "membership.remove_after must be greater than zero, got \"0s\""},
      // Numbers out of range.
      {"[actor_management]\nlease_renewal_fraction = 1.5",
       "actor_management.lease_renewal_fraction must be in (0, 1), got 1.5"},
      {"[actor_management]\nlease_renewal_fraction = 0", "actor_management.lease_renewal_fraction must be in (0, 1), got 0"},
      {"[actor_management]\nlease_renewal_fraction = nan",
       "actor_management.lease_renewal_fraction must be in (0, 1), got nan"},
      {"[actor_management]\nmax_clock_drift = -0.1",
       "actor_management.max_clock_drift must be in [0, 0.5) (a ratio: 0.001 is 1000 ppm), got -0.1"},
      {"[actor_management]\nmax_clock_drift = 0.5",
       "actor_management.max_clock_drift must be in [0, 0.5) (a ratio: 0.001 is 1000 ppm), got 0.5"},
      {"[actor_management]\nmax_clock_drift = 1",
       "actor_management.max_clock_drift must be in [0, 0.5) (a ratio: 0.001 is 1000 ppm), got 1"},
      {"[actor_management]\nmax_concurrent_activations = 0",
       "actor_management.max_concurrent_activations must be at least 1, got 0"},
      {"[actor_management]\nmax_concurrent_activations = -3",
       "actor_management.max_concurrent_activations must be at least 1, got -3"},
      {"[actor_management]\nsnapshot_retained_versions = 0",
       "actor_management.snapshot_retained_versions must be between 1 and 1000, got 0"},
      {"[actor_management]\nsnapshot_retained_versions = 4294967297",
       "actor_management.snapshot_retained_versions must be between 1 and 1000, got 4294967297"},
      {"[persistence.log]\nsegment_bytes = 0", "persistence.log.segment_bytes must be at least 1, got 0"},
      {"[persistence.log]\ndir = \"\"", "persistence.log.dir must not be empty"},
      {"[persistence.remote]\nstore_node = -1", "persistence.remote.store_node must be between 0 and 4294967295, got -1"},
      {"[membership]\nseeds = [1, 4294967296]", "membership.seeds[1] must be between 0 and 4294967295, got 4294967296"},
      {"[membership]\nseeds = [1, 2, 1]", "membership.seeds lists node 1 more than once"},
      {"[placement]\nvnodes_per_member = 0", "placement.vnodes_per_member must be between 1 and 4096, got 0"},
      {"[placement]\nvnodes_per_member = 100000", "placement.vnodes_per_member must be between 1 and 4096, got 100000"},
      // Unknown choices.
      {"[persistence]\nprovider = \"s3\"",
       "persistence.provider must be one of \"memory\", \"log\", \"remote\", \"rocksdb\", got \"s3\""},
      {"[placement]\npolicy = \"round_robin\"",
       "placement.policy must be one of \"local\", \"least_loaded\", \"random\", got \"round_robin\""},
      // Cross-field rules name every key involved.
      {"[persistence]\nprovider = \"remote\"",
       "persistence.remote.store_node must be set when persistence.provider is \"remote\""},
      {"[membership]\nsuspect_after = \"30s\"",
       "membership.suspect_after must be less than membership.remove_after, got \"30s\" and \"30s\""},
      {"[membership]\nheartbeat_interval = \"5s\"",
       "membership.heartbeat_interval must be less than membership.suspect_after, got \"5s\" and \"5s\""},
      {"[actor_management]\nlease_renewal_fraction = 0.95",
       "actor_management.lease_renewal_fraction 0.95 renews after \"9500ms\", but a lease of "
       "actor_management.lease_duration \"10s\" is only trusted for \"9490ms\" (after actor_management.max_clock_drift "
       "0.001 and actor_management.safety_margin \"500ms\"); lower the fraction, or lengthen the lease"},
      {"[actor_management]\nlease_duration = \"400ms\"",
       "actor_management.lease_renewal_fraction 0.5 renews after \"200ms\", but a lease of "
       "actor_management.lease_duration \"400ms\" is only trusted for \"-100400us\" (after actor_management.max_clock_drift "
       "0.001 and actor_management.safety_margin \"500ms\"); lower the fraction, or lengthen the lease"},
      {"[actor_management]\nlease_duration = \"1ns\"\nsafety_margin = \"0s\"",
       "actor_management.lease_duration \"1ns\" is too short: actor_management.lease_renewal_fraction 0.5 of it rounds "
       "down to zero"},
  };
  for (const BadCase& c : cases) {
    EXPECT_EQ(problem(c.text), "orbit.toml: " + c.message) << c.text;
  }
}

TEST(OrbitConfigTest, TheFirstProblemIsReportedInAFixedOrder) {
  // Unknown keys before values within a table; tables in the documented order.
  EXPECT_EQ(problem("[actor_management]\nlease_duration = 3\nzzz = 1"), "orbit.toml: unknown key actor_management.zzz");
  EXPECT_EQ(problem("[placement]\npolicy = 1\n[membership]\nseeds = 1"),
            "orbit.toml: membership.seeds must be an array of integers, got integer");
}

TEST(OrbitConfigTest, SafetyMarginAndCommitWindowMayBeZero) {
  const OrbitConfig c = parsed("actor_management.safety_margin = \"0s\"\npersistence.log.group_commit_window = \"0s\"");
  EXPECT_EQ(c.actor_management.safety_margin, 0s);
  EXPECT_EQ(c.persistence.log.group_commit_window, 0s);
}

TEST(OrbitConfigTest, MalformedTomlReportsLineAndColumn) {
  const std::string message = problem("[actor_management]\nlease_duration = \"10s\"\nsafety_margin = \n");
  EXPECT_EQ(message.rfind("orbit.toml:3:", 0), 0u) << message;
  EXPECT_NE(message.find("invalid TOML: "), std::string::npos) << message;

  const std::string unterminated = problem("\n\n[placement\n");
  EXPECT_EQ(unterminated.rfind("orbit.toml:3:", 0), 0u) << unterminated;

  const std::string duplicate = problem("[placement]\npolicy = \"local\"\npolicy = \"random\"\n");
  EXPECT_EQ(duplicate.rfind("orbit.toml:3:", 0), 0u) << duplicate;
}

TEST(OrbitConfigTest, TheSourceNameStartsEveryMessage) {
  Result<OrbitConfig> r = parse_config("foo = 1", "<scenario bank>");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "<scenario bank>: unknown key foo");
}

TEST(OrbitConfigTest, ValidateChecksAConfigBuiltInCode) {
  OrbitConfig c;
  c.actor_management.safety_margin = -1ms;
  Result<void> r = validate_config(c, "scenario");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "scenario: actor_management.safety_margin must not be negative, got \"-1ms\"");

  c = OrbitConfig{};
  c.actor_management.max_concurrent_activations = 0;
  r = validate_config(c, "scenario");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "scenario: actor_management.max_concurrent_activations must be at least 1, got 0");

  c = OrbitConfig{};
  c.actor_management.max_concurrent_activations = UINT64_MAX;  // beyond TOML's integers, but valid
  EXPECT_TRUE(validate_config(c, "scenario").ok());
}

void expect_round_trip(const OrbitConfig& c) {
  const std::string text = to_toml(c);
  Result<OrbitConfig> back = parse_config(text, "to_toml");
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << text;
  EXPECT_EQ(*back, c) << text;
  EXPECT_EQ(to_toml(*back), text);
}

TEST(OrbitConfigTest, ToTomlIsCanonical) {
  EXPECT_EQ(to_toml(OrbitConfig{}),
            "[actor_management]\n"
            "lease_duration = \"10s\"\n"
            "lease_renewal_fraction = 0.5\n"
            "max_clock_drift = 0.001\n"
            "safety_margin = \"500ms\"\n"
            "snapshot_interval = \"5s\"\n"
            "idle_timeout = \"1m\"\n"
            "max_concurrent_activations = 10000\n"
            "max_mailbox_depth = 10000\n"
            "snapshot_retained_versions = 3\n"
            "\n"
            "[persistence]\n"
            "provider = \"memory\"\n"
            "\n"
            "[persistence.log]\n"
            "dir = \"orbit-log\"\n"
            "segment_bytes = 67108864\n"
            "group_commit_window = \"0s\"\n"
            "\n"
            "[persistence.remote]\n"
            "call_timeout = \"2s\"\n"
            "\n"
            "[membership]\n"
            "seeds = []\n"
            "heartbeat_interval = \"1s\"\n"
            "suspect_after = \"5s\"\n"
            "remove_after = \"30s\"\n"
            "\n"
            "[placement]\n"
            "policy = \"local\"\n"
            "vnodes_per_member = 64\n");
}

TEST(OrbitConfigTest, ToTomlRoundTrips) {
  expect_round_trip(OrbitConfig{});
  expect_round_trip(parsed(kEveryKey));

  OrbitConfig odd;
  odd.actor_management.lease_duration = 1h + 1ns;
  odd.actor_management.lease_renewal_fraction = 0.1 + 0.2;  // not a short decimal
  odd.actor_management.max_clock_drift = 1e-7;
  odd.actor_management.safety_margin = 0s;
  odd.persistence.provider = ProviderKind::kRemote;
  odd.persistence.remote.store_node = 4294967295u;
  odd.persistence.log.dir = "a \"quoted\" dir\\with\ttabs\nand\x01 control";
  odd.membership.seeds = {0, 4294967295u};
  odd.placement.policy = PlacementPolicy::kRandom;
  odd.placement.vnodes_per_member = 4096;
  ASSERT_TRUE(validate_config(odd, "odd").ok());
  expect_round_trip(odd);
}

TEST(OrbitConfigTest, ToJsonCarriesEveryKey) {
  const nlohmann::json j = to_json(parsed(kEveryKey));
  EXPECT_EQ(j["actor_management"]["lease_duration"], "20s");
  EXPECT_EQ(j["actor_management"]["snapshot_interval"], "90s");
  EXPECT_EQ(j["actor_management"]["lease_renewal_fraction"], 0.25);
  EXPECT_EQ(j["actor_management"]["max_concurrent_activations"], 500);
  EXPECT_EQ(j["persistence"]["provider"], "log");
  EXPECT_EQ(j["persistence"]["log"]["segment_bytes"], 1048576);
  EXPECT_EQ(j["persistence"]["remote"]["store_node"], 9);
  EXPECT_EQ(j["membership"]["seeds"], nlohmann::json({3, 1, 2}));
  EXPECT_EQ(j["placement"]["policy"], "least_loaded");
  EXPECT_TRUE(to_json(OrbitConfig{})["persistence"]["remote"]["store_node"].is_null());
}

}  // namespace
}  // namespace orbit::config
