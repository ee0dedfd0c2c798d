#include "sim/cluster_world.h"

#include "runtime/persistence/log_provider.h"
#include "runtime/persistence/memory_provider.h"

namespace orbit::sim {

class ClusterWorld::MemberProcess final : public NodeProcess {
 public:
  MemberProcess(ClusterWorld& cluster, NodeContext& ctx)
      : cluster_(cluster), id_(ctx.id()), env_(ctx.env()), node_(env_, cluster.options_.node, ctx.boot_count()) {
    if (cluster.options_.register_kinds) cluster.options_.register_kinds(node_.actors());
    cluster_.member_processes_[id_] = this;
    if (cluster.options_.on_member_boot) cluster.options_.on_member_boot(node_, harness_);
  }
  ~MemberProcess() override {
    harness_.cancel_all();
    if (cluster_.member_processes_[id_] == this) cluster_.member_processes_[id_] = nullptr;
  }
  node::OrbitNode& node() { return node_; }
  TaskScope& harness() { return harness_; }

 private:
  ClusterWorld& cluster_;
  NodeId id_;
  env::Env env_;
  node::OrbitNode node_;
  TaskScope harness_;  // test and client coroutines; destroyed before the node
};

class ClusterWorld::StoreProcess final : public NodeProcess {
 public:
  StoreProcess(ClusterWorld& cluster, NodeContext& ctx) : cluster_(cluster), env_(ctx.env()) {
    cluster_.store_process_ = this;
    if (!cluster.options_.durable_store) {
      store_ = std::make_unique<node::StorageNode>(
          env_, std::make_unique<persistence::MemoryProvider>(env_.clock, cluster.options_.node.actors.snapshot_retained_versions));
      return;
    }
    scope_.spawn(open_log());
  }
  ~StoreProcess() override {
    scope_.cancel_all();
    store_.reset();
    if (cluster_.store_process_ == this) cluster_.store_process_ = nullptr;
  }
  node::StorageNode* store() { return store_.get(); }

 private:
  // Recovery runs before the store serves anything: requests meanwhile are dropped (no
  // handler yet), so clients time out, as with a store still starting up.
  Task<void> open_log() {
    persistence::LogProviderConfig config;
    config.retained_versions = cluster_.options_.node.actors.snapshot_retained_versions;
    auto opened = co_await persistence::LogProvider::open(env_.disk, env_.clock, env_.executor, config);
    if (!opened.ok()) {
      env_.recorder.record(history::StoreOpenFailed{env_.recorder.intern(to_string(opened.error()))});
      co_return;
    }
    store_ = std::make_unique<node::StorageNode>(env_, std::move(*opened));
    env_.recorder.record(history::StoreReady{});
  }

  ClusterWorld& cluster_;
  env::Env env_;
  std::unique_ptr<node::StorageNode> store_;
  TaskScope scope_;
};

Result<std::unique_ptr<ClusterWorld>> ClusterWorld::create(ClusterOptions options) {
  if (options.members == 0) return Error{ErrorCode::kInvalidArgument, "cluster.members must be at least 1"};
  options.node.store.store = options.members;
  if (options.node.membership.seeds.empty()) options.node.membership.seeds = {0};
  if (auto r = options.node.validate(); !r) return r.error();
  WorldConfig config;
  config.nodes = options.members + 1;
  config.network = options.network;
  auto world = World::create(options.seed, config);
  if (!world) return world.error();
  std::unique_ptr<ClusterWorld> cluster(new ClusterWorld(std::move(options), std::move(*world)));
  return cluster;
}

ClusterWorld::ClusterWorld(ClusterOptions options, std::unique_ptr<World> world)
    : options_(std::move(options)), world_(std::move(world)), member_processes_(options_.members, nullptr) {
  world_->set_boot([this](NodeContext& ctx) -> std::unique_ptr<NodeProcess> {
    if (ctx.id() == store_node()) return std::make_unique<StoreProcess>(*this, ctx);
    return std::make_unique<MemberProcess>(*this, ctx);
  });
  world_->start();  // boots run as the first events at time 0: a plan may start at 0 too
}

ClusterWorld::~ClusterWorld() { world_.reset(); }

node::OrbitNode* ClusterWorld::member(NodeId id) {
  if (id >= member_processes_.size() || member_processes_[id] == nullptr) return nullptr;
  return &member_processes_[id]->node();
}

node::StorageNode* ClusterWorld::store() { return store_process_ ? store_process_->store() : nullptr; }

bool ClusterWorld::spawn_on(NodeId on, std::function<Task<void>(node::OrbitNode&)> body) {
  if (on >= member_processes_.size() || member_processes_[on] == nullptr) return false;
  MemberProcess* process = member_processes_[on];
  // Posted on the member's own executor: it runs as the member's code would (deferred
  // while paused, dropped if the member crashes first).
  process->node().env().executor.post([process, body] { process->harness().spawn(body(process->node())); });
  return true;
}

bool ClusterWorld::await_converged(Duration limit) {
  const int64_t end = world_->now_ns() + limit.count();
  for (;;) {
    std::vector<NodeId> up;
    for (NodeId id = 0; id < options_.members; ++id) {
      if (*world_->state(id) == NodeState::kUp && member(id) != nullptr) up.push_back(id);
    }
    bool converged = true;
    for (NodeId id : up) {
      const auto& view = member(id)->membership().view();
      std::vector<NodeId> seen;
      for (const auto& info : view.members) seen.push_back(info.member.id);
      if (seen != up) converged = false;
    }
    if (converged) return true;
    if (world_->now_ns() >= end) return false;
    world_->run_for(10ms);
  }
}

}  // namespace orbit::sim
