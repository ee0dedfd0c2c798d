// Member: one incarnation of one cluster node, as membership and placement name it.
//
// `id` is the node's transport address, `name` is its stable human-readable name
// ("node-3") and `incarnation` distinguishes its restarts (the caller passes the boot count,
// or anything else that strictly increases across restarts of the same node). A restarted
// node is a different member: it replaces its older incarnation in every view, and it owns
// different points of the placement ring (the ring hashes name and incarnation).
#pragma once

#include <cstdint>
#include <string>

#include "runtime/env/transport.h"

namespace orbit::cluster {

using env::NodeId;

struct Member {
  NodeId id = 0;
  std::string name;
  uint64_t incarnation = 0;

  friend bool operator==(const Member&, const Member&) = default;
};

// "node-3@2": the compact form used in histories and test messages.
std::string to_string(const Member& member);

}  // namespace orbit::cluster
