#include "runtime/env/task_scope.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace orbit {

struct TaskScope::Detached {
  struct promise_type {
    TaskScope* scope = nullptr;
    uint64_t id = 0;

    Detached get_return_object() noexcept {
      return Detached{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    auto final_suspend() const noexcept {
      struct Reaper {
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<promise_type> self) const noexcept {
          self.promise().scope->on_finished(self.promise().id);
          self.destroy();
        }
        void await_resume() const noexcept {}
      };
      return Reaper{};
    }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { scope->on_exception(std::current_exception()); }
  };
  std::coroutine_handle<promise_type> handle;
};

TaskScope::TaskScope()
    : TaskScope([](std::exception_ptr error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "orbit: a spawned task threw: %s\n", e.what());
        } catch (...) {
          std::fprintf(stderr, "orbit: a spawned task threw a non-standard exception\n");
        }
        std::abort();
      }) {}

TaskScope::TaskScope(ErrorHandler on_error) : on_error_(std::move(on_error)) {}

TaskScope::~TaskScope() { cancel_all(); }

TaskScope::Detached TaskScope::run_detached(Task<void> task) { co_await std::move(task); }

void TaskScope::spawn(Task<void> task) {
  assert(!destroying_ && "spawn() while the scope is being destroyed");
  Detached detached = run_detached(std::move(task));
  const uint64_t id = next_id_++;
  detached.handle.promise().scope = this;
  detached.handle.promise().id = id;
  live_.emplace(id, detached.handle);
  detached.handle.resume();
}

void TaskScope::cancel_all() {
  destroying_ = true;
  // Detach the map first: destroying a frame runs destructors that must not find
  // themselves (or their siblings) half-erased.
  std::map<uint64_t, std::coroutine_handle<>> doomed;
  doomed.swap(live_);
  for (auto& [id, handle] : doomed) handle.destroy();
  destroying_ = false;
}

void TaskScope::on_finished(uint64_t id) noexcept {
  const size_t erased = live_.erase(id);
  assert(erased == 1);
  (void)erased;
}

void TaskScope::on_exception(std::exception_ptr error) noexcept { on_error_(error); }

}  // namespace orbit
