// Coroutine helpers that wait on an Executor: sleep(d) and yield().
#pragma once

#include <coroutine>

#include "runtime/env/executor.h"
#include "runtime/env/task.h"

namespace orbit {

// Awaitable that resumes the coroutine after `delay` on the executor's monotonic clock.
// Destroying the suspended coroutine cancels the timer.
class SleepAwaiter {
 public:
  SleepAwaiter(env::Executor& executor, Duration delay) : executor_(&executor), delay_(delay) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  SleepAwaiter(SleepAwaiter&& other) noexcept
      : executor_(other.executor_), delay_(other.delay_), timer_(std::exchange(other.timer_, 0)) {}
  ~SleepAwaiter() {
    if (timer_ != 0) executor_->cancel(timer_);
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> waiter) {
    timer_ = executor_->schedule_after(delay_, [this, waiter] {
      timer_ = 0;
      waiter.resume();
    });
  }
  void await_resume() const noexcept {}

 private:
  env::Executor* executor_;
  Duration delay_;
  env::TimerId timer_ = 0;
};

inline SleepAwaiter sleep(env::Executor& executor, Duration delay) {
  return SleepAwaiter(executor, delay);
}

// Sleeps on the executor running the calling coroutine (current_executor()).
SleepAwaiter sleep(Duration delay);

// Gives other ready work on the executor a turn: long loops call this.
inline SleepAwaiter yield(env::Executor& executor) { return SleepAwaiter(executor, Duration::zero()); }

}  // namespace orbit
