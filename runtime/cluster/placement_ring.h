// PlacementRing: a consistent-hash ring over cluster members that picks the identity owner
// of an actor name (kind, id). It is the first step of placement (DESIGN.md "Virtual
// actors"): the owner places the activation and keeps the directory entry.
//
// The hash is specified, not std::hash, so the simulator and a real cluster (and every
// node of it, whatever its standard library) place the same name on the same member:
//
//   - hash(s) = XXH64 (xxHash, 64-bit) of the bytes of s, seed 0.
//   - Each member m contributes `vnodes_per_member` points (virtual nodes), numbered
//     v = 0 .. vnodes_per_member-1, at
//         hash(m.name + ":" + decimal(m.incarnation) + "#" + decimal(v))
//     e.g. "node-3:2#0" .. "node-3:2#63" (decimal without sign, padding or separators).
//   - An actor name hashes at  hash(kind + "/" + id),  e.g. "counter/42".
//   - The owner is the member of the first point clockwise from the key: the point with the
//     smallest hash >= the key hash, wrapping to the smallest point overall when none is.
//   - Two points with equal hashes (vanishingly rare) are ordered by member id, then by
//     vnode index, so the winner does not depend on the order members were given in.
//   - Members with the same id are one node: only the highest incarnation is kept.
//
// Pinned values in placement_ring_test.cc keep this function from changing silently.
// Because a restarted member hashes with its new incarnation, a restart moves that
// member's names (roughly 1/n of all names), like a leave followed by a join.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "runtime/cluster/member.h"

namespace orbit::cluster {

class PlacementRing {
 public:
  static constexpr size_t kDefaultVnodesPerMember = 64;

  // Builds the ring. The input order of `members` does not matter. vnodes_per_member must be
  // at least 1 (0 is a configuration error and throws std::invalid_argument).
  explicit PlacementRing(std::vector<Member> members, size_t vnodes_per_member = kDefaultVnodesPerMember);

  // The identity owner of actor (kind, id); nullopt when the ring has no members.
  std::optional<Member> owner(std::string_view kind, std::string_view id) const;

  // Number of distinct members (not points).
  size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }
  size_t vnodes_per_member() const { return vnodes_per_member_; }
  // The members, sorted by id (after de-duplication by id).
  const std::vector<Member>& members() const { return members_; }

  // The specified hashes, exposed for tests and for tools that explain a placement.
  static uint64_t hash(std::string_view bytes);
  static uint64_t vnode_hash(const Member& member, size_t vnode_index);
  static uint64_t key_hash(std::string_view kind, std::string_view id);

 private:
  struct Point {
    uint64_t hash;
    uint32_t member_index;  // into members_
    uint32_t vnode_index;
  };

  std::vector<Member> members_;  // sorted by id
  std::vector<Point> points_;    // sorted by (hash, member id, vnode index)
  size_t vnodes_per_member_;
};

}  // namespace orbit::cluster
