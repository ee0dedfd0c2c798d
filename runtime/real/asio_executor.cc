#include "runtime/real/asio_executor.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <utility>

namespace orbit::real {

AsioExecutor::AsioExecutor() = default;

AsioExecutor::~AsioExecutor() {
  tearing_down_ = true;
  // Take the table out before destroying it, so that a callback whose destructor calls
  // cancel() finds an empty table rather than one in the middle of being cleared. The
  // io_context's own destructor then drops the queued posts unrun.
  std::unordered_map<env::TimerId, std::function<void()>> doomed;
  doomed.swap(callbacks_);
  deadlines_.clear();
  doomed.clear();
  boost::system::error_code ignored;
  wakeup_.cancel(ignored);
}

void AsioExecutor::post(std::function<void()> fn) {
  if (tearing_down_) return;
  boost::asio::post(io_, [this, fn = std::move(fn)]() {
    env::CurrentExecutorGuard guard(this);
    fn();
  });
}

env::TimerId AsioExecutor::schedule_after(Duration delay, std::function<void()> fn) {
  const env::TimerId id = next_timer_id_++;
  if (tearing_down_) return id;  // never fires; cancel() returns false
  delay = std::max(delay, Duration::zero());
  const MonoTime now = clock_.mono_now();
  // Saturate: "never" (Duration::max()) must not overflow into the past.
  const MonoTime due = delay > MonoTime::max() - now ? MonoTime::max() : now + delay;
  callbacks_.emplace(id, std::move(fn));
  deadlines_.push_back(Deadline{due, id});
  std::push_heap(deadlines_.begin(), deadlines_.end(), Later{});
  // Re-arm only for a new earliest deadline: a call timeout is usually later than the one
  // armed already, and then costs no timer operation at all.
  if (!armed_due_ || due < *armed_due_) arm_earliest();
  return id;
}

bool AsioExecutor::cancel(env::TimerId id) {
  auto it = callbacks_.find(id);
  if (it == callbacks_.end()) return false;
  // Destroyed last, once the tables are consistent: the callback may own a coroutine frame
  // whose destructor cancels another timer.
  std::function<void()> doomed = std::move(it->second);
  callbacks_.erase(it);
  if (callbacks_.empty()) {
    // Nothing live: drop the dead entries and disarm, so that run() can see it is out of
    // work instead of waiting for a wake-up that would find nothing to do.
    deadlines_.clear();
    armed_due_.reset();
    boost::system::error_code ignored;
    wakeup_.cancel(ignored);
    return true;
  }
  compact_if_sparse();
  return true;
}

void AsioExecutor::pop_dead() {
  while (!deadlines_.empty() && !callbacks_.contains(deadlines_.front().id)) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), Later{});
    deadlines_.pop_back();
  }
}

void AsioExecutor::compact_if_sparse() {
  if (deadlines_.size() <= 2 * callbacks_.size() + kHeapSlack) return;
  std::erase_if(deadlines_, [this](const Deadline& d) { return !callbacks_.contains(d.id); });
  std::make_heap(deadlines_.begin(), deadlines_.end(), Later{});
  assert(deadlines_.size() == callbacks_.size());
}

void AsioExecutor::arm_earliest() {
  pop_dead();
  if (deadlines_.empty()) {
    armed_due_.reset();
    boost::system::error_code ignored;
    wakeup_.cancel(ignored);
    return;
  }
  const MonoTime due = deadlines_.front().due;
  armed_due_ = due;
  // Read the node's clock now: with a constant offset the steady expiry then falls at or
  // after the due time on clock(); with a lowered offset on_expiry() re-arms.
  const MonoTime now = clock_.mono_now();
  const Duration remaining = due > now ? due - now : Duration::zero();
  // Re-arming cancels the wait in progress, whose completion then arrives with
  // operation_aborted and is ignored.
  wakeup_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(remaining));
  wakeup_.async_wait([this](const boost::system::error_code& ec) { on_expiry(ec); });
}

void AsioExecutor::on_expiry(const boost::system::error_code& ec) {
  if (ec == boost::asio::error::operation_aborted) return;  // re-armed or disarmed since
  // armed_due_ stays as it was (at or before now) until the re-arm below: a timer that a
  // callback schedules is due later, so it arms nothing, and the re-arm covers it.
  // Re-arms on every way out, an exception from a callback included: the timers left in
  // the heap must still fire when the node's owner runs the executor again.
  struct RearmOnExit {
    AsioExecutor* self;
    ~RearmOnExit() {
      if (!self->tearing_down_) self->arm_earliest();
    }
  } rearm{this};
  const MonoTime now = clock_.mono_now();
  // Timers scheduled from the callbacks below wait for the next expiry.
  const env::TimerId scheduled_before = next_timer_id_;
  for (size_t ran = 0; ran < kTimersPerExpiryMax; ++ran) {
    pop_dead();
    if (deadlines_.empty()) return;
    const Deadline next = deadlines_.front();
    if (next.due > now || next.id >= scheduled_before) return;
    std::pop_heap(deadlines_.begin(), deadlines_.end(), Later{});
    deadlines_.pop_back();
    auto it = callbacks_.find(next.id);
    assert(it != callbacks_.end());  // pop_dead() left a live entry on top
    std::function<void()> fn = std::move(it->second);
    callbacks_.erase(it);
    env::CurrentExecutorGuard guard(this);
    fn();
  }
}

void AsioExecutor::prepare_run() {
  stop_requested_.store(false);
  // An io_context that ran out of work (or was stopped) stays stopped until restarted.
  if (io_.stopped()) io_.restart();
}

size_t AsioExecutor::run() {
  prepare_run();
  return io_.run();
}

size_t AsioExecutor::run_for(Duration limit) {
  prepare_run();
  return io_.run_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit));
}

bool AsioExecutor::run_until(const std::function<bool()>& done, Duration limit) {
  prepare_run();
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit);
  while (!done()) {
    if (stop_requested_.load() || std::chrono::steady_clock::now() >= deadline) return false;
    if (io_.run_one_until(deadline) == 0 && io_.stopped()) {
      // Out of work (or stopped): nothing on this thread can change done() any more.
      return done();
    }
  }
  return true;
}

void AsioExecutor::stop() {
  stop_requested_.store(true);
  io_.stop();
}

}  // namespace orbit::real
