#include "runtime/cluster/placement_ring.h"

#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <stdexcept>
#include <string>

namespace orbit::cluster {

uint64_t PlacementRing::hash(std::string_view bytes) {
  return static_cast<uint64_t>(XXH64(bytes.data(), bytes.size(), /*seed=*/0));
}

uint64_t PlacementRing::vnode_hash(const Member& member, size_t vnode_index) {
  std::string s = member.name;
  s += ':';
  s += std::to_string(member.incarnation);
  s += '#';
  s += std::to_string(vnode_index);
  return hash(s);
}

uint64_t PlacementRing::key_hash(std::string_view kind, std::string_view id) {
  std::string s;
  s.reserve(kind.size() + 1 + id.size());
  s.append(kind);
  s += '/';
  s.append(id);
  return hash(s);
}

PlacementRing::PlacementRing(std::vector<Member> members, size_t vnodes_per_member)
    : vnodes_per_member_(vnodes_per_member) {
  if (vnodes_per_member == 0) throw std::invalid_argument("PlacementRing: vnodes_per_member must be >= 1");
  // Canonical member order first, so nothing below depends on the caller's order. For one
  // id, the highest incarnation sorts first and is the one kept: older ones are dead.
  std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
    if (a.id != b.id) return a.id < b.id;
    if (a.incarnation != b.incarnation) return a.incarnation > b.incarnation;
    return a.name < b.name;
  });
  for (Member& m : members) {
    if (!members_.empty() && members_.back().id == m.id) continue;
    members_.push_back(std::move(m));
  }

  points_.reserve(members_.size() * vnodes_per_member_);
  for (size_t i = 0; i < members_.size(); ++i) {
    for (size_t v = 0; v < vnodes_per_member_; ++v) {
      points_.push_back(Point{vnode_hash(members_[i], v), static_cast<uint32_t>(i), static_cast<uint32_t>(v)});
    }
  }
  // members_ is sorted by id, so member_index order is member id order: the specified
  // tie-break for equal hashes.
  std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    if (a.member_index != b.member_index) return a.member_index < b.member_index;
    return a.vnode_index < b.vnode_index;
  });
}

std::optional<Member> PlacementRing::owner(std::string_view kind, std::string_view id) const {
  if (points_.empty()) return std::nullopt;
  const uint64_t key = key_hash(kind, id);
  auto it = std::lower_bound(points_.begin(), points_.end(), key,
                             [](const Point& p, uint64_t k) { return p.hash < k; });
  if (it == points_.end()) it = points_.begin();  // wrap around the ring
  assert(it->member_index < members_.size());
  return members_[it->member_index];
}

}  // namespace orbit::cluster
