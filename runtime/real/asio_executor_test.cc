#include "runtime/real/asio_executor.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/env/sleep.h"
#include "runtime/env/task.h"
#include "runtime/env/task_scope.h"
#include "runtime/env/when.h"

namespace orbit::real {
namespace {

// Generous bound for every wait: a test that needs it has failed, but does not hang.
constexpr Duration kLimit = 10s;

TEST(AsioExecutorTest, PostIsFifoAndNeverInline) {
  AsioExecutor ex;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) ex.post([&order, i] { order.push_back(i); });
  EXPECT_TRUE(order.empty());
  ex.run_for(kLimit);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(AsioExecutorTest, PostFromACallbackRunsAfterWorkAlreadyPosted) {
  AsioExecutor ex;
  std::vector<std::string> order;
  ex.post([&] {
    order.push_back("a");
    ex.post([&] { order.push_back("c"); });
    order.push_back("a-end");  // the nested post did not run inline
  });
  ex.post([&] { order.push_back("b"); });
  ex.run_for(kLimit);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "a-end", "b", "c"}));
}

TEST(AsioExecutorTest, TimersFireInDueOrderAndNeverEarly) {
  AsioExecutor ex;
  std::vector<int> order;
  std::vector<Duration> waited;
  const MonoTime start = ex.clock().mono_now();
  for (int delay_ms : {30, 10, 20}) {
    ex.schedule_after(std::chrono::milliseconds(delay_ms), [&, delay_ms] {
      order.push_back(delay_ms);
      waited.push_back(ex.clock().mono_now() - start);
    });
  }
  ex.run_for(kLimit);
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
  ASSERT_EQ(waited.size(), 3u);
  EXPECT_GE(waited[0], 10ms);
  EXPECT_GE(waited[1], 20ms);
  EXPECT_GE(waited[2], 30ms);
}

TEST(AsioExecutorTest, ZeroAndNegativeDelaysAreNotInline) {
  AsioExecutor ex;
  int ran = 0;
  ex.schedule_after(Duration::zero(), [&] { ++ran; });
  ex.schedule_after(-5s, [&] { ++ran; });
  EXPECT_EQ(ran, 0);
  ex.run_for(kLimit);
  EXPECT_EQ(ran, 2);
}

TEST(AsioExecutorTest, CancelSemantics) {
  AsioExecutor ex;
  bool cancelled_ran = false;
  bool fired = false;
  const env::TimerId doomed = ex.schedule_after(10ms, [&] { cancelled_ran = true; });
  const env::TimerId kept = ex.schedule_after(1ms, [&] { fired = true; });
  EXPECT_NE(doomed, 0u);
  EXPECT_NE(kept, 0u);
  EXPECT_NE(doomed, kept);
  EXPECT_EQ(ex.pending_timers(), 2u);

  EXPECT_TRUE(ex.cancel(doomed));    // pending: cancelled
  EXPECT_FALSE(ex.cancel(doomed));   // already cancelled
  EXPECT_FALSE(ex.cancel(0));        // never valid
  EXPECT_FALSE(ex.cancel(987654));   // never existed
  ex.run_for(kLimit);
  EXPECT_TRUE(fired);
  EXPECT_FALSE(cancelled_ran);
  EXPECT_FALSE(ex.cancel(kept));     // already fired
  EXPECT_EQ(ex.pending_timers(), 0u);
}

TEST(AsioExecutorTest, AVeryLongDelayIsPendingAndCancellable) {
  AsioExecutor ex;
  bool ran = false;
  const env::TimerId id = ex.schedule_after(Duration::max(), [&] { ran = true; });
  ex.run_for(10ms);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(ex.cancel(id));
}

TEST(AsioExecutorTest, CancelFromAnotherCallbackBeforeTheTimerIsDue) {
  AsioExecutor ex;
  bool ran = false;
  bool cancel_result = false;
  const env::TimerId id = ex.schedule_after(50ms, [&] { ran = true; });
  ex.schedule_after(1ms, [&] { cancel_result = ex.cancel(id); });
  ex.run_for(kLimit);
  EXPECT_TRUE(cancel_result);
  EXPECT_FALSE(ran);
}

TEST(AsioExecutorTest, CurrentExecutorIsSetOnlyInsideCallbacks) {
  AsioExecutor ex;
  EXPECT_EQ(env::current_executor(), nullptr);
  env::Executor* in_post = nullptr;
  env::Executor* in_timer = nullptr;
  ex.post([&] { in_post = env::current_executor(); });
  ex.schedule_after(1ms, [&] { in_timer = env::current_executor(); });
  ex.run_for(kLimit);
  EXPECT_EQ(in_post, &ex);
  EXPECT_EQ(in_timer, &ex);
  EXPECT_EQ(env::current_executor(), nullptr);
}

TEST(AsioExecutorTest, TimerWaitsOnTheNodeClockWhenItsOffsetIsLowered) {
  AsioExecutor ex;
  // Mono is pushed 100 ms ahead and then the offset is removed: mono stands still for
  // ~100 ms. A 20 ms timer must still not fire before mono has advanced 20 ms.
  ex.os_clock().set_offset(100ms);
  const MonoTime scheduled_at = ex.clock().mono_now();
  ex.os_clock().set_offset(Duration::zero());
  std::optional<MonoTime> fired_at;
  ex.schedule_after(20ms, [&] { fired_at = ex.clock().mono_now(); });
  ASSERT_TRUE(ex.run_until([&] { return fired_at.has_value(); }, kLimit));
  EXPECT_GE(*fired_at - scheduled_at, 20ms);
}

TEST(AsioExecutorTest, StopEndsRunFromACallback) {
  AsioExecutor ex;
  bool after_stop_ran = false;
  ex.post([&] { ex.stop(); });
  ex.schedule_after(5s, [&] { after_stop_ran = true; });
  const auto start = std::chrono::steady_clock::now();
  ex.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_FALSE(after_stop_ran);
  // A later run starts afresh.
  bool later = false;
  ex.post([&] { later = true; });
  ASSERT_TRUE(ex.run_until([&] { return later; }, kLimit));
}

TEST(AsioExecutorTest, RunForAndRunUntilRespectTheirLimit) {
  AsioExecutor ex;
  bool fired = false;
  ex.schedule_after(10s, [&] { fired = true; });
  auto start = std::chrono::steady_clock::now();
  ex.run_for(30ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  start = std::chrono::steady_clock::now();
  EXPECT_FALSE(ex.run_until([&] { return fired; }, 30ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(fired);
}

TEST(AsioExecutorTest, RunUntilReturnsWhenWorkRunsOut) {
  AsioExecutor ex;
  int ran = 0;
  ex.post([&] { ++ran; });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(ex.run_until([] { return false; }, kLimit));
  EXPECT_EQ(ran, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(AsioExecutorTest, PostIsSafeFromAnotherThread) {
  AsioExecutor ex;
  std::vector<int> order;
  std::thread poster([&ex, &order] {
    for (int i = 0; i < 200; ++i) ex.post([&order, i] { order.push_back(i); });
  });
  // Keeps the loop from running out of work while the other thread is still posting.
  auto keep_running = boost::asio::make_work_guard(ex.io_context());
  const bool all = ex.run_until([&] { return order.size() == 200; }, kLimit);
  keep_running.reset();
  poster.join();
  ASSERT_TRUE(all);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(order[i], i);  // FIFO per posting thread
}

TEST(AsioExecutorTest, StopIsSafeFromAnotherThread) {
  AsioExecutor ex;
  ex.schedule_after(30s, [] {});  // keeps run() busy
  std::atomic<bool> running{false};
  ex.post([&running] { running = true; });
  std::thread stopper([&] {
    while (!running) std::this_thread::yield();
    ex.stop();
  });
  const auto start = std::chrono::steady_clock::now();
  ex.run();
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

// ---- The deadline heap -------------------------------------------------------------------

// Freezes the node's monotonic clock for about `hold` (an offset raised, read, and removed:
// mono_now() then holds until the steady clock catches up), so that timers scheduled now
// share one "now" and timers with equal delays have equal due times.
MonoTime freeze_clock(AsioExecutor& ex, Duration hold) {
  ex.os_clock().set_offset(hold);
  const MonoTime frozen = ex.clock().mono_now();
  ex.os_clock().set_offset(Duration::zero());
  return frozen;
}

// A tiny deterministic generator for the test's choices (no std:: distributions).
struct Lcg {
  uint64_t state;
  uint32_t next(uint32_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>((state >> 33) % bound);
  }
};

TEST(AsioExecutorTest, ManyTimersRunInDueOrderAndEqualDeadlinesInSchedulingOrder) {
  AsioExecutor ex;
  const MonoTime frozen = freeze_clock(ex, 300ms);
  struct Planned {
    int index;
    Duration delay;
    env::TimerId id;
  };
  std::vector<Planned> planned;
  std::vector<int> ran;
  Lcg random{7};
  for (int i = 0; i < 3000; ++i) {
    const Duration delay = std::chrono::milliseconds(random.next(4));  // many equal deadlines
    const env::TimerId id = ex.schedule_after(delay, [&ran, i] { ran.push_back(i); });
    planned.push_back(Planned{i, delay, id});
  }
  if (ex.clock().mono_now() != frozen) GTEST_SKIP() << "the clock moved while scheduling (a very slow machine)";
  // Cancel every third, in an order unrelated to the heap's.
  std::vector<Planned> expected;
  for (const Planned& p : planned) {
    if (p.index % 3 == 1) {
      EXPECT_TRUE(ex.cancel(p.id));
    } else {
      expected.push_back(p);
    }
  }
  EXPECT_EQ(ex.pending_timers(), expected.size());
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Planned& a, const Planned& b) { return a.delay < b.delay; });
  ASSERT_TRUE(ex.run_until([&] { return ran.size() == expected.size(); }, kLimit));
  ex.run_for(10ms);
  ASSERT_EQ(ran.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(ran[i], expected[i].index) << "position " << i;
  EXPECT_EQ(ex.pending_timers(), 0u);
  EXPECT_EQ(ex.deadline_heap_entries(), 0u);
}

// A node schedules a timeout per call and cancels almost all of them: the cancelled entries
// must not pile up in the heap, and the live timers keep their order.
TEST(AsioExecutorTest, CancelledTimersDoNotAccumulate) {
  AsioExecutor ex;
  std::vector<int> ran;
  for (int k = 0; k < 5; ++k) {
    ex.schedule_after(std::chrono::milliseconds(5 + k), [&ran, k] { ran.push_back(k); });
  }
  size_t largest_heap = 0;
  for (int i = 0; i < 100000; ++i) {
    const env::TimerId id = ex.schedule_after(std::chrono::hours(1), [] { FAIL() << "a cancelled timer ran"; });
    ASSERT_TRUE(ex.cancel(id));
    largest_heap = std::max(largest_heap, ex.deadline_heap_entries());
  }
  EXPECT_EQ(ex.pending_timers(), 5u);
  EXPECT_LE(largest_heap, 2 * 5 + AsioExecutor::kHeapSlack + 1);
  ASSERT_TRUE(ex.run_until([&] { return ran.size() == 5; }, kLimit));
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
  // With nothing live, run() returns at once instead of waiting on a dead deadline.
  const env::TimerId late = ex.schedule_after(std::chrono::hours(1), [] {});
  EXPECT_TRUE(ex.cancel(late));
  const auto start = std::chrono::steady_clock::now();
  ex.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(AsioExecutorTest, AnEarlierTimerScheduledLaterRearmsTheWakeUp) {
  AsioExecutor ex;
  std::vector<std::string> order;
  ex.schedule_after(10s, [&] { order.push_back("late"); });
  ex.schedule_after(20ms, [&] { order.push_back("early"); });
  ex.schedule_after(5ms, [&] { order.push_back("earliest"); });
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(ex.run_until([&] { return order.size() == 2; }, kLimit));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(order, (std::vector<std::string>{"earliest", "early"}));
  EXPECT_EQ(ex.pending_timers(), 1u);
}

// A callback that keeps rescheduling itself at zero delay runs once per wake-up, so posts
// and I/O still get their turn.
TEST(AsioExecutorTest, ATimerReschedulingItselfDoesNotStarvePosts) {
  AsioExecutor ex;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    ex.schedule_after(Duration::zero(), tick);
  };
  ex.schedule_after(Duration::zero(), tick);
  bool posted_ran = false;
  ex.post([&] { ex.post([&] { posted_ran = true; }); });
  ASSERT_TRUE(ex.run_until([&] { return posted_ran && ticks > 3; }, kLimit));
}

// Cancelling destroys the callback, and a callback may own something whose destructor
// cancels another timer (a coroutine frame with its own sleep): that nested cancel works.
TEST(AsioExecutorTest, ACancelledCallbackMayCancelAnotherTimerAsItIsDestroyed) {
  AsioExecutor ex;
  const env::TimerId other = ex.schedule_after(std::chrono::hours(1), [] {});
  bool other_cancelled = false;
  std::shared_ptr<void> owner(nullptr, [&](void*) { other_cancelled = ex.cancel(other); });
  const env::TimerId id = ex.schedule_after(std::chrono::hours(1), [owner] {});
  owner.reset();
  EXPECT_TRUE(ex.cancel(id));
  EXPECT_TRUE(other_cancelled);
  EXPECT_EQ(ex.pending_timers(), 0u);
}

// An exception out of a timer callback ends the run call; the timers after it still fire
// when the executor runs again.
TEST(AsioExecutorTest, TimersStillFireAfterACallbackThrew) {
  AsioExecutor ex;
  bool later_ran = false;
  ex.schedule_after(1ms, [] { throw std::runtime_error("bug"); });
  ex.schedule_after(15ms, [&] { later_ran = true; });
  EXPECT_THROW(ex.run_for(kLimit), std::runtime_error);
  EXPECT_EQ(ex.pending_timers(), 1u);
  ASSERT_TRUE(ex.run_until([&] { return later_ran; }, kLimit));
}

// ---- The coroutine helpers of runtime/env over the real executor -------------------------

Task<int> slow_value(Duration delay, int value) {
  co_await sleep(delay);
  co_return value;
}

TEST(AsioExecutorTest, SleepResumesOnTheExecutorAfterTheDelay) {
  AsioExecutor ex;
  TaskScope scope;
  std::optional<Duration> slept;
  env::Executor* resumed_on = nullptr;
  auto body = [](env::Executor& executor, std::optional<Duration>& out,
                 env::Executor*& where) -> Task<void> {
    const MonoTime start = executor.clock().mono_now();
    co_await sleep(25ms);  // finds the executor through current_executor()
    where = env::current_executor();
    out = executor.clock().mono_now() - start;
  };
  ex.post([&] { scope.spawn(body(ex, slept, resumed_on)); });
  ASSERT_TRUE(ex.run_until([&] { return slept.has_value(); }, kLimit));
  EXPECT_GE(*slept, 25ms);
  EXPECT_EQ(resumed_on, &ex);
}

TEST(AsioExecutorTest, WithTimeoutReturnsTheValueOrTimesOut) {
  AsioExecutor ex;
  TaskScope scope;
  std::optional<Result<int>> fast;
  std::optional<Result<int>> slow;
  auto body = [](std::optional<Result<int>>& fast_out,
                 std::optional<Result<int>>& slow_out) -> Task<void> {
    fast_out.emplace(co_await with_timeout(slow_value(5ms, 1), 5s));
    slow_out.emplace(co_await with_timeout(slow_value(10s, 2), 20ms));
  };
  ex.post([&] { scope.spawn(body(fast, slow)); });
  ASSERT_TRUE(ex.run_until([&] { return slow.has_value(); }, kLimit));
  ASSERT_TRUE(fast->ok());
  EXPECT_EQ(fast->value(), 1);
  ASSERT_FALSE(slow->ok());
  EXPECT_EQ(slow->code(), ErrorCode::kTimeout);
  // The loser's 10 s sleep was cancelled when it was destroyed.
  EXPECT_EQ(ex.pending_timers(), 0u);
}

TEST(AsioExecutorTest, DestroyingASleepingCoroutineCancelsItsTimer) {
  AsioExecutor ex;
  auto scope = std::make_unique<TaskScope>();
  bool woke = false;
  auto body = [](bool& flag) -> Task<void> {
    co_await sleep(10s);
    flag = true;
  };
  ex.post([&] { scope->spawn(body(woke)); });
  ASSERT_TRUE(ex.run_until([&] { return ex.pending_timers() == 1; }, kLimit));
  scope.reset();
  EXPECT_EQ(ex.pending_timers(), 0u);
  ex.run_for(20ms);
  EXPECT_FALSE(woke);
}

TEST(AsioExecutorTest, TearDownWithSuspendedCoroutinesOwnedByUnrunCallbacks) {
  auto ex = std::make_unique<AsioExecutor>();
  auto scope = std::make_shared<TaskScope>();
  auto sleeper = []() -> Task<void> { co_await sleep(10s); };
  ex->post([&] { scope->spawn(sleeper()); });
  ASSERT_TRUE(ex->run_until([&] { return ex->pending_timers() == 1; }, kLimit));
  // Now the only owner of the sleeping frame is a callback that will never run: tearing
  // the executor down destroys it, and the frame's SleepAwaiter calls cancel() on an
  // executor that is half gone. That must be harmless.
  ex->post([owner = std::move(scope)] {});
  ex.reset();
}

}  // namespace
}  // namespace orbit::real
