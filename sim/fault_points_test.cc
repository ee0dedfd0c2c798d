#include "sim/fault_points.h"

#include <gtest/gtest.h>

namespace orbit::sim {
namespace {

TEST(FaultPointsTest, InactiveByDefault) {
  FaultPointRegistry r(1);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(r.fire("x"));
  EXPECT_EQ(r.sites().at("x").reached, 100u);
  EXPECT_EQ(r.sites().at("x").fired, 0u);
}

TEST(FaultPointsTest, ForcedSiteFiresAtItsProbability) {
  FaultPointRegistry r(1);
  ASSERT_TRUE(r.force("always", 1.0).ok());
  ASSERT_TRUE(r.force("half", 0.5).ok());
  int half = 0;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(r.fire("always"));
    half += r.fire("half");
  }
  EXPECT_NEAR(half, 500, 60);
  EXPECT_FALSE(r.force("bad", 1.5).ok());
}

TEST(FaultPointsTest, SwarmEnablesSomeSitesOncePerRun) {
  FaultPointRegistry r(7);
  ASSERT_TRUE(r.set_defaults({true, 0.5, 1.0}).ok());
  int enabled = 0;
  for (int s = 0; s < 200; ++s) {
    const std::string site = "site" + std::to_string(s);
    const bool first = r.fire(site);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(r.fire(site), first) << "decided once per run";
    enabled += first;
  }
  EXPECT_NEAR(enabled, 100, 25);
}

TEST(FaultPointsTest, DisableAllSilencesEverySite) {
  FaultPointRegistry r(5);
  ASSERT_TRUE(r.force("a", 1.0).ok());
  ASSERT_TRUE(r.set_defaults({true, 1.0, 1.0}).ok());
  EXPECT_TRUE(r.fire("a"));
  r.disable_all();
  EXPECT_FALSE(r.fire("a"));
  EXPECT_FALSE(r.fire("new_site"));
  EXPECT_EQ(r.sites().at("a").fired, 1u);
  EXPECT_TRUE(r.sites().at("a").enabled) << "still counted as enabled for coverage";
}

TEST(FaultPointsTest, BeyondModelSitesFireOnlyWhenForced) {
  FaultPointRegistry r(9);
  ASSERT_TRUE(r.set_defaults({true, 1.0, 1.0}).ok());
  EXPECT_TRUE(r.fire("ordinary"));
  EXPECT_FALSE(r.fire("beyond.corrupt"));
  ASSERT_TRUE(r.force("beyond.other", 1.0).ok());
  EXPECT_TRUE(r.fire("beyond.other"));
}

TEST(FaultPointsTest, DelayIsZeroUnlessFiredAndBounded) {
  FaultPointRegistry r(3);
  EXPECT_EQ(r.delay("d", 1s), Duration::zero());
  ASSERT_TRUE(r.force("d", 1.0).ok());
  for (int i = 0; i < 100; ++i) {
    const Duration d = r.delay("d", 1s);
    EXPECT_GE(d, Duration::zero());
    EXPECT_LE(d, 1s);
  }
}

TEST(FaultPointsTest, SameSeedSameDecisions) {
  FaultPointRegistry a(11), b(11);
  ASSERT_TRUE(a.set_defaults({true, 0.5, 0.5}).ok());
  ASSERT_TRUE(b.set_defaults({true, 0.5, 0.5}).ok());
  for (int i = 0; i < 500; ++i) {
    const std::string site = "s" + std::to_string(i % 17);
    ASSERT_EQ(a.fire(site), b.fire(site));
  }
}

}  // namespace
}  // namespace orbit::sim
