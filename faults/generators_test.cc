// Generators: deterministic per seed, different across seeds, well-formed (every fault
// ends before the safety phase, no impossible transition, a majority of members up), and
// in-model over many seeds unless beyond-model faults are allowed.
#include "faults/generators.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "faults/injector.h"
#include "sim/world.h"

namespace orbit::faults {
namespace {

GenOptions default_options() { return GenOptions{}; }

// The events of a generated plan, by value: a range-for over `gen(...)->events` would
// iterate a member of a destroyed temporary.
std::vector<FaultEvent> events_of(Result<FaultPlan> plan) {
  EXPECT_TRUE(plan.ok());
  return plan.ok() ? std::move(*plan).events : std::vector<FaultEvent>{};
}

FaultPlan generate(const PresetInfo& preset, uint64_t seed, const GenOptions& options) {
  auto plan = preset.generate(seed, options);
  EXPECT_TRUE(plan.ok()) << preset.name << ": " << plan.error().message;
  return plan.ok() ? *plan : FaultPlan{};
}

// Replays a plan on a model of the cluster's state and returns the first problem, or "".
// Checks the well-formedness rules of generators.h.
std::string well_formedness_problem(const FaultPlan& plan, const GenOptions& o) {
  enum class Proc { kUp, kDown, kPaused };
  const uint32_t n = o.node_count();
  std::vector<Proc> proc(n, Proc::kUp);
  std::vector<int64_t> paused_until(n, 0);
  std::vector<int64_t> drift(n, 0);
  std::vector<bool> disk_changed(n, false);
  std::set<std::pair<NodeId, NodeId>> clogged;
  bool partitioned = false;
  bool window = false;
  const int64_t end = o.safety_phase.count();
  const int64_t majority_guard = std::max<int64_t>(1, (int64_t{o.members} - 1) / 2);
  auto where = [](size_t i, const FaultEvent& e) { return "event " + std::to_string(i) + " " + to_json(e) + ": "; };
  for (size_t i = 0; i < plan.events.size(); ++i) {
    const FaultEvent& e = plan.events[i];
    if (i > 0 && e.at_ns < plan.events[i - 1].at_ns) return where(i, e) + "not in time order";
    if (e.at_ns < 0 || e.at_ns >= end) return where(i, e) + "outside the safety phase";
    for (NodeId k = 0; k < n; ++k) {
      if (proc[k] == Proc::kPaused && paused_until[k] <= e.at_ns) proc[k] = Proc::kUp;
    }
    switch (e.kind) {
      case FaultKind::kPartition:
        if (partitioned) return where(i, e) + "partition while partitioned";
        partitioned = true;
        break;
      case FaultKind::kHeal:
        if (!partitioned) return where(i, e) + "heal without a partition";
        partitioned = false;
        break;
      case FaultKind::kClog:
        if (!clogged.insert({e.from, e.to}).second) return where(i, e) + "link already clogged";
        break;
      case FaultKind::kUnclog:
        if (clogged.erase({e.from, e.to}) == 0) return where(i, e) + "unclog of a free link";
        break;
      case FaultKind::kNetwork:
        if (window) return where(i, e) + "window over a window";
        window = true;
        break;
      case FaultKind::kNetworkReset:
        if (!window) return where(i, e) + "reset without a window";
        window = false;
        break;
      case FaultKind::kClockDrift: drift[e.node] = e.drift_ppm; break;
      case FaultKind::kCrash:
        if (proc[e.node] != Proc::kUp) return where(i, e) + "crash of a node that is not up";
        proc[e.node] = Proc::kDown;
        break;
      case FaultKind::kRestart:
        if (proc[e.node] != Proc::kDown) return where(i, e) + "restart of a node that is not down";
        proc[e.node] = Proc::kUp;
        break;
      case FaultKind::kPause:
        if (proc[e.node] != Proc::kUp) return where(i, e) + "pause of a node that is not up";
        if (e.at_ns + e.pause_duration.count() >= end) return where(i, e) + "pause outlasts the safety phase";
        proc[e.node] = Proc::kPaused;
        paused_until[e.node] = e.at_ns + e.pause_duration.count();
        break;
      case FaultKind::kDisk:
        if (e.disk.mode == DiskMode::kReset) {
          disk_changed[e.node] = false;
        } else if (e.disk.mode != DiskMode::kBitFlip) {
          disk_changed[e.node] = true;
        }
        break;
      default: break;
    }
    int64_t members_out = 0;
    for (NodeId k = 0; k < o.members; ++k) members_out += proc[k] != Proc::kUp ? 1 : 0;
    if (members_out > majority_guard) return where(i, e) + "too many members down or paused";
  }
  if (partitioned) return "partition never healed";
  if (!clogged.empty()) return "link never unclogged";
  if (window) return "network window never reset";
  for (NodeId k = 0; k < n; ++k) {
    if (proc[k] == Proc::kDown) return "node " + std::to_string(k) + " never restarted";
    if (drift[k] != 0) return "node " + std::to_string(k) + " left drifting";
  }
  return "";
}

TEST(GeneratorsTest, PresetsAreListedAndFoundByName) {
  std::vector<std::string> names;
  for (const PresetInfo& p : list_presets()) {
    names.emplace_back(p.name);
    EXPECT_FALSE(p.description.empty());
    auto found = preset_by_name(p.name);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(*found, p.generate);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"random", "swarm", "partition_heal_cycles", "pause_storm",
                                             "rolling_restarts", "storage_node_crash"}));
  auto missing = preset_by_name("meteor_shower");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("known: random, swarm, partition_heal_cycles"), std::string::npos);
}

TEST(GeneratorsTest, InvalidOptionsNameTheField) {
  GenOptions o;
  o.members = 0;
  EXPECT_NE(random_plan(1, o).error().message.find("gen.members"), std::string::npos);
  o = GenOptions{};
  o.intensity = 1.5;
  EXPECT_NE(swarm_plan(1, o).error().message.find("gen.intensity must be in [0, 1], got 1.5"), std::string::npos);
  o = GenOptions{};
  o.lease_duration = Duration::zero();
  EXPECT_NE(pause_storm(1, o).error().message.find("gen.lease_duration"), std::string::npos);
  o = GenOptions{};
  o.max_drift_ppm = -1;
  EXPECT_NE(rolling_restarts(1, o).error().message.find("gen.max_drift_ppm"), std::string::npos);
  o = GenOptions{};
  o.safety_phase = Duration(5);
  EXPECT_NE(storage_node_crash(1, o).error().message.find("gen.safety_phase"), std::string::npos);
}

TEST(GeneratorsTest, SameSeedSamePlan) {
  for (const PresetInfo& p : list_presets()) {
    for (uint64_t seed : {0ull, 1ull, 42ull, 0xfeedfacecafebeefull}) {
      EXPECT_EQ(to_json(generate(p, seed, default_options())), to_json(generate(p, seed, default_options())))
          << p.name << " seed " << seed;
    }
  }
}

TEST(GeneratorsTest, DifferentSeedsDifferentPlans) {
  for (const PresetInfo& p : list_presets()) {
    std::set<std::string> distinct;
    for (uint64_t seed = 1; seed <= 20; ++seed) distinct.insert(to_json(generate(p, seed, default_options())));
    EXPECT_GE(distinct.size(), 19u) << p.name;
  }
}

TEST(GeneratorsTest, PlansAreValidNonEmptyAndWellFormed) {
  std::vector<GenOptions> variants(4);
  variants[1].members = 1;
  variants[1].safety_phase = 5s;
  variants[2].members = 3;
  variants[2].intensity = 1.0;
  variants[2].lease_duration = 2s;
  variants[3].members = 9;
  variants[3].intensity = 0.1;
  variants[3].safety_phase = 10min;
  for (const PresetInfo& p : list_presets()) {
    for (const GenOptions& o : variants) {
      for (uint64_t seed = 1; seed <= 40; ++seed) {
        const FaultPlan plan = generate(p, seed, o);
        ASSERT_TRUE(validate_plan(plan, o.node_count()).ok()) << p.name;
        const std::string problem = well_formedness_problem(plan, o);
        ASSERT_EQ(problem, "") << p.name << " seed " << seed << " members " << o.members << "\n" << to_json(plan);
      }
    }
  }
  // At the default options every generator produces something for most seeds.
  for (const PresetInfo& p : list_presets()) {
    int empty = 0;
    for (uint64_t seed = 1; seed <= 20; ++seed) empty += generate(p, seed, default_options()).events.empty() ? 1 : 0;
    EXPECT_LE(empty, 1) << p.name;
  }
}

TEST(GeneratorsTest, EveryGeneratedEventIsInModelOver500Seeds) {
  GenOptions small;
  small.members = 3;
  small.intensity = 1.0;
  small.max_drift_ppm = 1000;
  for (const GenOptions& o : {default_options(), small}) {
    const ModelLimits limits = model_limits(o);
    for (const PresetInfo& p : list_presets()) {
      for (uint64_t seed = 0; seed < 500; ++seed) {
        const FaultPlan plan = generate(p, seed, o);
        for (const FaultEvent& e : plan.events) {
          ASSERT_EQ(classify(e, limits), Model::kInModel)
              << p.name << " seed " << seed << ": " << to_json(e) << ": " << beyond_model_reason(e, limits);
        }
      }
    }
  }
}

TEST(GeneratorsTest, BeyondModelEventsAppearWhenAllowed) {
  GenOptions o;
  o.allow_beyond_model = true;
  o.intensity = 1.0;
  const ModelLimits limits = model_limits(o);
  for (PlanGenerator gen : {&random_plan, &swarm_plan}) {
    int beyond = 0;
    for (uint64_t seed = 0; seed < 100; ++seed) {
      auto plan = gen(seed, o);
      ASSERT_TRUE(plan.ok());
      beyond += classify(*plan, limits) == Model::kBeyondModel ? 1 : 0;
    }
    EXPECT_GT(beyond, 10);
  }
}

TEST(GeneratorsTest, RandomPlanUsesEveryKindAcrossSeeds) {
  std::set<FaultKind> kinds;
  std::set<DiskMode> modes;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    for (const FaultEvent& e : events_of(random_plan(seed, default_options()))) {
      kinds.insert(e.kind);
      if (e.kind == FaultKind::kDisk) modes.insert(e.disk.mode);
    }
  }
  EXPECT_EQ(kinds.size(), fault_kind_names().size());
  EXPECT_GE(modes.size(), 4u);  // in-model modes on the store, plus the rest on members
}

TEST(GeneratorsTest, IntensityZeroMeansNoRandomFaults) {
  GenOptions o;
  o.intensity = 0.0;
  EXPECT_TRUE(random_plan(3, o)->events.empty());
  EXPECT_TRUE(swarm_plan(3, o)->events.empty());
}

TEST(GeneratorsTest, IntensityRaisesTheNumberOfFaults) {
  GenOptions low;
  low.intensity = 0.1;
  GenOptions high;
  high.intensity = 1.0;
  size_t low_total = 0;
  size_t high_total = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    low_total += random_plan(seed, low)->events.size();
    high_total += random_plan(seed, high)->events.size();
  }
  EXPECT_GT(high_total, 3 * low_total);
}

TEST(GeneratorsTest, SwarmPlansPickDifferentKindSubsets) {
  std::set<std::set<FaultKind>> subsets;
  size_t narrower_than_all = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    std::set<FaultKind> kinds;
    for (const FaultEvent& e : events_of(swarm_plan(seed, default_options()))) kinds.insert(e.kind);
    subsets.insert(kinds);
    narrower_than_all += kinds.size() < 10 ? 1 : 0;
  }
  EXPECT_GE(subsets.size(), 20u);
  EXPECT_GE(narrower_than_all, 30u);
}

TEST(GeneratorsTest, PresetsStayOnTheirPattern) {
  const GenOptions o = default_options();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    for (const FaultEvent& e : events_of(partition_heal_cycles(seed, o))) {
      EXPECT_TRUE(e.kind == FaultKind::kPartition || e.kind == FaultKind::kHeal) << to_json(e);
    }
    bool some_long = false;
    for (const FaultEvent& e : events_of(pause_storm(seed, o))) {
      ASSERT_EQ(e.kind, FaultKind::kPause);
      EXPECT_LE(e.pause_duration, kMaxPauseLeases * o.lease_duration);
      some_long = some_long || e.pause_duration > o.lease_duration;
    }
    EXPECT_TRUE(some_long) << "seed " << seed;
    for (const FaultEvent& e : events_of(rolling_restarts(seed, o))) {
      EXPECT_TRUE(e.kind == FaultKind::kCrash || e.kind == FaultKind::kRestart);
      EXPECT_LT(e.node, o.members);
    }
    int store_crashes = 0;
    for (const FaultEvent& e : events_of(storage_node_crash(seed, o))) {
      EXPECT_EQ(e.node, o.store_node()) << to_json(e);
      store_crashes += e.kind == FaultKind::kCrash ? 1 : 0;
    }
    EXPECT_GE(store_crashes, 1);
  }
}

// Applied to a world, generated plans never hit an impossible transition. The only skips
// allowed are bit flips on an empty disk (these worlds run no code, so no disk has data).
TEST(GeneratorsTest, GeneratedPlansApplyWithoutSkips) {
  const GenOptions o = default_options();
  for (const PresetInfo& p : list_presets()) {
    for (uint64_t seed = 0; seed < 25; ++seed) {
      sim::WorldConfig config;
      config.nodes = o.node_count();
      auto world = sim::World::create(seed, config);
      ASSERT_TRUE(world.ok());
      sim::World& w = **world;
      w.start();
      InjectorOptions injector;
      injector.safety_phase_end = o.safety_phase;
      ASSERT_TRUE(schedule_plan(w, generate(p, seed, o), injector).ok());
      w.run_until(o.safety_phase.count());
      for (size_t i : w.history().indices_of<history::FaultSkipped>()) {
        const auto& skip = *w.history()[i].get<history::FaultSkipped>();
        const std::string_view reason = w.history().str(skip.reason);
        EXPECT_EQ(w.history().str(skip.kind), "disk") << p.name << " seed " << seed << ": " << reason;
        EXPECT_NE(reason.find("empty"), std::string::npos) << reason;
      }
      for (NodeId node = 0; node < w.node_count(); ++node) {
        EXPECT_EQ(*w.state(node), sim::NodeState::kUp) << p.name << " seed " << seed << " node " << node;
      }
    }
  }
}

}  // namespace
}  // namespace orbit::faults
