#include "runtime/real/asio_executor.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <utility>

namespace orbit::real {

AsioExecutor::AsioExecutor() = default;

AsioExecutor::~AsioExecutor() {
  tearing_down_ = true;
  // Take the table out before destroying it, so that a callback whose destructor calls
  // cancel() finds an empty table rather than one in the middle of being cleared. The
  // io_context's own destructor then drops the queued posts unrun.
  std::map<env::TimerId, std::unique_ptr<PendingTimer>> doomed;
  doomed.swap(timers_);
  doomed.clear();
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
  auto pending = std::make_unique<PendingTimer>(io_);
  // Read the node's clock before arming the steady timer, so that with a constant offset
  // the steady expiry can only fall at or after the due time on clock().
  const MonoTime now = clock_.mono_now();
  // Saturate: "never" (Duration::max()) must not overflow into the past.
  pending->due = delay > MonoTime::max() - now ? MonoTime::max() : now + delay;
  pending->fn = std::move(fn);
  PendingTimer& ref = *pending;
  timers_.emplace(id, std::move(pending));
  arm(id, ref, delay);
  return id;
}

void AsioExecutor::arm(env::TimerId id, PendingTimer& pending, Duration delay) {
  pending.timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay));
  // The handler holds only the id: a cancelled or finished timer is simply not found.
  pending.timer.async_wait([this, id](const boost::system::error_code&) { on_timer(id); });
}

void AsioExecutor::on_timer(env::TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;  // cancelled; its aborted wait completes here
  const MonoTime now = clock_.mono_now();
  if (now < it->second->due) {
    arm(id, *it->second, it->second->due - now);
    return;
  }
  std::function<void()> fn = std::move(it->second->fn);
  // Erasing the timer inside its own completion is safe: asio released the wait before
  // calling us, and nothing else is pending on this timer.
  timers_.erase(it);
  env::CurrentExecutorGuard guard(this);
  fn();
}

bool AsioExecutor::cancel(env::TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return false;
  timers_.erase(it);  // the steady_timer's destructor cancels its wait
  return true;
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
