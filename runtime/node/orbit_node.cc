#include "runtime/node/orbit_node.h"

#include <cassert>

namespace orbit::node {

Result<void> NodeConfig::validate() const {
  if (auto r = actors.validate(); !r) return r;
  if (auto r = membership.validate(); !r) return r;
  if (auto r = store.validate(); !r) return r;
  return {};
}

namespace {
cluster::Member member_of(const env::Env& env, uint64_t incarnation) {
  return cluster::Member{env.node, "node-" + std::to_string(env.node), incarnation};
}
}  // namespace

OrbitNode::OrbitNode(env::Env env, const NodeConfig& config, uint64_t incarnation)
    : env_(env),
      rpc_(env_),
      membership_(rpc_, config.membership, member_of(env_, incarnation)),
      provider_(rpc_, config.store),
      actors_(env_, rpc_, membership_, provider_, config.actors) {
  assert(config.validate().ok());
  membership_.start();
}

OrbitNode::~OrbitNode() {
  rpc_.shutdown();
  actors_.shutdown();
}

StorageNode::StorageNode(env::Env env, std::unique_ptr<persistence::PersistenceProvider> provider)
    : env_(env), rpc_(env_), provider_(std::move(provider)), server_(rpc_, *provider_) {}

StorageNode::~StorageNode() { rpc_.shutdown(); }

}  // namespace orbit::node
