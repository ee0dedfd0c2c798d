#include "runtime/real/asio_executor.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>

#include <atomic>
#include <memory>
#include <optional>
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
