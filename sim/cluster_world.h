// ClusterWorld: an Orbit cluster inside a World. Members 0..N-1 each run an OrbitNode
// (membership seeded by node 0, persistence on the storage node); node N is the storage
// node (orbit-store) serving a log-structured provider over its simulated disk, so it can
// crash and recover like any other. Tests and scenarios run client coroutines on members
// and inject faults through world().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "runtime/env/task_scope.h"
#include "runtime/node/orbit_node.h"
#include "sim/world.h"

namespace orbit::sim {

struct ClusterOptions {
  uint64_t seed = 1;
  uint32_t members = 5;
  node::NodeConfig node;  // store.store and membership.seeds are filled in
  LinkConfig network;
  // Registers the actor kinds on every member at every boot.
  std::function<void(actor::ActorSystem&)> register_kinds;
  // The storage node keeps its data in a log over its disk (survives crashes) or in memory.
  bool durable_store = true;
  // Called on every member boot, after the runtime is up: scenarios start their client
  // drivers here (spawn them into `scope`, which dies with the member).
  std::function<void(node::OrbitNode&, TaskScope& scope)> on_member_boot;
};

class ClusterWorld {
 public:
  static Result<std::unique_ptr<ClusterWorld>> create(ClusterOptions options);
  ~ClusterWorld();

  World& world() { return *world_; }
  uint32_t members() const { return options_.members; }
  NodeId store_node() const { return options_.members; }
  // The member's runtime, or nullptr while it is down or still booting.
  node::OrbitNode* member(NodeId id);
  node::StorageNode* store();

  void run_for(Duration d) { world_->run_for(d); }

  // Runs `body` as a coroutine on member `on` and drives the world until it finishes or
  // `limit` of simulated time passes (nullopt then, or if the member crashed).
  template <typename T>
  std::optional<T> run(NodeId on, std::function<Task<T>(node::OrbitNode&)> body, Duration limit = 60s) {
    auto out = std::make_shared<std::optional<T>>();
    if (!spawn_on(on, [body, out](node::OrbitNode& n) -> Task<void> {
          return [](std::function<Task<T>(node::OrbitNode&)> b, node::OrbitNode& node,
                    std::shared_ptr<std::optional<T>> o) -> Task<void> { o->emplace(co_await b(node)); }(body, n, out);
        })) {
      return std::nullopt;
    }
    const int64_t end = world_->now_ns() + limit.count();
    while (!out->has_value() && world_->now_ns() < end) world_->run_for(1ms);
    return *out;
  }

  // Starts `body` on member `on` without waiting (false if the member is not up).
  bool spawn_on(NodeId on, std::function<Task<void>(node::OrbitNode&)> body);

  // Runs until every up member's view holds exactly the up members (or `limit`).
  bool await_converged(Duration limit = 30s);

 private:
  class MemberProcess;
  class StoreProcess;
  explicit ClusterWorld(ClusterOptions options, std::unique_ptr<World> world);

  ClusterOptions options_;
  std::unique_ptr<World> world_;
  std::vector<MemberProcess*> member_processes_;
  StoreProcess* store_process_ = nullptr;
};

}  // namespace orbit::sim
