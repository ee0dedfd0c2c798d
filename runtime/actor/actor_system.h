// ActorSystem: the actor runtime of one node. It hosts activations, keeps the directory
// entries of the names this node owns, and routes calls, two-step as in Proto.Cluster:
//
//   caller --actor.route--> identity owner (hash ring over live members)
//          owner: directory entry, or place a new activation (policy), then
//          --actor.invoke--> activation node --> Activation::invoke
//
// Topology changes move names, not state: when the view changes, every node re-registers
// its activations with their (possibly new) owners, so a new owner rebuilds its entries;
// an owner without an entry places the actor, and if a live activation still holds the
// lease elsewhere, the lease conflict names it and the owner redirects there.
//
// Call outcomes for clients: ok; kTimeout (outcome unknown: it may have been applied);
// kUnavailable (definitely not applied; retried here with backoff until the deadline);
// kRejected{reason}; kConflict; kOverloaded (the activation's mailbox is at
// actor_management.max_mailbox_depth: not applied, not retried here); or the handler's own error.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/actor/activation.h"
#include "runtime/actor/actor.h"
#include "runtime/actor/config.h"
#include "runtime/actor/messages.h"
#include "runtime/cluster/membership.h"
#include "runtime/cluster/placement_ring.h"
#include "runtime/env/env.h"
#include "runtime/env/task_scope.h"
#include "runtime/metrics/health_evaluator.h"
#include "runtime/metrics/metrics_registry.h"
#include "runtime/persistence/provider.h"
#include "runtime/rpc/rpc_node.h"

namespace orbit::actor {

struct KindInfo {
  std::string kind;
  PersistencePolicy policy;
  std::function<std::unique_ptr<ActorInstance>()> make;
};

struct ActorSystemMetrics {
  uint64_t activations = 0;
  uint64_t deactivations = 0;
  uint64_t activation_failures = 0;
  uint64_t duplicate_activations_detected = 0;
  uint64_t lease_acquires = 0;
  uint64_t lease_renewals = 0;
  uint64_t lease_conflicts = 0;
  uint64_t lease_lapses = 0;
  uint64_t snapshot_writes = 0;
  uint64_t snapshot_loads = 0;
  uint64_t snapshot_integrity_failures = 0;
  uint64_t snapshot_bytes_written = 0;
  uint64_t snapshot_bytes_read = 0;
  uint64_t calls_routed = 0;
  uint64_t calls_invoked = 0;
  uint64_t rejected_at_capacity = 0;
  uint64_t rejected_overloaded = 0;  // calls refused by a full mailbox
};

template <typename Kind>
class ActorRef;

class ActorSystem {
 public:
  ActorSystem(env::Env& env, rpc::RpcNode& rpc, cluster::Membership& membership,
              persistence::PersistenceProvider& provider, ActorSystemConfig config);
  ~ActorSystem();
  ActorSystem(const ActorSystem&) = delete;
  ActorSystem& operator=(const ActorSystem&) = delete;

  template <typename Kind>
  void register_kind() {
    register_kind(KindInfo{std::string(Kind::kKind), Kind::policy(),
                           [] { return std::make_unique<TypedInstance<Kind>>(); }});
  }
  void register_kind(KindInfo info);

  // A transient reference: cheap, holds no activation.
  template <typename Kind>
  ActorRef<Kind> get(std::string id) {
    return ActorRef<Kind>(*this, ActorKey{std::string(Kind::kKind), std::move(id)});
  }

  // The untyped call path behind ActorRef::call.
  Task<Result<Payload>> call(ActorKey key, Payload request, Duration timeout);

  // Deactivates every activation gracefully (final snapshots, lease releases).
  Task<void> deactivate_all();

  // Stops everything at once without I/O (process teardown). Idempotent.
  void shutdown();

  size_t active_count() const { return activations_.size(); }
  // This node's directory entry for `key` (it has one only for names it owns).
  std::optional<rpc::NodeId> directory_entry(const ActorKey& key) const {
    auto it = directory_.find(key);
    if (it == directory_.end()) return std::nullopt;
    return it->second;
  }

  // Health from the store calls this node made (runtime/metrics/health_evaluator.h rules).
  persistence::Health health() const { return store_health_.evaluate(); }
  // Every counter and latency histogram, for /metrics and reports.
  const metrics::MetricsRegistry& export_metrics();
  std::vector<ActorKey> active_keys() const;
  const ActorSystemMetrics& metrics() const { return metrics_; }
  const ActorSystemConfig& config() const { return config_; }

  // --- For Activation.
  env::Env& env() { return env_; }
  persistence::PersistenceProvider& provider() { return provider_; }
  ActorSystemMetrics& mutable_metrics() { return metrics_; }
  // One call to the store: its latency histogram and the health window.
  void observe_store_call(std::string_view operation, bool ok, Duration latency);
  void observe_integrity_failure() { store_health_.record_integrity_failure(); }
  // The activation has stopped; remove it once none of its code is on the stack.
  void retire(Activation* activation);

 private:
  struct LocalRoute;
  Task<Result<Bytes>> on_route(rpc::NodeId from, ByteView body);
  Task<Result<Bytes>> on_invoke(rpc::NodeId from, ByteView body);
  Task<Result<Bytes>> on_register(rpc::NodeId from, ByteView body);
  Task<Result<Outcome>> route_here(ActorKey key, Payload request, Duration budget);
  Task<void> run_route(std::shared_ptr<LocalRoute> local);
  Task<Outcome> route(ActorKey key, Payload request, Duration budget);
  // Moves `request` into the activation only once nothing can send it elsewhere instead.
  Task<Outcome> invoke_local(ActorKey key, Payload& request);
  Task<void> register_with_owner(ActorKey key);
  std::optional<rpc::NodeId> owner_of(const ActorKey& key) const;
  rpc::NodeId place(const ActorKey& key);
  // Drops the directory entry of `key` if it still points at `node` (recorded: the hand-off
  // checker must know the owner forgot it on purpose).
  void forget(const ActorKey& key, rpc::NodeId node, std::string_view reason);
  // Records a directory change of `key` (the hand-off checker's evidence).
  void record_forget(const ActorKey& key, rpc::NodeId node, std::string_view reason);
  void on_view_change(const cluster::MembershipView& view);
  std::string next_holder();

  env::Env& env_;
  rpc::RpcNode& rpc_;
  cluster::Membership& membership_;
  persistence::PersistenceProvider& provider_;
  const ActorSystemConfig config_;
  std::map<std::string, KindInfo> kinds_;
  std::map<ActorKey, std::unique_ptr<Activation>> activations_;
  std::vector<std::unique_ptr<Activation>> retired_;
  std::map<ActorKey, rpc::NodeId> directory_;  // entries for names this node owns
  std::unique_ptr<cluster::PlacementRing> ring_;
  std::vector<rpc::NodeId> live_nodes_;
  uint64_t next_activation_seq_ = 1;
  ActorSystemMetrics metrics_;
  metrics::MetricsRegistry registry_;
  metrics::HealthEvaluator store_health_;
  bool shut_down_ = false;
  TaskScope scope_;  // background work (registrations, deactivations); destroyed first
};

// A typed, transient reference to an actor.
template <typename Kind>
class ActorRef {
 public:
  ActorRef(ActorSystem& system, ActorKey key) : system_(&system), key_(std::move(key)) {}
  const ActorKey& key() const { return key_; }

  // The task copies what it needs: it may outlive this (often temporary) reference.
  Task<Result<typename Kind::Response>> call(typename Kind::Request request, Duration timeout) const {
    return call_on(system_, key_, std::move(request), timeout);
  }

 private:
  static Task<Result<typename Kind::Response>> call_on(ActorSystem* system, ActorKey key,
                                                       typename Kind::Request request, Duration timeout) {
    // Arguments built before the co_await: GCC 12 destroys class temporaries inside one twice.
    Payload typed = Payload::typed(std::move(request));
    Result<Payload> reply = co_await system->call(std::move(key), std::move(typed), timeout);
    if (!reply.ok()) co_return reply.error();
    Result<typename Kind::Response> response = std::move(*reply).template take<typename Kind::Response>("response");
    if (!response.ok()) co_return Error{ErrorCode::kCorrupt, "malformed response: " + response.error().message};
    co_return std::move(*response);
  }

  ActorSystem* system_;
  ActorKey key_;
};

}  // namespace orbit::actor
