#include "runtime/cluster/placement_ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace orbit::cluster {
namespace {

std::vector<Member> members(uint32_t n, uint64_t incarnation = 1) {
  std::vector<Member> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back(Member{i, "node-" + std::to_string(i), incarnation});
  return out;
}

constexpr int kKeys = 10'000;
std::string key(int i) { return "key-" + std::to_string(i); }

// Owner id of every key.
std::vector<NodeId> owners(const PlacementRing& ring) {
  std::vector<NodeId> out;
  out.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) out.push_back(ring.owner("counter", key(i))->id);
  return out;
}

// The hash is part of the wire contract: a real cluster and the simulator must place alike.
// These values may never change. The first two are xxHash's published XXH64 test vectors
// (seed 0), which pin the library itself.
TEST(PlacementRingTest, HashIsPinned) {
  EXPECT_EQ(PlacementRing::hash(""), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(PlacementRing::hash("abc"), 0x44BC2CF5AD770999ull);
  EXPECT_EQ(PlacementRing::vnode_hash(Member{0, "node-0", 1}, 0), 0x2DF8A68581436492ull);
  EXPECT_EQ(PlacementRing::vnode_hash(Member{3, "node-3", 2}, 63), 0xBCF73F306A146D34ull);
  EXPECT_EQ(PlacementRing::key_hash("counter", "42"), 0x57A06036EDCF3EFAull);
  EXPECT_EQ(PlacementRing::key_hash("account", "alice"), 0xDD12EBAB3832F5F1ull);
  // The member id is not hashed: only the name and the incarnation are.
  EXPECT_EQ(PlacementRing::vnode_hash(Member{9, "node-0", 1}, 0), 0x2DF8A68581436492ull);
}

TEST(PlacementRingTest, OwnerIsTheFirstPointClockwise) {
  const std::vector<Member> ms = members(3);
  PlacementRing ring(ms, 4);
  // Recompute by brute force from the specification.
  for (int i = 0; i < 500; ++i) {
    const uint64_t k = PlacementRing::key_hash("counter", key(i));
    uint64_t best_hash = 0;
    NodeId best = 0;
    bool found = false;
    uint64_t min_hash = UINT64_MAX;
    NodeId min_owner = 0;
    for (const Member& m : ms) {
      for (size_t v = 0; v < 4; ++v) {
        const uint64_t h = PlacementRing::vnode_hash(m, v);
        if (h < min_hash) {
          min_hash = h;
          min_owner = m.id;
        }
        if (h >= k && (!found || h < best_hash)) {
          found = true;
          best_hash = h;
          best = m.id;
        }
      }
    }
    EXPECT_EQ(ring.owner("counter", key(i))->id, found ? best : min_owner) << key(i);
  }
}

TEST(PlacementRingTest, EmptyRingHasNoOwner) {
  PlacementRing ring({});
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_TRUE(ring.empty());
  EXPECT_FALSE(ring.owner("counter", "1").has_value());
}

TEST(PlacementRingTest, ZeroVnodesIsAConfigurationError) {
  EXPECT_THROW(PlacementRing(members(2), 0), std::invalid_argument);
}

TEST(PlacementRingTest, SingleMemberOwnsEverything) {
  PlacementRing ring(members(1));
  EXPECT_EQ(ring.size(), 1u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ring.owner("counter", key(i))->name, "node-0");
}

TEST(PlacementRingTest, BalancedAcrossFiveMembers) {
  PlacementRing ring(members(5));
  EXPECT_EQ(ring.size(), 5u);
  std::map<NodeId, int> counts;
  for (NodeId id : owners(ring)) ++counts[id];
  ASSERT_EQ(counts.size(), 5u);
  for (const auto& [id, count] : counts) {
    EXPECT_GE(count, kKeys / 10) << "node-" << id;
    EXPECT_LE(count, kKeys * 3 / 10) << "node-" << id;
  }
}

TEST(PlacementRingTest, AddingAMemberMovesAboutASixthAndOnlyToIt) {
  const std::vector<NodeId> before = owners(PlacementRing(members(5)));
  const std::vector<NodeId> after = owners(PlacementRing(members(6)));
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] == after[i]) continue;
    ++moved;
    EXPECT_EQ(after[i], 5u) << key(i) << " moved between old members";
  }
  // 1/6 of the keys is 1667; allow the spread of 64 vnodes.
  EXPECT_GE(moved, kKeys / 10);
  EXPECT_LE(moved, kKeys / 4);
}

TEST(PlacementRingTest, RemovingAMemberMovesOnlyItsKeys) {
  std::vector<Member> five = members(5);
  const std::vector<NodeId> before = owners(PlacementRing(five));
  five.erase(five.begin() + 2);
  const std::vector<NodeId> after = owners(PlacementRing(five));
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] == 2u) {
      EXPECT_NE(after[i], 2u);
      ++moved;
    } else {
      EXPECT_EQ(after[i], before[i]) << key(i) << " moved although its owner stayed";
    }
  }
  EXPECT_GT(moved, 0);
}

TEST(PlacementRingTest, InputOrderDoesNotMatter) {
  std::vector<Member> forward = members(5);
  std::vector<Member> shuffled = {forward[3], forward[0], forward[4], forward[2], forward[1]};
  std::vector<Member> reversed(forward.rbegin(), forward.rend());
  const std::vector<NodeId> a = owners(PlacementRing(forward));
  EXPECT_EQ(a, owners(PlacementRing(shuffled)));
  EXPECT_EQ(a, owners(PlacementRing(reversed)));
  EXPECT_EQ(PlacementRing(shuffled).members(), forward);
}

TEST(PlacementRingTest, OneIdKeepsItsHighestIncarnation) {
  std::vector<Member> ms = members(3);
  ms.push_back(Member{1, "node-1", 2});
  PlacementRing ring(ms);
  ASSERT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.members()[1].incarnation, 2u);
}

TEST(PlacementRingTest, ARestartMovesOnlyTheRestartedMembersKeys) {
  std::vector<Member> ms = members(5);
  const std::vector<NodeId> before = owners(PlacementRing(ms));
  ms[1].incarnation = 2;
  const std::vector<NodeId> after = owners(PlacementRing(ms));
  int changed = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] == after[i]) continue;
    ++changed;
    // A key moves only off the restarted member or onto it.
    EXPECT_TRUE(before[i] == 1u || after[i] == 1u) << key(i);
  }
  EXPECT_GT(changed, 0) << "the incarnation is part of the vnode hash";
}

}  // namespace
}  // namespace orbit::cluster
