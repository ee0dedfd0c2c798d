#include "runtime/env/task.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/env/manual_executor.h"
#include "runtime/env/oneshot.h"
#include "runtime/env/sleep.h"
#include "runtime/env/task_scope.h"
#include "runtime/env/when.h"

namespace orbit {
namespace {

using env::ManualExecutor;

// Runs a task to completion on the manual executor (time advances as needed).
template <typename T>
T run(ManualExecutor& ex, Task<T> task, Duration max_time = 1h) {
  std::optional<NonVoid<T>> out;
  std::exception_ptr error;
  TaskScope scope;
  // Started from an executor callback, as node code always is (current_executor() is set).
  auto body = [](Task<T> t, std::optional<NonVoid<T>>& o, std::exception_ptr& e) -> Task<void> {
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(t);
        o.emplace();
      } else {
        o.emplace(co_await std::move(t));
      }
    } catch (...) {
      e = std::current_exception();
    }
  }(std::move(task), out, error);
  ex.post([&scope, &body] { scope.spawn(std::move(body)); });
  const MonoTime deadline = ex.mono_now() + max_time;
  while (!out && !error && ex.mono_now() < deadline) {
    ex.advance(1ms);
  }
  if (error) std::rethrow_exception(error);
  EXPECT_TRUE(out.has_value()) << "task did not finish";
  if constexpr (!std::is_void_v<T>) return std::move(*out);
}

Task<int> answer() { co_return 42; }
Task<int> add_one(Task<int> inner) { co_return (co_await std::move(inner)) + 1; }
Task<void> thrower() {
  throw std::runtime_error("boom");
  co_return;
}

TEST(TaskTest, IsLazyUntilAwaited) {
  bool started = false;
  auto make = [](bool& flag) -> Task<int> {
    flag = true;
    co_return 1;
  };
  Task<int> t = make(started);
  EXPECT_FALSE(started);
  ManualExecutor ex;
  EXPECT_EQ(run(ex, std::move(t)), 1);
  EXPECT_TRUE(started);
}

TEST(TaskTest, ReturnsValuesThroughChains) {
  ManualExecutor ex;
  EXPECT_EQ(run(ex, add_one(add_one(answer()))), 44);
}

TEST(TaskTest, PropagatesExceptions) {
  ManualExecutor ex;
  auto outer = []() -> Task<std::string> {
    try {
      co_await thrower();
    } catch (const std::runtime_error& e) {
      co_return std::string(e.what());
    }
    co_return "no exception";
  };
  EXPECT_EQ(run(ex, outer()), "boom");
  EXPECT_THROW(run(ex, thrower()), std::runtime_error);
}

Task<int> deep(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await deep(n - 1);
}

TEST(TaskTest, SynchronousAwaitsKeepTheStackFlat) {
  // A million synchronous awaits would overflow the stack if each nested a frame (this
  // runs under ASan too, where GCC emits no tail calls).
  auto loop = []() -> Task<long> {
    long sum = 0;
    for (int i = 0; i < 1000000; ++i) sum += co_await answer();
    co_return sum;
  };
  ManualExecutor ex;
  EXPECT_EQ(run(ex, loop()), 42000000L);
  EXPECT_EQ(run(ex, deep(1000)), 1000);
}

TEST(TaskTest, SleepWaitsForTheExecutorClock) {
  ManualExecutor ex;
  auto sleeper = [](ManualExecutor& e) -> Task<MonoTime> {
    co_await sleep(e, 250ms);
    co_return e.mono_now();
  };
  EXPECT_EQ(run(ex, sleeper(ex)), MonoTime(250ms));
}

TEST(TaskTest, SleepWithoutExplicitExecutorUsesTheCurrentOne) {
  ManualExecutor ex;
  auto sleeper = [](ManualExecutor& e) -> Task<MonoTime> {
    co_await sleep(100ms);
    co_return e.mono_now();
  };
  EXPECT_EQ(run(ex, sleeper(ex)), MonoTime(100ms));
}

// Tracks destruction of a coroutine's locals.
struct Witness {
  int* destroyed;
  explicit Witness(int* d) : destroyed(d) {}
  Witness(Witness&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
  ~Witness() {
    if (destroyed) ++*destroyed;
  }
};

Task<void> sleeps_forever(ManualExecutor& ex, int* destroyed) {
  Witness w(destroyed);
  co_await sleep(ex, 1000h);
}

TEST(TaskTest, DestroyingASuspendedTaskFreesEverythingAndCancelsTimers) {
  ManualExecutor ex;
  int destroyed = 0;
  {
    TaskScope scope;
    auto nested = [](ManualExecutor& e, int* d) -> Task<void> {
      Witness w(d);
      co_await sleeps_forever(e, d);
    };
    scope.spawn(nested(ex, &destroyed));
    scope.spawn(sleeps_forever(ex, &destroyed));
    ex.advance(1s);
    EXPECT_EQ(scope.live_count(), 2u);
    EXPECT_EQ(ex.pending(), 2u);
  }  // the scope dies like a crashed node: ASan reports any leak or use after free
  EXPECT_EQ(destroyed, 3);
  EXPECT_EQ(ex.pending(), 0u) << "timers of destroyed coroutines must be cancelled";
}

TEST(TaskTest, ScopeReapsFinishedTasks) {
  ManualExecutor ex;
  TaskScope scope;
  int count = 0;
  for (int i = 0; i < 10; ++i) {
    scope.spawn([](ManualExecutor& e, int& c, int i) -> Task<void> {
      co_await sleep(e, std::chrono::milliseconds(i));
      ++c;
    }(ex, count, i));
  }
  ex.advance(20ms);
  EXPECT_EQ(count, 10);
  EXPECT_EQ(scope.live_count(), 0u);
}

TEST(TaskTest, ScopeReportsEscapedExceptions) {
  std::string seen;
  TaskScope scope([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      seen = ex.what();
    }
  });
  scope.spawn(thrower());
  EXPECT_EQ(seen, "boom");
  EXPECT_EQ(scope.live_count(), 0u);
}

Task<void> sleeps_briefly(ManualExecutor& ex) { co_await sleep(ex, 1ms); }

Task<int> value_after(ManualExecutor& ex, Duration d, int v) {
  co_await sleep(ex, d);
  co_return v;
}

TEST(TaskTest, WhenAllWaitsForEveryTaskAndKeepsOrder) {
  ManualExecutor ex;
  std::vector<Task<int>> tasks;
  tasks.push_back(value_after(ex, 30ms, 1));
  tasks.push_back(value_after(ex, 10ms, 2));
  tasks.push_back(answer());  // completes synchronously
  auto all = run(ex, when_all(std::move(tasks)));
  EXPECT_EQ(all, (std::vector<int>{1, 2, 42}));
  EXPECT_EQ(ex.mono_now(), MonoTime(30ms));
}

TEST(TaskTest, WhenAllOfSynchronousTasksDoesNotSuspend) {
  ManualExecutor ex;
  auto [a, b] = run(ex, when_all(answer(), answer()));
  EXPECT_EQ(a + b, 84);
  std::vector<Task<int>> none;
  EXPECT_TRUE(run(ex, when_all(std::move(none))).empty());
}

TEST(TaskTest, WhenAllHeterogeneousWithVoid) {
  ManualExecutor ex;
  auto [u, v] = run(ex, when_all(sleeps_briefly(ex), value_after(ex, 5ms, 7)));
  EXPECT_EQ(u, Unit{});
  EXPECT_EQ(v, 7);
}

TEST(TaskTest, WhenAllRethrowsAfterAllFinish) {
  ManualExecutor ex;
  int finished = 0;
  auto slow = [](ManualExecutor& e, int& f) -> Task<void> {
    co_await sleep(e, 50ms);
    ++f;
  };
  EXPECT_THROW(run(ex, when_all(thrower(), slow(ex, finished))), std::runtime_error);
  EXPECT_EQ(finished, 1);
}

TEST(TaskTest, WhenAnyReturnsTheFirstAndCancelsTheRest) {
  ManualExecutor ex;
  int destroyed = 0;
  auto loser = [](ManualExecutor& e, int* d) -> Task<int> {
    Witness w(d);
    co_await sleep(e, 1h);
    co_return -1;
  };
  std::vector<Task<int>> tasks;
  tasks.push_back(loser(ex, &destroyed));
  tasks.push_back(value_after(ex, 10ms, 5));
  auto winner = run(ex, when_any(std::move(tasks)));
  EXPECT_EQ(winner.index, 1u);
  EXPECT_EQ(winner.value, 5);
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(ex.pending(), 0u);
}

TEST(TaskTest, WhenAnyWithASynchronousWinnerStartsNoMore) {
  ManualExecutor ex;
  bool second_started = false;
  auto marks = [](bool& s) -> Task<int> {
    s = true;
    co_return 0;
  };
  auto r = run(ex, when_any(answer(), marks(second_started)));
  EXPECT_EQ(r.index(), 0u);
  EXPECT_EQ(std::get<0>(r), 42);
  EXPECT_FALSE(second_started);
}

TEST(TaskTest, WithTimeoutExpires) {
  ManualExecutor ex;
  auto r = run(ex, with_timeout(ex, value_after(ex, 1s, 1), 100ms));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kTimeout);
  EXPECT_EQ(ex.mono_now(), MonoTime(100ms));
  EXPECT_EQ(ex.pending(), 0u);
}

TEST(TaskTest, WithTimeoutPassesTheValue) {
  ManualExecutor ex;
  auto r = run(ex, with_timeout(ex, value_after(ex, 10ms, 9), 1s));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 9);
  EXPECT_EQ(ex.pending(), 0u);
}

TEST(TaskTest, WithTimeoutFlattensResults) {
  ManualExecutor ex;
  auto failing = []() -> Task<Result<int>> { co_return Error{ErrorCode::kConflict, "lost"}; };
  Result<int> r = run(ex, with_timeout(ex, failing(), 1s));
  EXPECT_EQ(r.code(), ErrorCode::kConflict);
}

TEST(TaskTest, OneShotResumesWaitersInOrder) {
  ManualExecutor ex;
  OneShot<int> shot;
  std::vector<int> order;
  TaskScope scope;
  for (int i = 0; i < 3; ++i) {
    scope.spawn([](OneShot<int>& s, std::vector<int>& o, int i) -> Task<void> {
      const int v = co_await s.wait();
      o.push_back(i * 100 + v);
    }(shot, order, i));
  }
  EXPECT_TRUE(order.empty());
  EXPECT_TRUE(shot.set(7));
  EXPECT_FALSE(shot.set(8));
  EXPECT_EQ(order, (std::vector<int>{7, 107, 207}));
  // Waiting after set() returns at once.
  EXPECT_EQ(run(ex, [](OneShot<int>& s) -> Task<int> { co_return co_await s.wait(); }(shot)), 7);
}

TEST(TaskTest, AWaiterMayDestroyTheOneShotItWasWaitingOn) {
  // The pending-call pattern: the resumed caller erases its entry, destroying the OneShot
  // while set() is still on the stack. ASan catches any access after that.
  ManualExecutor ex;
  auto shot = std::make_unique<OneShot<int>>();
  int got = 0;
  TaskScope scope;
  scope.spawn([](std::unique_ptr<OneShot<int>>& s, int& g) -> Task<void> {
    g = co_await s->wait();
    s.reset();
  }(shot, got));
  EXPECT_TRUE(shot->set(5));
  EXPECT_EQ(got, 5);
  EXPECT_EQ(shot, nullptr);
}

TEST(TaskTest, DestroyedOneShotWaiterLeavesTheList) {
  OneShot<int> shot;
  {
    TaskScope scope;
    scope.spawn([](OneShot<int>& s) -> Task<void> { (void)co_await s.wait(); }(shot));
  }
  EXPECT_TRUE(shot.set(1));  // no dangling waiter is resumed
}

}  // namespace
}  // namespace orbit
