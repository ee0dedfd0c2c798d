// env::Executor: one event loop per node. All node code is single-threaded on its
// executor; asynchrony is coroutines resumed by the executor, never threads.
#pragma once

#include <cstdint>
#include <functional>

#include "runtime/env/clock.h"
#include "runtime/env/time.h"

namespace orbit::env {

// Identifies a scheduled timer for cancel(). Zero is never a valid id.
using TimerId = uint64_t;

class Executor {
 public:
  virtual ~Executor() = default;

  // Runs fn on this executor soon, after the callbacks already posted (FIFO among posts),
  // never inline inside post(). Owns fn until it has run or the executor is torn down.
  virtual void post(std::function<void()> fn) = 0;

  // Runs fn once the node's monotonic clock has advanced by at least `delay` (a negative
  // or zero delay means "as soon as possible", still never inline). Returns an id for
  // cancel(). The callback may run late (a paused process, a busy loop), never early.
  virtual TimerId schedule_after(Duration delay, std::function<void()> fn) = 0;

  // Cancels a pending timer. Returns true when the timer had not fired yet and now never
  // will; false when it already ran, was already cancelled or never existed.
  virtual bool cancel(TimerId id) = 0;

  // The clock that schedule_after() measures against.
  virtual const Clock& clock() const = 0;
};

// The executor whose callback is running on this thread, or nullptr outside one. Each
// Executor implementation sets it around every callback it runs, so coroutine helpers
// such as sleep(d) can find their node's executor without passing it around.
Executor* current_executor();

// Sets current_executor() for the lifetime of the guard (implementations use this).
class CurrentExecutorGuard {
 public:
  explicit CurrentExecutorGuard(Executor* executor);
  ~CurrentExecutorGuard();
  CurrentExecutorGuard(const CurrentExecutorGuard&) = delete;
  CurrentExecutorGuard& operator=(const CurrentExecutorGuard&) = delete;

 private:
  Executor* previous_;
};

}  // namespace orbit::env
