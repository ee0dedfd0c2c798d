#include "sim/world.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "history/canonical.h"

namespace orbit::sim {
namespace {

// 2026-01-01T00:00:00Z: nodes' wall clocks start near a realistic date.
constexpr Duration kWallEpoch = std::chrono::seconds(1767225600);

std::string node_error(NodeId node, size_t count) {
  return "unknown node id " + std::to_string(node) + " (the world has " + std::to_string(count) +
         " nodes: 0.." + std::to_string(count == 0 ? 0 : count - 1) + ")";
}

history::IntList id_list(const std::vector<NodeId>& ids) { return history::IntList(ids.begin(), ids.end()); }


}  // namespace

std::string_view to_string(NodeState state) {
  switch (state) {
    case NodeState::kDown: return "down";
    case NodeState::kUp: return "up";
    case NodeState::kPaused: return "paused";
  }
  return "?";
}

Result<void> WorldConfig::validate() const {
  if (nodes == 0) return Error{ErrorCode::kInvalidArgument, "world.nodes must be at least 1"};
  if (nodes > 4096) {
    return Error{ErrorCode::kInvalidArgument,
                 "world.nodes must be at most 4096, got " + std::to_string(nodes)};
  }
  if (auto r = network.validate("network"); !r) return r;
  if (auto r = disk.validate(); !r) return r;
  if (max_frame_bytes == 0) {
    return Error{ErrorCode::kInvalidArgument, "world.max_frame_bytes must be positive"};
  }
  if (clocks.size() > nodes) {
    return Error{ErrorCode::kInvalidArgument,
                 "world.clocks has " + std::to_string(clocks.size()) + " entries for " +
                     std::to_string(nodes) + " nodes"};
  }
  for (size_t i = 0; i < clocks.size(); ++i) {
    if (clocks[i].drift_ppm < -kMaxDriftPpm || clocks[i].drift_ppm > kMaxDriftPpm) {
      return Error{ErrorCode::kInvalidArgument, "world.clocks[" + std::to_string(i) +
                                                    "].drift_ppm must be in [-500000, 500000]"};
    }
  }
  return {};
}

// One virtual machine: its clock, executor, network endpoint, disk and random source
// survive crashes (they are the hardware); its process (memory) does not.
class World::Node final : public NodeContext,
                          public env::Executor,
                          public env::Transport,
                          public env::Recorder,
                          public env::FaultPoints {
 public:
  Node(World& world, NodeId id, MonoTime mono_start, Duration wall_offset)
      : world_(world),
        id_(id),
        clock_(&world.now_ns_, mono_start, wall_offset),
        random_(env::Random::for_node(world.seed_, id)),
        contacted_(world.config_.nodes, false) {
    disk_ = std::make_unique<SimDisk>(*this, env::mix64(world.seed_ ^ env::mix64(0xd15c0000ULL + id)), this);
  }

  // NodeContext
  NodeId id() const override { return id_; }
  env::Executor& executor() override { return *this; }
  const env::Clock& clock() const override { return clock_; }
  env::Transport& transport() override { return *this; }
  env::Disk& disk() override { return *disk_; }
  env::Random& random() override { return random_; }
  uint32_t boot_count() const override { return boot_count_; }
  env::Recorder& recorder() override { return *this; }

  // env::Recorder: the world's history, stamped with this node and true time now.
  history::Sym intern(std::string_view s) override { return world_.intern(s); }
  void record(history::Payload event) override { world_.record(id_, std::move(event)); }
  env::FaultPoints& faults() override { return *this; }

  // env::FaultPoints: the world's registry, with each firing recorded against this node.
  bool fire(std::string_view site) override {
    if (!world_.fault_points_.fire(site)) return false;
    world_.record(id_, history::FaultPoint{world_.intern(site), Duration::zero()});
    return true;
  }
  Duration delay(std::string_view site, Duration max) override {
    const Duration d = world_.fault_points_.delay(site, max);
    if (d > Duration::zero()) world_.record(id_, history::FaultPoint{world_.intern(site), d});
    return d;
  }

  // env::Executor
  void post(std::function<void()> fn) override {
    world_.schedule(*this, world_.now_ns_, EventKind::kPost, std::move(fn));
  }
  env::TimerId schedule_after(Duration delay, std::function<void()> fn) override {
    return world_.schedule(*this, world_.now_ns_ + clock_.true_delay_ns(delay), EventKind::kTimer,
                           std::move(fn));
  }
  bool cancel(env::TimerId id) override { return world_.queue_.cancel(id); }

  // env::Transport
  NodeId self() const override { return id_; }
  void send(NodeId to, Bytes frame) override { world_.send(*this, to, std::move(frame)); }
  void set_receive_handler(ReceiveHandler handler) override { on_receive_ = std::move(handler); }
  void set_peer_lost_handler(PeerLostHandler handler) override { on_peer_lost_ = std::move(handler); }
  size_t max_frame_bytes() const override { return world_.config_.max_frame_bytes; }

  World& world_;
  const NodeId id_;
  SimClock clock_;
  env::Random random_;
  std::unique_ptr<SimDisk> disk_;
  BootFn boot_;
  std::unique_ptr<NodeProcess> process_;
  NodeState state_ = NodeState::kDown;
  uint32_t incarnation_ = 0;
  uint32_t boot_count_ = 0;
  std::vector<EventId> deferred_;  // parked while paused, in arrival order
  std::vector<bool> contacted_;    // peers with an "open connection" (for peer-loss notices)
  ReceiveHandler on_receive_;
  PeerLostHandler on_peer_lost_;
};

Result<std::unique_ptr<World>> World::create(uint64_t seed, WorldConfig config) {
  if (auto r = config.validate(); !r) return r.error();
  return std::unique_ptr<World>(new World(seed, std::move(config)));
}

World::World(uint64_t seed, WorldConfig config)
    : seed_(seed),
      config_(std::move(config)),
      network_random_(env::mix64(seed ^ 0x6e6574776f726bULL)),
      fault_points_(seed) {
  env::Random setup(env::mix64(seed ^ 0x7365747570ULL));
  const uint32_t n = config_.nodes;
  nodes_.reserve(n);
  for (NodeId id = 0; id < n; ++id) {
    // Monotonic clocks start at unrelated readings (hours apart), as on real machines, so
    // code that compares monotonic readings across nodes fails in simulation.
    const MonoTime mono_start(Duration(setup.between(1, 1000) * int64_t{3600'000'000'000} / 100));
    const ClockConfig cc = id < config_.clocks.size() ? config_.clocks[id] : ClockConfig{};
    nodes_.push_back(std::make_unique<Node>(*this, id, mono_start, kWallEpoch + cc.wall_offset -
                                                                       mono_start.time_since_epoch()));
    const auto drift = nodes_.back()->clock_.set_drift_ppm(cc.drift_ppm);
    assert(drift.ok());
    (void)drift;
    const auto disk = nodes_.back()->disk_->configure(config_.disk);
    assert(disk.ok());
    (void)disk;
  }
  links_.resize(static_cast<size_t>(n) * n);
  for (auto& link : links_) link.config = config_.network;
}

World::~World() {
  // Destroy processes while the rest of the world (queue, executors) is still alive: their
  // coroutines cancel timers on the way out.
  for (auto& node : nodes_) {
    env::CurrentExecutorGuard guard(node.get());
    node->process_.reset();
  }
}

Result<World::Node*> World::find(NodeId node, std::string_view what) {
  if (node >= nodes_.size()) {
    return Error{ErrorCode::kInvalidArgument, std::string(what) + ": " + node_error(node, nodes_.size())};
  }
  return nodes_[node].get();
}

Result<const World::Node*> World::find(NodeId node, std::string_view what) const {
  if (node >= nodes_.size()) {
    return Error{ErrorCode::kInvalidArgument, std::string(what) + ": " + node_error(node, nodes_.size())};
  }
  return static_cast<const Node*>(nodes_[node].get());
}

Result<Link*> World::find_link(NodeId from, NodeId to) {
  if (from >= nodes_.size()) return Error{ErrorCode::kInvalidArgument, "link from: " + node_error(from, nodes_.size())};
  if (to >= nodes_.size()) return Error{ErrorCode::kInvalidArgument, "link to: " + node_error(to, nodes_.size())};
  return &links_[static_cast<size_t>(from) * nodes_.size() + to];
}

Result<NodeState> World::state(NodeId node) const {
  auto n = find(node, "state");
  if (!n) return n.error();
  return (*n)->state_;
}

void World::set_boot(BootFn boot) {
  for (auto& node : nodes_) node->boot_ = boot;
}

Result<void> World::set_boot(NodeId node, BootFn boot) {
  auto n = find(node, "set_boot");
  if (!n) return n.error();
  (*n)->boot_ = std::move(boot);
  return {};
}

void World::start() {
  for (auto& node : nodes_) {
    if (node->state_ != NodeState::kDown) continue;
    node->state_ = NodeState::kUp;
    ++node->incarnation_;
    Node* raw = node.get();
    schedule(*raw, now_ns_, EventKind::kBoot, [this, raw] { boot(*raw); });
  }
}

void World::boot(Node& node) {
  ++node.boot_count_;
  record(node.id_, history::Boot{node.boot_count_});
  if (node.boot_) node.process_ = node.boot_(node);
}

EventId World::schedule(Node& node, int64_t true_ns, EventKind kind, std::function<void()> fn) {
  return queue_.push(std::max(true_ns, now_ns_), node.id_, node.incarnation_, kind, std::move(fn));
}

EventId World::at(int64_t true_ns, std::function<void()> fn) {
  return queue_.push(std::max(true_ns, now_ns_), kWorldOwner, 0, EventKind::kWorld, std::move(fn));
}

bool World::step(int64_t limit_ns) {
  if (queue_.empty() || queue_.next_time() > limit_ns) return false;
  const EventQueue::Popped popped = queue_.pop();
  assert(popped.info.time_ns >= now_ns_ && "events must not run in the past");
  now_ns_ = popped.info.time_ns;
  Node* node = nullptr;
  if (popped.info.owner != kWorldOwner) {
    node = nodes_[popped.info.owner].get();
    if (popped.info.incarnation != node->incarnation_ || node->state_ == NodeState::kDown) {
      queue_.take(popped.id);
      ++stats_.events_dropped;
      if (popped.info.kind == EventKind::kDeliver) ++net_stats_.to_down_node;
      return true;
    }
    if (node->state_ == NodeState::kPaused) {
      node->deferred_.push_back(popped.id);
      ++stats_.events_deferred;
      return true;
    }
  }
  std::function<void()> fn = queue_.take(popped.id);
  ++stats_.events_executed;
  trace_.mix(static_cast<uint64_t>(now_ns_));
  trace_.mix((static_cast<uint64_t>(popped.info.owner) << 8) | static_cast<uint64_t>(popped.info.kind));
  if (node != nullptr) {
    env::CurrentExecutorGuard guard(node);
    running_owner_ = node->id_;
    fn();
    running_owner_ = kWorldOwner;
  } else {
    fn();
  }
  if (trail_enabled_) {
    trail_.push_back(TrailEntry{now_ns_, popped.info.owner, popped.info.kind, trace_.value()});
  }
  return true;
}

uint64_t World::run_until(int64_t true_ns) {
  uint64_t ran = 0;
  while (step(true_ns)) ++ran;
  if (true_ns > now_ns_) now_ns_ = true_ns;
  return ran;
}

void World::record(int64_t node, history::Payload payload) {
  if (history_released_) return;  // the run is over: teardown is not part of it
  const history::Event& event = history_.append(now_ns_, node, std::move(payload));
  canonical_.clear();
  history::encode_canonical(history_, event, canonical_);
  trace_.mix_string(canonical_);
}

// --- Process faults -------------------------------------------------------------------

Result<void> World::crash(NodeId id) {
  auto found = find(id, "crash");
  if (!found) return found.error();
  Node& node = **found;
  assert(running_owner_ != id && "a node cannot crash itself from inside its own event");
  if (node.state_ == NodeState::kDown) {
    return Error{ErrorCode::kInvalidArgument, "crash: node " + std::to_string(id) + " is already down"};
  }
  node.state_ = NodeState::kDown;
  node.on_receive_ = nullptr;
  node.on_peer_lost_ = nullptr;
  {
    // The process dies with everything it was doing; its destructors may cancel timers.
    env::CurrentExecutorGuard guard(&node);
    node.process_.reset();
  }
  ++node.incarnation_;  // after the teardown: anything it scheduled while dying is dropped
  for (EventId parked : node.deferred_) queue_.cancel(parked);
  node.deferred_.clear();
  record(id, history::Crash{});
  node.disk_->crash();
  notify_peers_of_loss(node);
  std::fill(node.contacted_.begin(), node.contacted_.end(), false);
  return {};
}

void World::notify_peers_of_loss(Node& lost) {
  for (auto& peer : nodes_) {
    if (peer.get() == &lost || peer->state_ == NodeState::kDown) continue;
    if (!peer->contacted_[lost.id_]) continue;
    peer->contacted_[lost.id_] = false;
    // Peers notice after about one network delay (a reset connection, a failed send).
    const LinkConfig& config = links_[static_cast<size_t>(lost.id_) * nodes_.size() + peer->id_].config;
    const int64_t delay = network_random_.duration_between(config.latency_min, config.latency_max).count();
    Node* raw = peer.get();
    const NodeId lost_id = lost.id_;
    schedule(*raw, now_ns_ + delay, EventKind::kPeerLost, [raw, lost_id] {
      if (raw->on_peer_lost_) raw->on_peer_lost_(lost_id);
    });
  }
}

Result<void> World::restart(NodeId id) {
  auto found = find(id, "restart");
  if (!found) return found.error();
  Node& node = **found;
  if (node.state_ != NodeState::kDown) {
    return Error{ErrorCode::kInvalidArgument,
                 "restart: node " + std::to_string(id) + " is " + std::string(to_string(node.state_)) +
                     ", not down"};
  }
  node.state_ = NodeState::kUp;
  ++node.incarnation_;  // frames sent to the dead incarnation are not for this one
  record(id, history::Restart{});
  Node* raw = &node;
  schedule(node, now_ns_, EventKind::kBoot, [this, raw] { boot(*raw); });
  return {};
}

Result<void> World::pause(NodeId id) {
  auto found = find(id, "pause");
  if (!found) return found.error();
  Node& node = **found;
  if (node.state_ != NodeState::kUp) {
    return Error{ErrorCode::kInvalidArgument,
                 "pause: node " + std::to_string(id) + " is " + std::string(to_string(node.state_)) + ", not up"};
  }
  node.state_ = NodeState::kPaused;
  record(id, history::Pause{});
  return {};
}

Result<void> World::resume(NodeId id) {
  auto found = find(id, "resume");
  if (!found) return found.error();
  Node& node = **found;
  if (node.state_ != NodeState::kPaused) {
    return Error{ErrorCode::kInvalidArgument,
                 "resume: node " + std::to_string(id) + " is " + std::string(to_string(node.state_)) +
                     ", not paused"};
  }
  node.state_ = NodeState::kUp;
  record(id, history::Resume{.deferred_events = node.deferred_.size()});
  // Everything that came due during the pause runs now, in its original order.
  for (EventId parked : node.deferred_) queue_.reschedule(parked, now_ns_);
  node.deferred_.clear();
  return {};
}

// --- Network ---------------------------------------------------------------------------

void World::send(Node& from, NodeId to, Bytes frame) {
  ++net_stats_.sent;
  if (to >= nodes_.size()) {
    ++net_stats_.unknown_node;
    return;
  }
  if (frame.size() > config_.max_frame_bytes) {
    ++net_stats_.oversize;
    record(from.id_, history::FrameOversize{to, frame.size(), config_.max_frame_bytes});
    return;
  }
  from.contacted_[to] = true;
  Link& link = links_[static_cast<size_t>(from.id_) * nodes_.size() + to];
  if (link.blocked) {
    ++net_stats_.partitioned;
    return;
  }
  if (link.clogged) {
    ++net_stats_.clogged;
    link.held.push_back(std::move(frame));
    return;
  }
  dispatch(from.id_, to, std::move(frame));
}

void World::dispatch(NodeId from, NodeId to, Bytes frame) {
  const LinkConfig& config = links_[static_cast<size_t>(from) * nodes_.size() + to].config;
  if (network_random_.chance(config.loss_probability)) {
    ++net_stats_.lost;
    return;
  }
  if (network_random_.chance(config.duplicate_probability)) {
    ++net_stats_.duplicated;
    schedule_delivery(from, to, frame);
  }
  schedule_delivery(from, to, std::move(frame));
}

void World::schedule_delivery(NodeId from, NodeId to, Bytes frame) {
  Link& link = links_[static_cast<size_t>(from) * nodes_.size() + to];
  int64_t at_ns = now_ns_ + network_random_.duration_between(link.config.latency_min, link.config.latency_max).count();
  if (network_random_.chance(link.config.reorder_probability)) {
    ++net_stats_.reordered;
    at_ns += network_random_.duration_between(Duration::zero(), link.config.reorder_window).count();
  } else {
    at_ns = std::max(at_ns, link.last_delivery_ns);
    link.last_delivery_ns = at_ns;
  }
  Node& target = *nodes_[to];
  schedule(target, at_ns, EventKind::kDeliver,
           [this, from, to, frame = std::move(frame)]() mutable { deliver(from, to, std::move(frame)); });
}

void World::deliver(NodeId from, NodeId to, Bytes frame) {
  const Link& link = links_[static_cast<size_t>(from) * nodes_.size() + to];
  if (link.blocked) {  // the partition began while the frame was in flight
    ++net_stats_.partitioned;
    return;
  }
  Node& target = *nodes_[to];
  trace_.mix(from);
  trace_.mix_bytes(frame);
  ++net_stats_.delivered;
  target.contacted_[from] = true;
  if (target.on_receive_) target.on_receive_(from, std::move(frame));
}

Result<void> World::partition(const std::vector<NodeId>& side_a, const std::vector<NodeId>& side_b,
                              bool one_way) {
  for (NodeId a : side_a) {
    if (auto n = find(a, "partition"); !n) return n.error();
  }
  for (NodeId b : side_b) {
    if (auto n = find(b, "partition"); !n) return n.error();
  }
  for (NodeId a : side_a) {
    for (NodeId b : side_b) {
      if (a == b) continue;
      links_[static_cast<size_t>(a) * nodes_.size() + b].blocked = true;
      if (!one_way) links_[static_cast<size_t>(b) * nodes_.size() + a].blocked = true;
    }
  }
  record(kWorldNode, history::Partition{id_list(side_a), id_list(side_b), one_way});
  return {};
}

Result<void> World::block_link(NodeId from, NodeId to) {
  auto link = find_link(from, to);
  if (!link) return link.error();
  (*link)->blocked = true;
  record(kWorldNode, history::LinkBlock{from, to});
  return {};
}

Result<void> World::unblock_link(NodeId from, NodeId to) {
  auto link = find_link(from, to);
  if (!link) return link.error();
  (*link)->blocked = false;
  record(kWorldNode, history::LinkUnblock{from, to});
  return {};
}

void World::heal() {
  for (auto& link : links_) link.blocked = false;
  record(kWorldNode, history::Heal{});
}

Result<void> World::clog(NodeId from, NodeId to) {
  auto link = find_link(from, to);
  if (!link) return link.error();
  (*link)->clogged = true;
  record(kWorldNode, history::Clog{from, to});
  return {};
}

Result<void> World::unclog(NodeId from, NodeId to) {
  auto found = find_link(from, to);
  if (!found) return found.error();
  Link& link = **found;
  link.clogged = false;
  std::deque<Bytes> held;
  held.swap(link.held);
  record(kWorldNode, history::Unclog{from, to, held.size()});
  for (auto& frame : held) dispatch(from, to, std::move(frame));
  return {};
}

Result<void> World::set_link(NodeId from, NodeId to, const LinkConfig& config) {
  auto link = find_link(from, to);
  if (!link) return link.error();
  if (auto r = config.validate("link"); !r) return r;
  (*link)->config = config;
  record(kWorldNode, history::LinkConfig{from, to, config.latency_min, config.latency_max, config.loss_probability,
                                         config.duplicate_probability, config.reorder_probability});
  return {};
}

Result<void> World::set_all_links(const LinkConfig& config) {
  if (auto r = config.validate("network"); !r) return r;
  for (auto& link : links_) link.config = config;
  record(kWorldNode, history::NetworkConfig{config.latency_min, config.latency_max, config.loss_probability,
                                            config.duplicate_probability, config.reorder_probability});
  return {};
}

Result<LinkConfig> World::link_config(NodeId from, NodeId to) const {
  if (from >= nodes_.size() || to >= nodes_.size()) {
    return Error{ErrorCode::kInvalidArgument, "link_config: " + node_error(std::max(from, to), nodes_.size())};
  }
  return links_[static_cast<size_t>(from) * nodes_.size() + to].config;
}

// --- Clocks ------------------------------------------------------------------------------

Result<void> World::set_clock_offset(NodeId id, Duration wall_offset) {
  auto n = find(id, "set_clock_offset");
  if (!n) return n.error();
  SimClock& clock = (*n)->clock_;
  // The offset is relative to the node's accurate wall time (true time + epoch).
  const Duration accurate = kWallEpoch + Duration(now_ns_) - clock.mono_now().time_since_epoch();
  const Duration before = clock.wall_now().time_since_epoch();
  clock.set_wall_offset(accurate + wall_offset);
  record(id, history::ClockOffset{wall_offset, clock.wall_now().time_since_epoch() - before});
  return {};
}

Result<void> World::jump_clock(NodeId id, Duration delta) {
  auto n = find(id, "jump_clock");
  if (!n) return n.error();
  (*n)->clock_.jump_wall(delta);
  record(id, history::ClockJump{delta});
  return {};
}

Result<void> World::set_clock_drift(NodeId id, int64_t ppm) {
  auto n = find(id, "set_clock_drift");
  if (!n) return n.error();
  if (auto r = (*n)->clock_.set_drift_ppm(ppm); !r) return r;
  record(id, history::ClockDrift{ppm});
  return {};
}

Result<const SimClock*> World::clock(NodeId id) const {
  auto n = find(id, "clock");
  if (!n) return n.error();
  return &(*n)->clock_;
}

// --- Disks ------------------------------------------------------------------------------

Result<void> World::configure_disk(NodeId id, const DiskConfig& config) {
  auto n = find(id, "configure_disk");
  if (!n) return n.error();
  if (auto r = (*n)->disk_->configure(config); !r) return r;
  record(id, history::DiskConfig{config.latency_min, config.latency_max, config.capacity_bytes, config.eio_probability,
                                 config.read_corruption_probability, config.tear_last_write_on_crash});
  return {};
}

Result<SimDisk*> World::disk(NodeId id) {
  auto n = find(id, "disk");
  if (!n) return n.error();
  return (*n)->disk_.get();
}

Result<void> World::flip_bit_at_rest(NodeId id) {
  auto n = find(id, "flip_bit_at_rest");
  if (!n) return n.error();
  auto flipped = (*n)->disk_->flip_random_bit_at_rest();
  if (!flipped) return flipped.error();
  return {};
}

}  // namespace orbit::sim
