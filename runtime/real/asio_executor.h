// AsioExecutor: the real env::Executor, one boost::asio::io_context driven by one thread.
//
// A node runs all of its code on the thread that calls run()/run_for()/run_until(); the
// TCP transport shares the same io_context, so its handlers run on that thread too. The
// contract of env::Executor holds: post() is FIFO and never inline, timers never fire
// early on clock(), and every callback runs with env::current_executor() set to this.
//
// Timers: one deadline heap, a min-heap of (due, id) entries, and one asio steady_timer
// armed for the earliest due time. Ids grow in scheduling order, so timers with equal due
// times run in the order they were scheduled. A node schedules (and mostly cancels) a
// timeout per call, so cancel() must be cheap: it only removes the callback from the id
// table (O(1)); the heap entry is left behind and skipped when it reaches the top (lazy
// deletion). When dead entries outnumber live ones the heap is rebuilt from the table,
// which keeps its size within twice the live timers (plus kHeapSlack) and costs O(1)
// amortized per cancel. (A steady_timer per timer, the earlier design, cost an
// allocation, a locked insertion into asio's timer queue and a cancellation per call.)
//
// The promise is made on clock() (an OsClock, whose offset may change at run time): due
// times are clock().mono_now() readings, and the steady timer is armed for the remaining
// delay. When it expires before clock().mono_now() has reached the earliest due time (the
// offset was lowered meanwhile), it is re-armed for the rest instead of firing early. One
// expiry runs at most kTimersPerExpiryMax callbacks, and never one scheduled during that
// expiry, so a burst of timers (or a callback rescheduling itself at zero delay) does not
// starve posted work and I/O.
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
#include <cstddef>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

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
  [[nodiscard]] size_t pending_timers() const { return callbacks_.size(); }

  // Entries in the deadline heap, cancelled ones included (for tests of the bound).
  [[nodiscard]] size_t deadline_heap_entries() const { return deadlines_.size(); }

  // For components that do I/O on this executor's thread (the TCP transport).
  boost::asio::io_context& io_context() { return io_; }

  // At most this many timer callbacks run per expiry of the steady timer.
  static constexpr size_t kTimersPerExpiryMax = 256;
  // Dead heap entries tolerated beyond the live count before a rebuild.
  static constexpr size_t kHeapSlack = 64;

 private:
  struct Deadline {
    MonoTime due;
    env::TimerId id;  // also the scheduling order: ids only grow
  };
  // The heap's order: std::push_heap keeps the largest first, so "larger" means later.
  struct Later {
    bool operator()(const Deadline& a, const Deadline& b) const {
      return a.due != b.due ? a.due > b.due : a.id > b.id;
    }
  };

  void on_expiry(const boost::system::error_code& ec);
  // Arms the steady timer for the earliest live deadline (none when no timer is live).
  void arm_earliest();
  // Drops cancelled entries from the top of the heap.
  void pop_dead();
  // Rebuilds the heap from the live table when dead entries outnumber live ones.
  void compact_if_sparse();
  void prepare_run();

  OsClock clock_;
  // Declared before io_ so that the (by then empty) tables outlive it: callbacks that the
  // io_context destroys unrun may own coroutine frames whose destructors call cancel().
  // The destructor empties the table itself, so that a callback destroyed with it finds
  // a consistent (empty) executor.
  std::unordered_map<env::TimerId, std::function<void()>> callbacks_;  // the live timers
  std::vector<Deadline> deadlines_;  // heap ordered by Later; may hold cancelled ids
  boost::asio::io_context io_{1};
  // After io_: a steady_timer must not outlive its io_context.
  boost::asio::steady_timer wakeup_{io_};
  // The due time wakeup_ is armed for (the earliest live deadline when it was armed).
  std::optional<MonoTime> armed_due_;
  env::TimerId next_timer_id_ = 1;
  std::atomic<bool> stop_requested_{false};
  // Set by the destructor: post() and schedule_after() from callbacks being destroyed
  // then drop their work instead of touching a half-destroyed io_context.
  bool tearing_down_ = false;
};

}  // namespace orbit::real
