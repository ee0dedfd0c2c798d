#include "sim/sim_clock.h"

#include <gtest/gtest.h>

namespace orbit::sim {
namespace {

TEST(SimClockTest, AccurateClockFollowsTrueTime) {
  int64_t now = 0;
  SimClock clock(&now, MonoTime(5s), 100s);
  now = 1'000'000'000;
  EXPECT_EQ(clock.mono_now(), MonoTime(6s));
  EXPECT_EQ(clock.wall_now(), WallTime(106s));
}

TEST(SimClockTest, DriftDivergesAtTheConfiguredRate) {
  int64_t now = 0;
  SimClock fast(&now, MonoTime(0s), 0s), slow(&now, MonoTime(0s), 0s);
  ASSERT_TRUE(fast.set_drift_ppm(1000).ok());   // +0.1%
  ASSERT_TRUE(slow.set_drift_ppm(-1000).ok());  // -0.1%
  now = int64_t{1000} * 1'000'000'000;          // 1000 s of true time
  EXPECT_EQ(fast.mono_now(), MonoTime(1001s));
  EXPECT_EQ(slow.mono_now(), MonoTime(999s));
  EXPECT_EQ(fast.mono_now() - slow.mono_now(), 2s);
}

TEST(SimClockTest, DriftChangeKeepsReadingsContinuous) {
  int64_t now = 0;
  SimClock clock(&now, MonoTime(0s), 0s);
  now = 10'000'000'000;
  ASSERT_TRUE(clock.set_drift_ppm(100000).ok());  // +10% from t=10s
  EXPECT_EQ(clock.mono_now(), MonoTime(10s));
  now = 20'000'000'000;
  EXPECT_EQ(clock.mono_now(), MonoTime(21s));
}

TEST(SimClockTest, WallJumpsDoNotMoveMonotonicTime) {
  int64_t now = 0;
  SimClock clock(&now, MonoTime(0s), 0s);
  clock.jump_wall(-30s);
  EXPECT_EQ(clock.wall_now(), WallTime(-30s));
  EXPECT_EQ(clock.mono_now(), MonoTime(0s));
}

TEST(SimClockTest, TrueDelayNeverFiresEarlyByLocalReckoning) {
  int64_t now = 0;
  SimClock clock(&now, MonoTime(0s), 0s);
  ASSERT_TRUE(clock.set_drift_ppm(-333).ok());
  const int64_t d = clock.true_delay_ns(1s);
  now = d;
  EXPECT_GE(clock.mono_now(), MonoTime(1s));
  now = d - 1;
  EXPECT_LT(clock.mono_now(), MonoTime(1s));
}

TEST(SimClockTest, RejectsAbsurdDrift) {
  int64_t now = 0;
  SimClock clock(&now, MonoTime(0s), 0s);
  auto r = clock.set_drift_ppm(2'000'000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("drift_ppm"), std::string::npos);
}

}  // namespace
}  // namespace orbit::sim
