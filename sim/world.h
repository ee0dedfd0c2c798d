// World: a whole cluster of virtual nodes in one thread, driven by one event queue in
// true (simulated) time. One seed decides everything: node randomness, network draws,
// disk faults and initial clocks all derive from it, and the only order is the queue's
// (true time, sequence number). Every executed event feeds the trace hash; every fault is
// recorded in the history.
//
// The fault model a node lives in:
//   - crash: the node's process object (its memory, every coroutine) is destroyed, events
//     queued for it are dropped, unsynced disk data is lost (the last write may tear);
//   - restart: the boot function runs again over the surviving disk;
//   - pause: nothing of the node runs while time passes; its timers and arriving frames
//     wait and run, late, on resume (a GC pause, a SIGSTOP, a VM migration);
//   - the network and clock faults of network.h and sim_clock.h, per link and per node.
#pragma once

#include <cassert>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "history/history.h"
#include "runtime/env/clock.h"
#include "runtime/env/disk.h"
#include "runtime/env/env.h"
#include "runtime/env/executor.h"
#include "runtime/env/random.h"
#include "runtime/env/result.h"
#include "runtime/env/transport.h"
#include "sim/event_queue.h"
#include "sim/fault_points.h"
#include "sim/network.h"
#include "sim/sim_clock.h"
#include "sim/sim_disk.h"
#include "sim/trace_hash.h"

namespace orbit::sim {

using env::NodeId;
// The node of world-level events (faults on links, phases).
inline constexpr int64_t kWorldNode = history::kWorldNode;

// What a node's boot function builds: the node's memory. Destroyed on crash.
class NodeProcess {
 public:
  virtual ~NodeProcess() = default;
};

// The environment handed to node code: the seam's implementations for one node.
class NodeContext {
 public:
  virtual ~NodeContext() = default;
  virtual NodeId id() const = 0;
  virtual env::Executor& executor() = 0;
  virtual const env::Clock& clock() const = 0;
  virtual env::Transport& transport() = 0;
  virtual env::Disk& disk() = 0;
  virtual env::Random& random() = 0;
  // How many times this node has booted (1 on the first boot).
  virtual uint32_t boot_count() const = 0;
  // Records events in the run's history, attributed to this node, at true time now.
  virtual env::Recorder& recorder() = 0;
  virtual env::FaultPoints& faults() = 0;
  // The seam as the runtime takes it.
  env::Env env() {
    return env::Env{id(), executor(), clock(), transport(), disk(), random(), recorder(), faults()};
  }
};

using BootFn = std::function<std::unique_ptr<NodeProcess>(NodeContext&)>;

struct ClockConfig {
  Duration wall_offset = Duration::zero();  // added to the node's wall time
  int64_t drift_ppm = 0;                    // monotonic rate error, parts per million
};

struct WorldConfig {
  uint32_t nodes = 5;
  LinkConfig network;  // every directed link starts with this
  DiskConfig disk;     // every node's disk starts with this
  size_t max_frame_bytes = 1 << 20;
  // Per-node clock settings; missing entries mean an accurate clock.
  std::vector<ClockConfig> clocks;

  // An error naming the first bad field.
  Result<void> validate() const;
};

enum class NodeState { kDown, kUp, kPaused };
std::string_view to_string(NodeState state);

struct WorldStats {
  uint64_t events_executed = 0;
  uint64_t events_dropped = 0;  // queued for a node that crashed or restarted since
  uint64_t events_deferred = 0; // arrived while their node was paused
};

// One executed event, kept when the trail is enabled (determinism checks).
struct TrailEntry {
  int64_t time_ns;
  uint32_t owner;
  EventKind kind;
  uint64_t hash_after;
};

class World {
 public:
  // Validates the configuration; the error names the bad field.
  static Result<std::unique_ptr<World>> create(uint64_t seed, WorldConfig config);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  uint64_t seed() const { return seed_; }
  uint32_t node_count() const { return static_cast<uint32_t>(nodes_.size()); }
  int64_t now_ns() const { return now_ns_; }
  Result<NodeState> state(NodeId node) const;

  // The function that builds a node's process at every boot. Set before start().
  void set_boot(BootFn boot);
  Result<void> set_boot(NodeId node, BootFn boot);

  // Boots every node at the current time.
  void start();

  // Runs events until true time reaches `true_ns` (then sets now to it) or nothing is
  // left to run. Returns the number of events executed.
  uint64_t run_until(int64_t true_ns);
  uint64_t run_for(Duration d) { return run_until(now_ns_ + d.count()); }
  // Runs one event at or before `limit_ns`; false when there is none.
  bool step(int64_t limit_ns = INT64_MAX);

  // Schedules a world-level action (a fault plan step, a test script) at true time `true_ns`
  // (not before now).
  EventId at(int64_t true_ns, std::function<void()> fn);

  // --- Process faults (recorded; an error names a bad node id or an impossible transition).
  Result<void> crash(NodeId node);
  Result<void> restart(NodeId node);
  Result<void> pause(NodeId node);
  Result<void> resume(NodeId node);

  // --- Network faults.
  // Blocks every link from side_a to side_b and, unless one_way, from side_b to side_a.
  Result<void> partition(const std::vector<NodeId>& side_a, const std::vector<NodeId>& side_b,
                         bool one_way = false);
  Result<void> block_link(NodeId from, NodeId to);
  Result<void> unblock_link(NodeId from, NodeId to);
  // Unblocks every link (clogs stay: they are released by unclog).
  void heal();
  Result<void> clog(NodeId from, NodeId to);
  Result<void> unclog(NodeId from, NodeId to);
  Result<void> set_link(NodeId from, NodeId to, const LinkConfig& config);
  Result<void> set_all_links(const LinkConfig& config);
  Result<LinkConfig> link_config(NodeId from, NodeId to) const;

  // --- Clock faults.
  Result<void> set_clock_offset(NodeId node, Duration wall_offset);
  Result<void> jump_clock(NodeId node, Duration delta);
  Result<void> set_clock_drift(NodeId node, int64_t ppm);
  Result<const SimClock*> clock(NodeId node) const;

  // --- Disk faults: configure() and the SimDisk's own fault calls.
  Result<void> configure_disk(NodeId node, const DiskConfig& config);
  Result<SimDisk*> disk(NodeId node);
  Result<void> flip_bit_at_rest(NodeId node);

  // --- Fault points (BUGGIFY sites in runtime code).
  FaultPointRegistry& fault_points() { return fault_points_; }

  // --- Observation.
  // The run's history. Read it; append only through record() (which feeds the trace hash).
  const history::History& history() const { return history_; }
  // Hands the history over at the end of a run (no copy); the world records nothing more.
  history::History release_history() {
    history_released_ = true;
    return std::move(history_);
  }
  // The Sym naming `s` in the run's history (for events passed to record()).
  history::Sym intern(std::string_view s) {
    assert(!history_released_);
    return history_.intern(s);
  }
  // Records a world-level (kWorldNode) or node-attributed event at true time now, and
  // mixes its canonical bytes into the trace hash.
  void record(int64_t node, history::Payload payload);
  uint64_t trace_hash() const { return trace_.value(); }
  const WorldStats& stats() const { return stats_; }
  const NetworkStats& network_stats() const { return net_stats_; }
  void enable_trail(bool on) { trail_enabled_ = on; }
  const std::vector<TrailEntry>& trail() const { return trail_; }

 private:
  class Node;
  friend class Node;

  World(uint64_t seed, WorldConfig config);
  Result<Node*> find(NodeId node, std::string_view what);
  Result<const Node*> find(NodeId node, std::string_view what) const;
  Result<Link*> find_link(NodeId from, NodeId to);

  EventId schedule(Node& node, int64_t true_ns, EventKind kind, std::function<void()> fn);
  void boot(Node& node);
  void send(Node& from, NodeId to, Bytes frame);
  void dispatch(NodeId from, NodeId to, Bytes frame);
  void schedule_delivery(NodeId from, NodeId to, Bytes frame);
  // Hands the frame over (moved, never copied) to the target's receive handler.
  void deliver(NodeId from, NodeId to, Bytes frame);
  void notify_peers_of_loss(Node& lost);

  uint64_t seed_;
  WorldConfig config_;
  int64_t now_ns_ = 0;
  EventQueue queue_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Link> links_;  // links_[from * n + to]
  env::Random network_random_;
  bool history_released_ = false;
  history::History history_;
  std::string canonical_;  // record()'s encoding buffer, reused across events
  FaultPointRegistry fault_points_;
  TraceHash trace_;
  WorldStats stats_;
  NetworkStats net_stats_;
  bool trail_enabled_ = false;
  std::vector<TrailEntry> trail_;
  uint32_t running_owner_ = kWorldOwner;  // whose event is executing (guards crash-from-self)
};

}  // namespace orbit::sim
