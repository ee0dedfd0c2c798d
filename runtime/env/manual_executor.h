// A deterministic test executor: callbacks run only when the test calls run_ready() or
// advance(). Mirrors the simulator's semantics (post is FIFO and never inline; timers
// ordered by (due time, sequence)) without the simulator.
#pragma once

#include <functional>
#include <map>
#include <utility>

#include "runtime/env/clock.h"
#include "runtime/env/executor.h"

namespace orbit::env {

class ManualExecutor final : public Executor, public Clock {
 public:
  void post(std::function<void()> fn) override { schedule_after(Duration::zero(), std::move(fn)); }

  TimerId schedule_after(Duration delay, std::function<void()> fn) override {
    const TimerId id = next_id_++;
    const MonoTime due = now_ + std::max(delay, Duration::zero());
    queue_.emplace(Key{due, id}, std::move(fn));
    return id;
  }

  bool cancel(TimerId id) override {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->first.second == id) {
        queue_.erase(it);
        return true;
      }
    }
    return false;
  }

  const Clock& clock() const override { return *this; }
  WallTime wall_now() const override { return WallTime(now_.time_since_epoch()); }
  MonoTime mono_now() const override { return now_; }

  // Runs everything due at the current time (including work it posts). Returns the count.
  size_t run_ready() {
    size_t ran = 0;
    while (!queue_.empty() && queue_.begin()->first.first <= now_) {
      auto node = queue_.extract(queue_.begin());
      CurrentExecutorGuard guard(this);
      node.mapped()();
      ++ran;
    }
    return ran;
  }

  // Moves time forward by `d`, running each callback at its due time.
  size_t advance(Duration d) {
    const MonoTime end = now_ + d;
    size_t ran = run_ready();
    while (!queue_.empty() && queue_.begin()->first.first <= end) {
      now_ = queue_.begin()->first.first;
      ran += run_ready();
    }
    now_ = end;
    return ran + run_ready();
  }

  size_t pending() const { return queue_.size(); }

 private:
  using Key = std::pair<MonoTime, TimerId>;
  std::map<Key, std::function<void()>> queue_;
  MonoTime now_{};
  TimerId next_id_ = 1;
};

}  // namespace orbit::env
