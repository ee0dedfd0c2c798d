#include "runtime/env/task_scope.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "runtime/env/frame_pool.h"

namespace orbit {

struct TaskScope::Detached {
  struct promise_type {
    TaskScope* scope = nullptr;
    Link link;

    static void* operator new(std::size_t size) { return frame_pool::allocate(size); }
    static void operator delete(void* frame, std::size_t size) noexcept { frame_pool::deallocate(frame, size); }

    Detached get_return_object() noexcept {
      return Detached{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    auto final_suspend() const noexcept {
      struct Reaper {
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<promise_type> self) const noexcept {
          self.promise().scope->on_finished(&self.promise().link);
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

TaskScope::TaskScope(ErrorHandler on_error) : on_error_(std::move(on_error)) { head_.prev = head_.next = &head_; }

TaskScope::~TaskScope() { cancel_all(); }

TaskScope::Detached TaskScope::run_detached(Task<void> task) { co_await std::move(task); }

void TaskScope::spawn(Task<void> task) {
  assert(!destroying_ && "spawn() while the scope is being destroyed");
  Detached detached = run_detached(std::move(task));
  auto& promise = detached.handle.promise();
  promise.scope = this;
  Link& link = promise.link;
  link.handle = detached.handle;
  link.prev = head_.prev;
  link.next = &head_;
  head_.prev->next = &link;
  head_.prev = &link;
  ++live_count_;
  detached.handle.resume();
}

void TaskScope::cancel_all() {
  destroying_ = true;
  // Detach the list first: destroying a frame runs destructors that must not find
  // themselves (or their siblings) half-unlinked. Handles are collected before any frame
  // (which holds its own link) is destroyed.
  std::vector<std::coroutine_handle<>> doomed;
  doomed.reserve(live_count_);
  for (Link* link = head_.next; link != &head_;) {
    Link* next = link->next;
    doomed.push_back(link->handle);
    link->prev = link->next = nullptr;
    link = next;
  }
  head_.prev = head_.next = &head_;
  live_count_ = 0;
  for (std::coroutine_handle<> handle : doomed) handle.destroy();
  destroying_ = false;
}

void TaskScope::on_finished(Link* link) noexcept {
  assert(link->prev != nullptr && "a task finished while its scope was destroying it");
  link->prev->next = link->next;
  link->next->prev = link->prev;
  link->prev = link->next = nullptr;
  assert(live_count_ > 0);
  --live_count_;
}

void TaskScope::on_exception(std::exception_ptr error) noexcept { on_error_(error); }

}  // namespace orbit
