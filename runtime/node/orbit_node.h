// OrbitNode: one cluster member, composed from the seam. The same composition runs in the
// simulator (over a World node's env) and in real mode (over runtime/real). StorageNode:
// the orbit-store role, serving a PersistenceProvider over the transport.
//
// Teardown order matters: served requests (in the RpcNode's scope) hold frames inside the
// actor system, so the RpcNode stops serving first, then the actor system stops, then the
// members are destroyed in reverse order of declaration.
#pragma once

#include <cstdint>
#include <memory>

#include "runtime/actor/actor_system.h"
#include "runtime/actor/config.h"
#include "runtime/cluster/membership.h"
#include "runtime/env/env.h"
#include "runtime/persistence/provider.h"
#include "runtime/persistence/remote_provider.h"
#include "runtime/persistence/storage_server.h"
#include "runtime/rpc/rpc_node.h"

namespace orbit::node {

struct NodeConfig {
  actor::ActorSystemConfig actors;
  cluster::MembershipConfig membership;
  persistence::RemoteProviderConfig store;  // where persistence lives (the storage node)

  Result<void> validate() const;
};

class OrbitNode {
 public:
  // `incarnation` strictly increases across restarts of this node (the boot count).
  OrbitNode(env::Env env, const NodeConfig& config, uint64_t incarnation);
  ~OrbitNode();
  OrbitNode(const OrbitNode&) = delete;
  OrbitNode& operator=(const OrbitNode&) = delete;

  actor::ActorSystem& actors() { return actors_; }
  cluster::Membership& membership() { return membership_; }
  rpc::RpcNode& rpc() { return rpc_; }
  persistence::RemoteProvider& provider() { return provider_; }
  env::Env& env() { return env_; }

 private:
  env::Env env_;
  rpc::RpcNode rpc_;
  cluster::Membership membership_;
  persistence::RemoteProvider provider_;
  actor::ActorSystem actors_;
};

class StorageNode {
 public:
  StorageNode(env::Env env, std::unique_ptr<persistence::PersistenceProvider> provider);
  ~StorageNode();
  StorageNode(const StorageNode&) = delete;
  StorageNode& operator=(const StorageNode&) = delete;

  persistence::PersistenceProvider& provider() { return *provider_; }
  rpc::RpcNode& rpc() { return rpc_; }

 private:
  env::Env env_;
  rpc::RpcNode rpc_;
  std::unique_ptr<persistence::PersistenceProvider> provider_;
  persistence::StorageServer server_;
};

}  // namespace orbit::node
