#include "runtime/env/random.h"

#include <gtest/gtest.h>

#include <set>

namespace orbit::env {
namespace {

TEST(RandomTest, SameSeedSameSequence) {
  Random a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
}

TEST(RandomTest, SpecifiedOutputIsStable) {
  // Pinned values: xoshiro256** seeded by SplitMix64. A change here changes every trace
  // hash ever recorded, so it must be deliberate.
  Random r(0);
  EXPECT_EQ(r.next_u64(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(r.next_u64(), 0xbf6e1f784956452aULL);
}

TEST(RandomTest, NodesGetIndependentStreams) {
  Random a = Random::for_node(7, 1), b = Random::for_node(7, 2), c = Random::for_node(8, 1);
  const uint64_t x = a.next_u64(), y = b.next_u64(), z = c.next_u64();
  EXPECT_NE(x, y);
  EXPECT_NE(x, z);
  EXPECT_EQ(Random::for_node(7, 1).next_u64(), x);
}

TEST(RandomTest, BelowStaysInRangeAndCoversIt) {
  Random r(1);
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = r.below(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(RandomTest, BetweenIsInclusive) {
  Random r(2);
  bool lo = false, hi = false;
  for (int i = 0; i < 10000; ++i) {
    const int64_t v = r.between(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    lo |= v == -3;
    hi |= v == 3;
  }
  EXPECT_TRUE(lo && hi);
  EXPECT_EQ(r.between(5, 5), 5);
}

TEST(RandomTest, ChanceRespectsBoundsAndRate) {
  Random r(3);
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += r.chance(0.25);
  EXPECT_NEAR(hits / 100000.0, 0.25, 0.01);
  EXPECT_FALSE(r.chance(0.0));
  EXPECT_TRUE(r.chance(1.0));
}

TEST(RandomTest, UnitInHalfOpenInterval) {
  Random r(4);
  for (int i = 0; i < 10000; ++i) {
    const double u = r.unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace orbit::env

namespace orbit {
namespace {
TEST(BuildTest, AssertionsAreOnInEveryConfiguration) {
#ifdef NDEBUG
  FAIL() << "NDEBUG is defined: assertions are off, but Orbit keeps them on in optimized builds";
#endif
}
TEST(RandomTest, SplitMixMatchesTheReference) {
  uint64_t state = 0;
  EXPECT_EQ(env::splitmix64(state), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(env::splitmix64(state), 0x6e789e6aa1b965f4ULL);
}
}  // namespace
}  // namespace orbit
