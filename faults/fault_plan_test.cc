// FaultPlan: parse errors (one test per class, each asserting the message names the problem
// and the place), the canonical JSON round trip, validation of plans built in code, and the
// in-model / beyond-model rules.
#include "faults/fault_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace orbit::faults {
namespace {

constexpr uint32_t kNodes = 6;  // members 0..4, store 5

// Parses and expects an error whose message contains `needle`.
void expect_error(std::string_view text, std::string_view needle, uint32_t nodes = kNodes) {
  auto r = parse_plan(text, nodes);
  ASSERT_FALSE(r.ok()) << "parsed: " << text;
  EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "message: " << r.error().message << "\nexpected to contain: " << needle;
}

std::string plan_with(std::string_view events) {
  return "{\"version\":1,\"events\":[" + std::string(events) + "]}";
}

TEST(FaultPlanParseTest, AcceptsTheDocumentedExample) {
  auto r = parse_plan(R"({"version":1,"events":[
      {"at_ms":1500,"kind":"partition","a":[0,1],"b":[2,3,4],"one_way":false},
      {"at_ms":4000,"kind":"heal"},
      {"at_ms":2000,"kind":"pause","node":2,"duration_ms":12000},
      {"at_ms":0.5,"kind":"network","loss":0.1,"latency_min_ms":2,"latency_max_ms":40},
      {"at_ms":9000,"kind":"disk","node":5,"mode":"latency","latency_min_ms":1,"latency_max_ms":5}
  ]})",
                      kNodes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->events.size(), 5u);
  EXPECT_EQ(r->events[0].kind, FaultKind::kNetwork);
  EXPECT_EQ(r->events[0].at_ns, 500'000);
  EXPECT_EQ(r->events[0].network.loss, 0.1);
  EXPECT_FALSE(r->events[0].network.duplicate.has_value());
  EXPECT_EQ(r->events[0].network.latency_max, std::chrono::milliseconds(40));
  EXPECT_EQ(r->events[1], event::partition(1500ms, {0, 1}, {2, 3, 4}));
  EXPECT_EQ(r->events[2], event::pause(2000ms, 2, 12s));
  EXPECT_EQ(r->events[3], event::heal(4s));
  EXPECT_EQ(r->events[4], event::disk_latency(9s, 5, 1ms, 5ms));
}

TEST(FaultPlanParseTest, SortsUnsortedEventsStablyByTime) {
  auto r = parse_plan(plan_with(R"({"at_ms":300,"kind":"crash","node":1},
                                   {"at_ms":100,"kind":"crash","node":2},
                                   {"at_ms":300,"kind":"restart","node":1},
                                   {"at_ms":100,"kind":"restart","node":2})"),
                      kNodes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->events, (std::vector<FaultEvent>{event::crash(100ms, 2), event::restart(100ms, 2),
                                                event::crash(300ms, 1), event::restart(300ms, 1)}));
}

TEST(FaultPlanParseTest, OneWayDefaultsToFalse) {
  auto r = parse_plan(plan_with(R"({"at_ms":1,"kind":"partition","a":[0],"b":[1]})"), kNodes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->events[0].one_way);
}

TEST(FaultPlanParseTest, BadJsonNamesThePosition) {
  expect_error("{\"version\":1,\"events\":[", "invalid JSON at byte 24");
  expect_error("{\"version\":1,\n \"events\": [}", "line 2, column 13");
}

TEST(FaultPlanParseTest, TopLevelMustBeAnObject) { expect_error("[1,2]", "plan: must be a JSON object, got array"); }

TEST(FaultPlanParseTest, MissingVersion) { expect_error(R"({"events":[]})", "version: missing"); }

TEST(FaultPlanParseTest, UnknownVersion) {
  expect_error(R"({"version":2,"events":[]})", "version: unsupported plan version 2 (this build reads version 1)");
  expect_error(R"({"version":"1","events":[]})", "version: must be an integer, got string \"1\"");
}

TEST(FaultPlanParseTest, UnknownTopLevelKey) {
  expect_error(R"({"version":1,"events":[],"evnts":[]})", "plan: unknown top-level key \"evnts\"");
}

TEST(FaultPlanParseTest, EventsMustBeAnArrayOfObjects) {
  expect_error(R"({"version":1})", "events: missing");
  expect_error(R"({"version":1,"events":{}})", "events: must be an array, got object");
  expect_error(plan_with("3"), "events[0]: must be an object, got number 3");
}

TEST(FaultPlanParseTest, UnknownKindListsTheKnownOnes) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"heal"},{"at_ms":1,"kind":"heal"},{"at_ms":1,"kind":"heal"},
                            {"at_ms":1,"kind":"meteor"})"),
               "events[3].kind: unknown fault kind \"meteor\"; known: partition, heal, clog, unclog, network, "
               "network_reset, clock_offset, clock_jump, clock_drift, crash, restart, pause, disk");
  expect_error(plan_with(R"({"at_ms":1})"), "events[0]: missing field \"kind\"");
}

TEST(FaultPlanParseTest, NodeThatDoesNotExist) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"heal"},{"at_ms":1,"kind":"heal"},{"at_ms":1,"kind":"crash","node":9})"),
               "events[2].node: node 9 does not exist (nodes 0..5)");
  expect_error(plan_with(R"({"at_ms":1,"kind":"crash","node":-1})"), "events[0].node: node -1 does not exist");
  expect_error(plan_with(R"({"at_ms":1,"kind":"partition","a":[0],"b":[1,6]})"),
               "events[0].b: node 6 does not exist (nodes 0..5)");
  expect_error(plan_with(R"({"at_ms":1,"kind":"clog","from":7,"to":1})"), "events[0].from: node 7 does not exist");
}

TEST(FaultPlanParseTest, NegativeTime) {
  expect_error(plan_with(R"({"at_ms":-5,"kind":"heal"})"), "events[0].at_ms: must be >= 0, got -5");
  expect_error(plan_with(R"({"at_ms":-0.5,"kind":"heal"})"), "events[0].at_ms: must be >= 0, got -0.5");
}

TEST(FaultPlanParseTest, TimeOutOfRange) {
  expect_error(plan_with(R"({"at_ms":1e300,"kind":"heal"})"), "events[0].at_ms: out of range");
  expect_error(plan_with(R"({"at_ms":18446744073709551615,"kind":"heal"})"), "events[0].at_ms: out of range");
}

TEST(FaultPlanParseTest, MissingFields) {
  expect_error(plan_with(R"({"kind":"heal"})"), "events[0]: missing field \"at_ms\"");
  expect_error(plan_with(R"({"at_ms":1,"kind":"crash"})"), "events[0]: missing field \"node\" for kind \"crash\"");
  expect_error(plan_with(R"({"at_ms":1,"kind":"partition","a":[0]})"),
               "events[0]: missing field \"b\" for kind \"partition\"");
  expect_error(plan_with(R"({"at_ms":1,"kind":"disk","node":5})"),
               "events[0]: missing field \"mode\" for kind \"disk\"");
  expect_error(plan_with(R"({"at_ms":1,"kind":"disk","node":5,"mode":"full"})"),
               "events[0]: missing field \"capacity_bytes\" for disk mode \"full\"");
  expect_error(plan_with(R"({"at_ms":1,"kind":"pause","node":1})"),
               "events[0]: missing field \"duration_ms\" for kind \"pause\"");
}

TEST(FaultPlanParseTest, WrongTypes) {
  expect_error(plan_with(R"({"at_ms":"1","kind":"heal"})"),
               "events[0].at_ms: must be a number of milliseconds, got string \"1\"");
  expect_error(plan_with(R"({"at_ms":1,"kind":7})"), "events[0].kind: must be a string, got number 7");
  expect_error(plan_with(R"({"at_ms":1,"kind":"crash","node":"x"})"),
               "events[0].node: must be an integer node id, got string \"x\"");
  expect_error(plan_with(R"({"at_ms":1,"kind":"crash","node":1.5})"),
               "events[0].node: must be an integer node id, got number 1.5");
  expect_error(plan_with(R"({"at_ms":1,"kind":"partition","a":[0],"b":[1],"one_way":"yes"})"),
               "events[0].one_way: must be true or false, got string \"yes\"");
  expect_error(plan_with(R"({"at_ms":1,"kind":"partition","a":0,"b":[1]})"),
               "events[0].a: must be an array of node ids, got number 0");
  expect_error(plan_with(R"({"at_ms":1,"kind":"clock_drift","node":1,"ppm":1.5})"),
               "events[0].ppm: must be an integer, got number 1.5");
  expect_error(plan_with(R"({"at_ms":1,"kind":"network","loss":null})"),
               "events[0].loss: must be a probability in [0, 1], got null");
}

TEST(FaultPlanParseTest, ProbabilitiesOutsideZeroOne) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"network","loss":1.5})"), "events[0].loss: must be in [0, 1], got 1.5");
  expect_error(plan_with(R"({"at_ms":1,"kind":"network","duplicate":-0.1})"),
               "events[0].duplicate: must be in [0, 1], got -0.1");
  expect_error(plan_with(R"({"at_ms":1,"kind":"disk","node":5,"mode":"eio","probability":2})"),
               "events[0].probability: must be in [0, 1], got 2");
}

TEST(FaultPlanParseTest, PauseNeedsAPositiveDuration) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"pause","node":1,"duration_ms":0})"),
               "events[0].duration_ms: a pause needs a positive duration, got 0");
  expect_error(plan_with(R"({"at_ms":1,"kind":"pause","node":1,"duration_ms":-3})"),
               "events[0].duration_ms: a pause needs a positive duration, got -3");
}

TEST(FaultPlanParseTest, UnknownFieldNamesTheKindsFields) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"crash","nod":1})"),
               "events[0]: unknown field \"nod\" for kind \"crash\" (fields: at_ms, kind, node)");
  expect_error(plan_with(R"({"at_ms":1,"kind":"disk","node":5,"mode":"full","capacity_bytes":9,"probability":1})"),
               "events[0]: unknown field \"probability\" for disk mode \"full\"");
}

TEST(FaultPlanParseTest, UnknownDiskMode) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"disk","node":5,"mode":"melt"})"),
               "events[0].mode: unknown disk mode \"melt\"; known: lose_unsynced, torn_write, bit_flip, latency, "
               "full, eio, read_corruption, reset");
}

TEST(FaultPlanParseTest, PartitionSides) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"partition","a":[],"b":[1]})"),
               "events[0].a: a partition side must name at least one node");
  expect_error(plan_with(R"({"at_ms":1,"kind":"partition","a":[0,1],"b":[1,2]})"),
               "events[0].b: node 1 is on both sides of the partition");
  expect_error(plan_with(R"({"at_ms":1,"kind":"partition","a":[0,0],"b":[1]})"), "events[0].a: node 0 appears twice");
}

TEST(FaultPlanParseTest, LinkNeedsTwoNodes) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"clog","from":2,"to":2})"),
               "events[0].to: a link joins two different nodes, got 2 -> 2");
}

TEST(FaultPlanParseTest, LatencyRanges) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"network","latency_min_ms":10,"latency_max_ms":5})"),
               "events[0].latency_max_ms: must be >= latency_min_ms (10), got 5");
  expect_error(plan_with(R"({"at_ms":1,"kind":"disk","node":0,"mode":"latency",
                            "latency_min_ms":3,"latency_max_ms":1})"),
               "events[0].latency_max_ms: must be >= latency_min_ms (3), got 1");
  expect_error(plan_with(R"({"at_ms":1,"kind":"network","latency_min_ms":-1})"),
               "events[0].latency_min_ms: must be >= 0, got -1");
}

TEST(FaultPlanParseTest, NetworkEventMustSetSomething) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"network"})"), "events[0]: a network event must set at least one of");
}

TEST(FaultPlanParseTest, DriftBeyondTheSimulatorsBound) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"clock_drift","node":0,"ppm":600000})"),
               "events[0].ppm: must be in [-500000, 500000]");
}

TEST(FaultPlanParseTest, DiskCapacityMustBePositive) {
  expect_error(plan_with(R"({"at_ms":1,"kind":"disk","node":0,"mode":"full","capacity_bytes":0})"),
               "events[0].capacity_bytes: must be >= 1, got 0");
  expect_error(plan_with(R"({"at_ms":1,"kind":"disk","node":0,"mode":"full","capacity_bytes":-4})"),
               "events[0].capacity_bytes: must be >= 1, got -4");
}

// Every kind and every disk mode, with times that are not whole milliseconds.
FaultPlan every_kind() {
  FaultPlan p;
  p.events = {
      event::partition(1ms, {0, 1}, {2, 3, 4, 5}, false),
      event::partition(Duration(1'234'567), {5}, {0}, true),
      event::heal(2ms),
      event::clog(3ms, 0, 5),
      event::unclog(Duration(3'000'001), 0, 5),
      event::network(4ms, NetworkWindow{.loss = 0.25, .duplicate = 0.0, .reorder = 1.0 / 3.0,
                                        .latency_min = 0ms, .latency_max = Duration(7'500'001),
                                        .reorder_window = 20ms}),
      event::network(5ms, NetworkWindow{.latency_max = 9ms}),
      event::network_reset(6ms),
      event::clock_offset(7ms, 1, Duration(-3)),
      event::clock_offset(7ms, 2, -1h),
      event::clock_jump(8ms, 3, 10min),
      event::clock_drift(9ms, 4, -250),
      event::crash(10ms, 5),
      event::restart(11ms, 5),
      event::pause(Duration(123'456'789'012'345), 0, Duration(1)),
      event::disk_mode(13ms, 5, DiskMode::kLoseUnsynced),
      event::disk_mode(13ms, 5, DiskMode::kTornWrite),
      event::disk_mode(13ms, 5, DiskMode::kBitFlip),
      event::disk_latency(14ms, 5, 1ms, Duration(2'500'000)),
      event::disk_full(15ms, 5, 4096),
      event::disk_eio(16ms, 5, 0.01),
      event::disk_read_corruption(17ms, 5, 1e-6),
      event::disk_mode(18ms, 5, DiskMode::kReset),
  };
  sort_events(p);
  return p;
}

TEST(FaultPlanJsonTest, RoundTripsEveryKindExactly) {
  const FaultPlan plan = every_kind();
  ASSERT_TRUE(validate_plan(plan, kNodes).ok());
  const std::string text = to_json(plan);
  auto parsed = parse_plan(text, kNodes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message << "\n" << text;
  EXPECT_EQ(*parsed, plan) << text;
  EXPECT_EQ(to_json(*parsed), text);
}

TEST(FaultPlanJsonTest, CanonicalFormIsOneEventPerLineWithFixedKeyOrder) {
  FaultPlan plan;
  plan.events = {event::heal(2s), event::partition(1500ms, {0, 1}, {2, 3, 4})};
  EXPECT_EQ(to_json(plan),
            "{\"version\":1,\"events\":[\n"
            "{\"at_ms\":1500,\"kind\":\"partition\",\"a\":[0,1],\"b\":[2,3,4],\"one_way\":false},\n"
            "{\"at_ms\":2000,\"kind\":\"heal\"}\n"
            "]}\n");
  EXPECT_EQ(to_json(FaultPlan{}), "{\"version\":1,\"events\":[]}\n");
  EXPECT_EQ(to_json(event::pause(Duration(1'500'001), 3, 2s)),
            "{\"at_ms\":1.500001,\"kind\":\"pause\",\"node\":3,\"duration_ms\":2000}");
}

TEST(FaultPlanJsonTest, SubMillisecondTimesSurviveTheRoundTrip) {
  for (int64_t ns : {int64_t{1}, int64_t{999'999}, int64_t{1'000'001}, int64_t{86'400'000'000'123},
                     int64_t{3'000'000'000'000'007}}) {
    FaultPlan plan;
    plan.events = {event::clock_jump(Duration(ns), 0, Duration(-ns))};
    auto parsed = parse_plan(to_json(plan), kNodes);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->events[0].at_ns, ns) << to_json(plan);
    EXPECT_EQ(parsed->events[0].clock_delta.count(), -ns);
  }
}

TEST(FaultPlanValidateTest, ChecksPlansBuiltInCode) {
  FaultPlan plan;
  plan.events = {event::heal(1ms), event::disk_eio(1ms, 0, std::numeric_limits<double>::quiet_NaN())};
  auto r = validate_plan(plan, kNodes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("events[1].probability: must be in [0, 1]"), std::string::npos)
      << r.error().message;

  plan.events = {event::crash(Duration(-1), 0)};
  r = validate_plan(plan, kNodes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("events[0].at_ms: must be >= 0"), std::string::npos) << r.error().message;

  plan.events = {};
  plan.version = 3;
  r = validate_plan(plan, kNodes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unsupported plan version 3"), std::string::npos);
}

TEST(FaultPlanNamesTest, KindAndModeNamesRoundTrip) {
  ASSERT_EQ(fault_kind_names().size(), 13u);
  for (std::string_view name : fault_kind_names()) {
    auto kind = fault_kind_from_string(name);
    ASSERT_TRUE(kind.has_value()) << name;
    EXPECT_EQ(to_string(*kind), name);
  }
  for (std::string_view name : disk_mode_names()) {
    auto mode = disk_mode_from_string(name);
    ASSERT_TRUE(mode.has_value()) << name;
    EXPECT_EQ(to_string(*mode), name);
  }
  EXPECT_FALSE(fault_kind_from_string("meteor").has_value());
}

// --- The fault model ---------------------------------------------------------------------

TEST(ClassifyTest, NetworkProcessAndWallClockFaultsAreInModel) {
  const ModelLimits limits = ModelLimits::for_cluster(5, 10000);
  for (const FaultEvent& e : {event::partition(1ms, {0}, {1, 2, 3, 4, 5}, true), event::heal(1ms),
                              event::clog(1ms, 0, 5), event::network(1ms, NetworkWindow{.loss = 1.0}),
                              event::network_reset(1ms), event::clock_offset(1ms, 5, 24h),
                              event::clock_jump(1ms, 0, -1h), event::crash(1ms, 5), event::restart(1ms, 5),
                              event::pause(1ms, 5, 10min)}) {
    EXPECT_EQ(classify(e, limits), Model::kInModel) << to_json(e);
    EXPECT_EQ(beyond_model_reason(e, limits), "") << to_json(e);
  }
}

TEST(ClassifyTest, DriftUpToTheBoundIsInModel) {
  const ModelLimits limits = ModelLimits::for_cluster(5, 1000);
  EXPECT_EQ(classify(event::clock_drift(1ms, 0, 1000), limits), Model::kInModel);
  EXPECT_EQ(classify(event::clock_drift(1ms, 0, -1000), limits), Model::kInModel);
  EXPECT_EQ(classify(event::clock_drift(1ms, 0, 1001), limits), Model::kBeyondModel);
  EXPECT_EQ(classify(event::clock_drift(1ms, 5, -1001), limits), Model::kBeyondModel);
  EXPECT_NE(beyond_model_reason(event::clock_drift(1ms, 0, 1001), limits).find("exceeds the model's bound of 1000 ppm"),
            std::string::npos);
}

TEST(ClassifyTest, DataDamagingDiskFaultsAreBeyondModelOnlyOnStorageNodes) {
  const ModelLimits limits = ModelLimits::for_cluster(5, 10000);  // store = 5
  for (const FaultEvent& e : {event::disk_mode(1ms, 5, DiskMode::kBitFlip), event::disk_read_corruption(1ms, 5, 0.1),
                              event::disk_eio(1ms, 5, 0.1), event::disk_full(1ms, 5, 1024)}) {
    EXPECT_EQ(classify(e, limits), Model::kBeyondModel) << to_json(e);
    FaultEvent on_member = e;
    on_member.node = 2;
    EXPECT_EQ(classify(on_member, limits), Model::kInModel) << to_json(on_member);
  }
  for (const FaultEvent& e : {event::disk_mode(1ms, 5, DiskMode::kLoseUnsynced),
                              event::disk_mode(1ms, 5, DiskMode::kTornWrite), event::disk_latency(1ms, 5, 1ms, 1s),
                              event::disk_mode(1ms, 5, DiskMode::kReset), event::disk_eio(1ms, 5, 0.0),
                              event::disk_read_corruption(1ms, 5, 0.0)}) {
    EXPECT_EQ(classify(e, limits), Model::kInModel) << to_json(e);
  }
  EXPECT_NE(beyond_model_reason(event::disk_mode(1ms, 5, DiskMode::kBitFlip), limits).find("detection"),
            std::string::npos);
}

TEST(ClassifyTest, UnknownStorageNodesMeansEveryNodeIsOne) {
  const ModelLimits limits;  // storage_nodes empty
  EXPECT_EQ(classify(event::disk_mode(1ms, 0, DiskMode::kBitFlip), limits), Model::kBeyondModel);
  // The default bound is orbit.toml's default drift (0.001) in ppm.
  EXPECT_EQ(limits.max_drift_ppm, config::drift_ppm(config::kDefaultMaxClockDrift));
  EXPECT_EQ(limits.max_drift_ppm, 1000);
}

TEST(ClassifyTest, APlanIsInModelIffEveryEventIs) {
  const ModelLimits limits = ModelLimits::for_cluster(5, 10000);
  FaultPlan plan;
  plan.events = {event::crash(1ms, 0), event::restart(2ms, 0)};
  EXPECT_EQ(classify(plan, limits), Model::kInModel);
  plan.events.push_back(event::disk_full(3ms, 5, 10));
  EXPECT_EQ(classify(plan, limits), Model::kBeyondModel);
  EXPECT_EQ(to_string(Model::kBeyondModel), "beyond_model");
}

}  // namespace
}  // namespace orbit::faults

namespace orbit::faults {
namespace {

// Every fault kind names the history events it records, and nothing else counts as one:
// these are the kinds reports count as injected faults.
TEST(HistoryKindsTest, FaultEventsAreExactlyWhatPlanFaultsRecord) {
  using K = history::EventKind;
  const std::vector<K> expected = {K::kCrash,       K::kRestart,    K::kPause,        K::kResume,
                                   K::kPartition,   K::kLinkBlock,  K::kHeal,         K::kClog,
                                   K::kUnclog,      K::kNetworkConfig, K::kClockOffset, K::kClockJump,
                                   K::kClockDrift,  K::kDiskConfig, K::kDiskBitFlip,  K::kDiskTornWrite};
  std::vector<K> fault_events;
  for (size_t i = 0; i < history::kKindCount; ++i) {
    if (is_fault_event(static_cast<K>(i))) fault_events.push_back(static_cast<K>(i));
  }
  std::vector<K> sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(fault_events, sorted);
}

TEST(HistoryKindsTest, EveryFaultKindRecordsSomething) {
  for (std::string_view name : fault_kind_names()) {
    const FaultKind kind = *fault_kind_from_string(name);
    EXPECT_FALSE(history_kinds(kind).empty()) << name;
  }
  EXPECT_EQ(history_kinds(FaultKind::kPause).size(), 2u);
  EXPECT_EQ(history_kinds(FaultKind::kNetworkReset)[0], history::EventKind::kNetworkConfig);
  EXPECT_FALSE(is_fault_event(history::EventKind::kFaultSkipped));
  EXPECT_FALSE(is_fault_event(history::EventKind::kBoot));
}

}  // namespace
}  // namespace orbit::faults
