#include "runtime/real/os_clock.h"

#include <gtest/gtest.h>

#include <chrono>

namespace orbit::real {
namespace {

TEST(OsClockTest, WallTracksSystemClock) {
  OsClock clock;
  const auto system_ns = std::chrono::duration_cast<Duration>(
      std::chrono::system_clock::now().time_since_epoch());
  const Duration difference = clock.wall_now().time_since_epoch() - system_ns;
  EXPECT_LT(std::chrono::abs(difference), 1s);
}

TEST(OsClockTest, MonoNeverDecreases) {
  OsClock clock;
  MonoTime last = clock.mono_now();
  for (int i = 0; i < 10000; ++i) {
    const MonoTime now = clock.mono_now();
    ASSERT_GE(now, last);
    last = now;
  }
}

TEST(OsClockTest, OffsetMovesWallBothWays) {
  OsClock clock;
  const WallTime before = clock.wall_now();
  clock.set_offset(1h);
  EXPECT_EQ(clock.offset(), 1h);
  EXPECT_GE(clock.wall_now() - before, 1h);
  clock.set_offset(-1h);
  EXPECT_LE(clock.wall_now() - before, -1h + 1s);
  clock.set_offset(Duration::zero());
  EXPECT_LT(std::chrono::abs(clock.wall_now() - before), 1s);
}

TEST(OsClockTest, PositiveOffsetJumpsMonoForward) {
  OsClock clock;
  const MonoTime before = clock.mono_now();
  clock.set_offset(10s);
  EXPECT_GE(clock.mono_now() - before, 10s);
}

TEST(OsClockTest, NegativeOffsetChangeHoldsMonoInsteadOfGoingBack) {
  OsClock clock;
  clock.set_offset(1h);
  const MonoTime high = clock.mono_now();
  clock.set_offset(Duration::zero());
  // The steady clock is an hour behind what was already handed out: mono stands still.
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(clock.mono_now(), high);
  // Wall time is not clamped: it follows the offset back at once.
  EXPECT_LT(std::chrono::abs(clock.wall_now().time_since_epoch() -
                             std::chrono::duration_cast<Duration>(
                                 std::chrono::system_clock::now().time_since_epoch())),
            1s);
}

TEST(OsClockTest, SmallNegativeChangeResumesOnceSteadyCatchesUp) {
  OsClock clock;
  clock.set_offset(20ms);
  const MonoTime high = clock.mono_now();
  clock.set_offset(Duration::zero());
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (clock.mono_now() == high && std::chrono::steady_clock::now() < give_up) {
  }
  EXPECT_GT(clock.mono_now(), high);
}

}  // namespace
}  // namespace orbit::real
