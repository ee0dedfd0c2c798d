// AsioExecutor: the real env::Executor, one boost::asio::io_context driven by one thread.
//
// A node runs all of its code on the thread that calls run()/run_for()/run_until(); the
// TCP transport shares the same io_context, so its handlers run on that thread too. The
// contract of env::Executor holds: post() is FIFO and never inline, timers never fire
// early on clock(), and every callback runs with env::current_executor() set to this.
//
// Timers are asio steady_timers, but the promise is made on clock() (an OsClock, whose
// offset may change at run time). When a timer expires before clock().mono_now() has
// reached its due time (the offset was lowered meanwhile), it is re-armed for the rest
// instead of firing early.
//
// An exception escaping a callback propagates out of the run call: it is a bug, and the
// node should stop rather than carry on with half-updated state.
//
// Thread-safety: post() may be called from any thread (asio's queue is locked). All other
// methods belong to the executor's thread, or to any thread while no run call is active.
// Objects that use io_context() (the transport) must be destroyed before the executor.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>

#include "runtime/env/executor.h"
#include "runtime/env/time.h"
#include "runtime/real/os_clock.h"

namespace orbit::real {

class AsioExecutor final : public env::Executor {
 public:
  AsioExecutor();
  // Pending callbacks are destroyed without running, as the seam allows at tear-down.
  ~AsioExecutor() override;
  AsioExecutor(const AsioExecutor&) = delete;
  AsioExecutor& operator=(const AsioExecutor&) = delete;

  void post(std::function<void()> fn) override;
  env::TimerId schedule_after(Duration delay, std::function<void()> fn) override;
  bool cancel(env::TimerId id) override;
  const env::Clock& clock() const override { return clock_; }

  // The clock, writable (a launcher injects skew through set_offset()).
  OsClock& os_clock() { return clock_; }

  // Runs callbacks until stop() is called or no work is left (no posts, timers or pending
  // I/O). Returns the number of handlers asio ran.
  size_t run();

  // As run(), but returns at the latest after `limit` of steady time.
  size_t run_for(Duration limit);

  // Runs callbacks until done() is true (checked before each handler), stop() is called,
  // no work is left, or `limit` of steady time has passed. Returns done()'s last value.
  // Tests use it to wait for an outcome without ever hanging.
  [[nodiscard]] bool run_until(const std::function<bool()>& done, Duration limit);

  // Makes the run call in progress return after the callback that is running now (if
  // any). Safe from any thread. A later run call starts afresh.
  void stop();

  // Timers scheduled and not yet fired or cancelled.
  [[nodiscard]] size_t pending_timers() const { return timers_.size(); }

  // For components that do I/O on this executor's thread (the TCP transport).
  boost::asio::io_context& io_context() { return io_; }

 private:
  struct PendingTimer {
    explicit PendingTimer(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    MonoTime due;
    std::function<void()> fn;
  };

  void arm(env::TimerId id, PendingTimer& pending, Duration delay);
  void on_timer(env::TimerId id);
  void prepare_run();

  OsClock clock_;
  // Declared before io_ so that the (by then empty) table outlives it: callbacks that the
  // io_context destroys unrun may own coroutine frames whose destructors call cancel().
  // The destructor empties the table itself, while io_ still exists, because a
  // steady_timer must not outlive its io_context.
  std::map<env::TimerId, std::unique_ptr<PendingTimer>> timers_;
  boost::asio::io_context io_{1};
  env::TimerId next_timer_id_ = 1;
  std::atomic<bool> stop_requested_{false};
  // Set by the destructor: post() and schedule_after() from callbacks being destroyed
  // then drop their work instead of touching a half-destroyed io_context.
  bool tearing_down_ = false;
};

}  // namespace orbit::real
