// RemoteStoreWorld (test only): a simulated cluster of one storage node, serving a provider
// through a StorageServer, and one or more client nodes, each with an RpcNode and a
// RemoteProvider pointed at the store. A test runs coroutines on a node and drives the
// world until they finish, and injects faults (crash, pause, partition, duplication) between
// steps through world(). The conformance suite instantiates RemoteProvider over it.
//
// Node ids: the store is node 0 (kStore); client i is node 1 + i.
// Lifetimes: a coroutine started on a node lives in a scope of that node's process, so a
// crash of the node destroys it (the Pending never completes). A coroutine still running
// when wait() gives up is destroyed then, so it never touches the caller's locals later.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/env/task.h"
#include "runtime/env/task_scope.h"
#include "runtime/env/when.h"
#include "runtime/persistence/provider.h"
#include "runtime/persistence/remote_provider.h"
#include "runtime/persistence/storage_server.h"
#include "runtime/rpc/rpc_node.h"
#include "sim/world.h"

namespace orbit::persistence::testing {

// Builds the store node's provider at every boot (a crash destroys it; a durable provider
// recovers from ctx.disk()).
using StoreProviderFactory = std::function<std::unique_ptr<PersistenceProvider>(sim::NodeContext&)>;

struct RemoteStoreWorldOptions {
  uint64_t seed = 1;
  uint32_t clients = 1;
  // The world's settings; `nodes` is replaced by 1 + clients.
  sim::WorldConfig world;
  // Every client's RemoteProvider settings; `store` is replaced by the store's node id.
  RemoteProviderConfig remote;
  StoreProviderFactory make_store_provider;
};

class RemoteStoreWorld {
 public:
  static constexpr env::NodeId kStore = 0;

  // Runs coroutines for the test; a crash of the node destroys them with the process.
  class ProcessBase : public sim::NodeProcess {
   public:
    explicit ProcessBase(sim::NodeContext& ctx) : env(ctx.env()) {}
    env::Env env;
    std::map<uint64_t, std::unique_ptr<TaskScope>> runs;
  };

  class StoreProcess final : public ProcessBase {
   public:
    StoreProcess(sim::NodeContext& ctx, std::unique_ptr<PersistenceProvider> p, StoreProcess** slot)
        : ProcessBase(ctx), provider(std::move(p)), rpc(env), server(rpc, *provider), slot_(slot) {}
    ~StoreProcess() override {
      runs.clear();
      rpc.shutdown();  // served requests use the server and the provider
      *slot_ = nullptr;
    }
    std::unique_ptr<PersistenceProvider> provider;
    rpc::RpcNode rpc;
    StorageServer server;

   private:
    StoreProcess** slot_;
  };

  class ClientProcess final : public ProcessBase {
   public:
    ClientProcess(sim::NodeContext& ctx, const RemoteProviderConfig& config, ClientProcess** slot)
        : ProcessBase(ctx), rpc(env), provider(rpc, config), slot_(slot) {}
    ~ClientProcess() override {
      runs.clear();  // the callers of the provider go first
      rpc.shutdown();
      *slot_ = nullptr;
    }
    rpc::RpcNode rpc;
    RemoteProvider provider;

   private:
    ClientProcess** slot_;
  };

  // A coroutine started on a node; its result once it has finished.
  template <typename T>
  struct Pending {
    env::NodeId node = 0;
    uint64_t run_id = 0;
    std::shared_ptr<std::optional<NonVoid<T>>> out;
    bool done() const { return out && out->has_value(); }
  };

  explicit RemoteStoreWorld(RemoteStoreWorldOptions options) : options_(std::move(options)) {
    if (!options_.make_store_provider) throw std::invalid_argument("RemoteStoreWorld: make_store_provider is required");
    if (options_.clients == 0) throw std::invalid_argument("RemoteStoreWorld: at least one client");
    options_.world.nodes = 1 + options_.clients;
    options_.remote.store = kStore;
    auto world = sim::World::create(options_.seed, options_.world);
    if (!world) throw std::invalid_argument(world.error().message);
    world_ = std::move(*world);
    clients_.assign(options_.clients, nullptr);
    executors_.assign(1 + options_.clients, nullptr);
    (void)world_->set_boot(kStore, [this](sim::NodeContext& ctx) -> std::unique_ptr<sim::NodeProcess> {
      executors_[kStore] = &ctx.executor();
      auto p = std::make_unique<StoreProcess>(ctx, options_.make_store_provider(ctx), &store_);
      store_ = p.get();
      return p;
    });
    for (uint32_t i = 0; i < options_.clients; ++i) {
      (void)world_->set_boot(client_node(i), [this, i](sim::NodeContext& ctx) -> std::unique_ptr<sim::NodeProcess> {
        executors_[client_node(i)] = &ctx.executor();
        auto p = std::make_unique<ClientProcess>(ctx, options_.remote, &clients_[i]);
        clients_[i] = p.get();
        return p;
      });
    }
    world_->start();
    world_->run_for(1ms);
  }

  ~RemoteStoreWorld() { world_.reset(); }  // processes clear their slots on the way out
  RemoteStoreWorld(const RemoteStoreWorld&) = delete;
  RemoteStoreWorld& operator=(const RemoteStoreWorld&) = delete;

  sim::World& world() { return *world_; }
  static env::NodeId client_node(uint32_t i) { return 1 + i; }
  // The live processes; nullptr while the node is down.
  StoreProcess* store() { return store_; }
  ClientProcess* client(uint32_t i = 0) { return clients_.at(i); }

  // Starts fn(ClientProcess&) -> Task<T> on client i's executor (as the node's own event).
  template <typename Fn>
  auto start_on_client(uint32_t i, Fn fn) {
    using T = typename std::invoke_result_t<Fn&, ClientProcess&>::value_type;
    return start<T, ClientProcess>(client_node(i), std::move(fn));
  }

  // Starts fn(StoreProcess&) -> Task<T> on the store's executor.
  template <typename Fn>
  auto start_on_store(Fn fn) {
    using T = typename std::invoke_result_t<Fn&, StoreProcess&>::value_type;
    return start<T, StoreProcess>(kStore, std::move(fn));
  }

  // Runs the world until `pending` finishes or `limit` of true time has passed. On giving
  // up, destroys the coroutine and returns nullopt.
  template <typename T>
  std::optional<NonVoid<T>> wait(Pending<T>& pending, Duration limit = 60s) {
    const int64_t end = world_->now_ns() + limit.count();
    while (!pending.done() && world_->step(end)) {
    }
    if (ProcessBase* p = process(pending.node)) p->runs.erase(pending.run_id);
    if (!pending.done()) return std::nullopt;
    return std::move(**pending.out);
  }

  // Runs fn(RemoteProvider&) on client 0 to completion (nullopt if it did not finish).
  template <typename Fn>
  auto run(Fn fn, Duration limit = 60s) {
    auto pending = start_on_client(0, [fn = std::move(fn)](ClientProcess& p) mutable { return fn(p.provider); });
    return wait(pending, limit);
  }

  // Runs fn(PersistenceProvider&) on the store node, against its provider directly.
  template <typename Fn>
  auto run_on_store(Fn fn, Duration limit = 60s) {
    auto pending = start_on_store([fn = std::move(fn)](StoreProcess& p) mutable { return fn(*p.provider); });
    return wait(pending, limit);
  }

 private:
  ProcessBase* process(env::NodeId node) {
    if (node == kStore) return store_;
    return clients_.at(node - 1);
  }

  template <typename T, typename Target, typename Fn>
  static Task<void> drive(Fn fn, Target* target, std::shared_ptr<std::optional<NonVoid<T>>> out) {
    // `fn` is a parameter, so the lambda object (and its captures) lives in this frame for
    // as long as the coroutine it returns.
    if constexpr (std::is_void_v<T>) {
      co_await fn(*target);
      out->emplace();
    } else {
      out->emplace(co_await fn(*target));
    }
  }

  template <typename T, typename Target, typename Fn>
  Pending<T> start(env::NodeId node, Fn fn) {
    Pending<T> pending{node, next_run_id_++, std::make_shared<std::optional<NonVoid<T>>>()};
    env::Executor* executor = executors_.at(node);
    if (executor == nullptr) return pending;  // never booted
    // Posted to the node's executor: it runs as the node's event, after a pause ends, and
    // never after a crash (the world drops events of a dead incarnation). `fn` may be
    // move-only (it may own a Task); std::function needs a copyable callback, so it travels
    // in a shared box.
    auto box = std::make_shared<Fn>(std::move(fn));
    executor->post([this, node, id = pending.run_id, out = pending.out, box] {
      auto* target = static_cast<Target*>(process(node));
      if (target == nullptr) return;
      auto scope = std::make_unique<TaskScope>();
      TaskScope& s = *scope;
      target->runs.emplace(id, std::move(scope));
      s.spawn(drive<T, Target>(std::move(*box), target, out));
    });
    return pending;
  }

  RemoteStoreWorldOptions options_;
  StoreProcess* store_ = nullptr;
  std::vector<ClientProcess*> clients_;
  std::vector<env::Executor*> executors_;  // per node; the node's "hardware" outlives crashes
  std::unique_ptr<sim::World> world_;      // last: destroyed first
  uint64_t next_run_id_ = 1;
};

// The conformance-suite harness (provider_conformance.h) for RemoteProvider: a fresh
// RemoteStoreWorld per test whose store runs `Store` (built from the store node's clock with
// K = 3), with the client's K learned from the store before the first test call.
template <typename Store>
class RemoteProviderHarness {
 public:
  RemoteProviderHarness() : world_(options()) {
    auto learned = run(world_.client()->provider.remote_health());
    if (!learned.ok()) throw std::runtime_error("RemoteProviderHarness: " + learned.error().message);
  }

  PersistenceProvider& provider() { return world_.client()->provider; }
  // The store's clock runs at true rate (no drift configured), so true time is store time.
  void advance(Duration d) { world_.world().run_for(d); }
  // Runs `task` on the client node; kTimeout if it has not finished after a minute of
  // simulated time (it is then destroyed).
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    auto pending = world_.start_on_client(
        0, [t = std::move(task)](RemoteStoreWorld::ClientProcess&) mutable { return std::move(t); });
    auto out = world_.wait(pending, 60s);
    if (!out) return make_error(ErrorCode::kTimeout, "RemoteProviderHarness: the call did not complete in 60 s");
    return std::move(*out);
  }

  RemoteStoreWorld& world() { return world_; }

 private:
  static RemoteStoreWorldOptions options() {
    RemoteStoreWorldOptions o;
    o.make_store_provider = [](sim::NodeContext& ctx) -> std::unique_ptr<PersistenceProvider> {
      return std::make_unique<Store>(ctx.clock(), 3);
    };
    return o;
  }

  RemoteStoreWorld world_;
};

}  // namespace orbit::persistence::testing
