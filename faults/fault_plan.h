// FaultPlan: the faults of one run, as data. A plan is a list of timed events (true time
// since the world started) that the injector (injector.h) turns into World fault calls and
// the generators (generators.h) produce from a seed. Plans are values: they can be built in
// code, written as JSON (docs/FAULT_PLANS.md), stored in a report and replayed.
//
// The fault model. Every event is classed in-model or beyond-model (classify()):
//   - In model: the faults the runtime promises to tolerate with every checker binding
//     (lease exclusivity, single activation or fenced duplicates, snapshot integrity,
//     durability per policy, linearizability, atomicity, and liveness once faults heal).
//     That is: any partition, clog, loss, duplication, reordering or latency; crashes,
//     restarts and pauses of any node for any length of time (leases and fencing handle
//     them); wall-clock offsets and jumps (leases use monotonic time); drift within
//     ModelLimits::max_drift_ppm; lost unsynced writes and torn writes on crash; disk
//     latency; and any disk fault on a node that keeps no persistent state.
//   - Beyond model: clock drift beyond max_drift_ppm (lease validity is computed from it),
//     and, on a storage node (ModelLimits::storage_nodes), bit rot at rest or on read, I/O
//     errors and a full disk. There the promise narrows to detection: no silent corruption
//     (a corrupt snapshot is reported, never loaded), no crash, errors surface as errors.
// A plan is in-model iff every event is.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/config/actor_management.h"
#include "runtime/env/result.h"
#include "runtime/env/time.h"
#include "runtime/env/transport.h"

#include "faults/fault_kind.h"

namespace orbit::faults {

using env::NodeId;

// The JSON "version" this build reads and writes.
inline constexpr int kPlanVersion = 1;


enum class DiskMode {
  kLoseUnsynced,    // crashes drop every unsynced write whole (tear_last_write_on_crash off)
  kTornWrite,       // crashes may keep a prefix of a file's last unsynced write (on)
  kBitFlip,         // flip one random bit of one random file at rest, now (one-shot)
  kLatency,         // every operation takes [latency_min, latency_max]
  kFull,            // capacity_bytes of contents at most; growing writes fail kNoSpace
  kEio,             // each operation fails with kIo with `probability`
  kReadCorruption,  // each read returns one flipped bit with `probability`
  kReset,           // the base disk config again (InjectorOptions::base_disk)
};
std::string_view to_string(DiskMode mode);
std::optional<DiskMode> disk_mode_from_string(std::string_view name);
const std::vector<std::string_view>& disk_mode_names();

// Link parameters a network window overrides; unset ones keep the base value.
struct NetworkWindow {
  std::optional<double> loss{};       // loss_probability, [0, 1]
  std::optional<double> duplicate{};  // duplicate_probability, [0, 1]
  std::optional<double> reorder{};    // reorder_probability, [0, 1]
  std::optional<Duration> latency_min{};
  std::optional<Duration> latency_max{};
  std::optional<Duration> reorder_window{};

  bool empty() const {
    return !loss && !duplicate && !reorder && !latency_min && !latency_max && !reorder_window;
  }
  friend bool operator==(const NetworkWindow&, const NetworkWindow&) = default;
};

// What a disk event does. Only the fields of its mode are meaningful.
struct DiskFault {
  DiskMode mode = DiskMode::kReset;
  Duration latency_min{0};      // kLatency
  Duration latency_max{0};      // kLatency
  uint64_t capacity_bytes = 0;  // kFull, >= 1
  double probability = 0.0;     // kEio, kReadCorruption: per operation / per read, [0, 1]

  friend bool operator==(const DiskFault&, const DiskFault&) = default;
};

// One timed fault: the kind and the union of every kind's parameters. Only the fields of
// the event's kind are meaningful; the rest stay at their defaults (to_json writes only the
// kind's fields, so a round trip resets the others). Build with the event:: helpers below.
struct FaultEvent {
  int64_t at_ns = 0;  // true time since the world started
  FaultKind kind = FaultKind::kHeal;

  // kPartition: links between every node of `a` and every node of `b` (disjoint, non-empty).
  std::vector<NodeId> a;
  std::vector<NodeId> b;
  bool one_way = false;  // block only a -> b

  // kClog, kUnclog: one directed link, from != to.
  NodeId from = 0;
  NodeId to = 0;

  // kClockOffset, kClockJump, kClockDrift, kCrash, kRestart, kPause, kDisk.
  NodeId node = 0;

  NetworkWindow network;              // kNetwork: at least one field set
  Duration clock_offset{0};           // kClockOffset: wall = accurate + clock_offset
  Duration clock_delta{0};            // kClockJump: wall steps by this (either sign)
  int64_t drift_ppm = 0;              // kClockDrift: [-500000, 500000] (sim::kMaxDriftPpm)
  Duration pause_duration{0};         // kPause: > 0; the injector resumes the node after it
  DiskFault disk;                     // kDisk

  Duration at() const { return Duration(at_ns); }
  friend bool operator==(const FaultEvent&, const FaultEvent&) = default;
};

struct FaultPlan {
  int version = kPlanVersion;
  std::vector<FaultEvent> events;  // in time order after parse_plan / sort_events

  friend bool operator==(const FaultPlan&, const FaultPlan&) = default;
};

// Builders: one per kind, so a plan reads like its JSON.
namespace event {
FaultEvent partition(Duration at, std::vector<NodeId> a, std::vector<NodeId> b, bool one_way = false);
FaultEvent heal(Duration at);
FaultEvent clog(Duration at, NodeId from, NodeId to);
FaultEvent unclog(Duration at, NodeId from, NodeId to);
FaultEvent network(Duration at, NetworkWindow window);
FaultEvent network_reset(Duration at);
FaultEvent clock_offset(Duration at, NodeId node, Duration offset);
FaultEvent clock_jump(Duration at, NodeId node, Duration delta);
FaultEvent clock_drift(Duration at, NodeId node, int64_t ppm);
FaultEvent crash(Duration at, NodeId node);
FaultEvent restart(Duration at, NodeId node);
FaultEvent pause(Duration at, NodeId node, Duration duration);
FaultEvent disk(Duration at, NodeId node, DiskFault fault);
// Shorthands for the disk modes.
FaultEvent disk_mode(Duration at, NodeId node, DiskMode mode);  // modes without parameters
FaultEvent disk_latency(Duration at, NodeId node, Duration min, Duration max);
FaultEvent disk_full(Duration at, NodeId node, uint64_t capacity_bytes);
FaultEvent disk_eio(Duration at, NodeId node, double probability);
FaultEvent disk_read_corruption(Duration at, NodeId node, double probability);
}  // namespace event

// Ok, or kInvalidArgument naming the event and field the way the JSON does, e.g.
// "events[2].node: node 9 does not exist (nodes 0..5)" or
// "version: unsupported plan version 2 (this build reads version 1)". Checks: the version;
// per event, a non-negative time, existing and distinct nodes, probabilities in [0, 1],
// latency min <= max, a positive pause, drift within the simulator's bound, a network
// window that sets something, a positive disk capacity. Time order is not required.
[[nodiscard]] Result<void> validate_plan(const FaultPlan& plan, uint32_t node_count);

// Sorts the events by time, keeping the given order among events at the same time.
void sort_events(FaultPlan& plan);

// Parses the JSON form (docs/FAULT_PLANS.md) for a world of `node_count` nodes. Events may
// come in any order; they are sorted stably by time. Errors (kInvalidArgument) name the
// problem and where: "invalid JSON at byte 17: ...", "version: ...",
// "events[3].kind: unknown fault kind \"meteor\"; known: partition, heal, ...",
// "events[0]: missing field \"node\"", "events[1].loss: must be in [0, 1], got 1.5",
// "events[4]: unknown field \"nod\" for kind \"crash\" (fields: at_ms, kind, node)".
// Event indexes are positions in the input, before sorting.
[[nodiscard]] Result<FaultPlan> parse_plan(std::string_view json_text, uint32_t node_count);

// The canonical JSON form: {"version":1,"events":[ one event per line, sorted stably by
// time, keys in a fixed order ]}. Whole milliseconds are written as integers, other times
// as decimals. parse_plan(to_json(p)) == p for a valid plan already in time order.
std::string to_json(const FaultPlan& plan);
// One event as a compact JSON object (the form used inside to_json).
std::string to_json(const FaultEvent& event);

// --- The fault model -------------------------------------------------------------------

enum class Model { kInModel, kBeyondModel };
std::string_view to_string(Model model);

struct ModelLimits {
  // The runtime's bound on clock drift (actor_management.max_clock_drift as ppm). The
  // default is config::drift_ppm(config::kDefaultMaxClockDrift): 0.001 is 1000 ppm, the
  // same constant that orbit.toml's and actor::ActorSystemConfig's defaults use.
  // |drift| up to it is in model.
  int64_t max_drift_ppm = config::drift_ppm(config::kDefaultMaxClockDrift);
  // Nodes whose disks hold the cluster's persistent state (ClusterWorld: the storage node,
  // id = members). Empty means unknown: every node is treated as a storage node.
  std::vector<NodeId> storage_nodes;

  // A ClusterWorld of `members` members and its storage node.
  static ModelLimits for_cluster(uint32_t members, int64_t max_drift_ppm);
  bool is_storage_node(NodeId node) const;
};

Model classify(const FaultEvent& event, const ModelLimits& limits);
Model classify(const FaultPlan& plan, const ModelLimits& limits);
// Why an event is beyond the model, in a sentence; empty when it is in model.
std::string beyond_model_reason(const FaultEvent& event, const ModelLimits& limits);

}  // namespace orbit::faults
