// Seeded fault-plan generators for a ClusterWorld: members 0..members-1 and the storage
// node `members` (node_count = members + 1). A generator is a pure function of
// (seed, GenOptions): the same arguments give the same plan, on any machine; its only
// randomness is an env::Random seeded from the seed.
//
// Every generated plan is well-formed: it validates for members + 1 nodes; every episode
// that starts a fault also ends it before the safety phase does (a crash is followed by a
// restart, a partition by a heal, a clog by an unclog, a network window by network_reset,
// a drift by drift 0, a disk mode by a disk reset, a pause has a duration that ends in
// time); episodes on the same resource (a node's process, a node's clock rate, a node's
// disk, a link, the partition, the network window) never overlap, so no event is skipped
// for an impossible transition; and at most a minority of members (max(1, (members-1)/2))
// is crashed or paused at once, so the cluster keeps a majority while faults run. Every
// event is before `safety_phase`; heal_all at that time begins the liveness phase.
//
// With allow_beyond_model = false every event classifies in-model under
// model_limits(options) (fault_plan.h states the rules); a test checks it over many seeds.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "faults/fault_plan.h"
#include "runtime/env/result.h"
#include "runtime/env/time.h"

namespace orbit::faults {

// Pauses last at most this many lease durations (a pause longer than a lease is the
// classic lease killer; three leases is well past it).
inline constexpr int64_t kMaxPauseLeases = 3;

struct GenOptions {
  uint32_t members = 5;                 // members 0..members-1; node `members` is the store
  Duration safety_phase = std::chrono::seconds(60);  // every event falls in [0, safety_phase)
  Duration lease_duration = std::chrono::seconds(10);  // actor_management.lease_duration
  bool allow_beyond_model = false;      // may generate beyond-model events (fault_plan.h)
  // actor_management.max_clock_drift in ppm; default config::drift_ppm(kDefaultMaxClockDrift),
  // 0.001 -> 1000, as ModelLimits.
  int64_t max_drift_ppm = config::drift_ppm(config::kDefaultMaxClockDrift);
  double intensity = 0.5;               // 0..1: how many faults, how long and how severe

  uint32_t node_count() const { return members + 1; }
  NodeId store_node() const { return members; }
  // Ok, or kInvalidArgument naming the field: members in [1, 4095], safety_phase >= 1ms,
  // lease_duration > 0, max_drift_ppm in [0, 500000], intensity in [0, 1].
  [[nodiscard]] Result<void> validate() const;
};

// The model limits the generators keep to: max_drift_ppm, and the store as storage node.
ModelLimits model_limits(const GenOptions& options);

// A mix of every fault kind at random times. The number of episodes grows with intensity
// and the safety phase (about intensity x safety_phase / 2s; none at intensity 0); their
// lengths and severities grow with intensity.
[[nodiscard]] Result<FaultPlan> random_plan(uint64_t seed, const GenOptions& options);

// Swarm testing: the seed first picks a random subset of the fault families (partition,
// clog, network, clock offset, clock jump, clock drift, crash, pause, disk) and, per
// family, a rate and a severity; then only those faults are generated. Different seeds
// stress different combinations instead of always the same average mix.
[[nodiscard]] Result<FaultPlan> swarm_plan(uint64_t seed, const GenOptions& options);

// Presets: one fault pattern each. Intensity shortens the gaps and lengthens the faults.
// Partition (random split, a single isolated node, or one-way), heal, gap; repeated.
[[nodiscard]] Result<FaultPlan> partition_heal_cycles(uint64_t seed, const GenOptions& options);
// Many pauses of members (and sometimes the store), about half longer than a lease, up to
// kMaxPauseLeases leases, overlapping across nodes.
[[nodiscard]] Result<FaultPlan> pause_storm(uint64_t seed, const GenOptions& options);
// Members crashed and restarted one at a time, in a shuffled order, cycling.
[[nodiscard]] Result<FaultPlan> rolling_restarts(uint64_t seed, const GenOptions& options);
// The storage node crashes and restarts repeatedly with torn writes on crash enabled, and
// its disk is sometimes slow.
[[nodiscard]] Result<FaultPlan> storage_node_crash(uint64_t seed, const GenOptions& options);

using PlanGenerator = Result<FaultPlan> (*)(uint64_t seed, const GenOptions& options);

struct PresetInfo {
  std::string_view name;
  std::string_view description;  // one line, for `orbit-sim list`
  PlanGenerator generate;
};

// Every named generator, in a fixed order: "random", "swarm", "partition_heal_cycles",
// "pause_storm", "rolling_restarts", "storage_node_crash".
const std::vector<PresetInfo>& list_presets();
// The generator of that name, or kNotFound listing the known names.
[[nodiscard]] Result<PlanGenerator> preset_by_name(std::string_view name);

}  // namespace orbit::faults
