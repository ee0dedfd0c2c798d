#include "runtime/node/node_config.h"

namespace orbit::node {

Result<NodeConfig> to_node_config(const config::OrbitConfig& in) {
  NodeConfig out;
  const auto& am = in.actor_management;
  // [actor_management] is one struct on both sides: actor::ActorSystemConfig derives from it.
  static_cast<config::ActorManagementConfig&>(out.actors) = am;
  switch (in.placement.policy) {
    case config::PlacementPolicy::kLocal: out.actors.placement = actor::PlacementPolicy::kLocal; break;
    case config::PlacementPolicy::kLeastLoaded: out.actors.placement = actor::PlacementPolicy::kLeastLoaded; break;
    case config::PlacementPolicy::kRandom: out.actors.placement = actor::PlacementPolicy::kRandom; break;
  }
  out.actors.vnodes_per_member = in.placement.vnodes_per_member;

  out.membership.seeds = in.membership.seeds;
  out.membership.heartbeat_interval = in.membership.heartbeat_interval;
  out.membership.suspect_after = in.membership.suspect_after;
  out.membership.remove_after = in.membership.remove_after;

  if (in.persistence.provider != config::ProviderKind::kRemote || !in.persistence.remote.store_node) {
    return Error{ErrorCode::kInvalidArgument,
                 "persistence.provider must be \"remote\" with persistence.remote.store_node set for a cluster "
                 "member (the other providers run inside the storage node)"};
  }
  out.store.store = *in.persistence.remote.store_node;
  out.store.call_timeout = in.persistence.remote.call_timeout;
  out.store.retained_versions = am.snapshot_retained_versions;
  if (auto r = out.validate(); !r) return r.error();
  return out;
}

}  // namespace orbit::node
