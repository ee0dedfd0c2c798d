// Task<T>: the runtime's coroutine type. Lazy (nothing runs until awaited or spawned),
// resumes its awaiter by symmetric transfer when it finishes after suspending, and carries
// exceptions to the awaiter.
//
// Stack depth: symmetric transfer is only stack-neutral when the compiler turns it into a
// tail call, which GCC does not do under ASan or at -O0. So awaiting a task starts it
// inline and, when it finishes without suspending (the common case of a long loop over
// ready results), the awaiter simply continues: no frame is nested, in any build. Only an
// asynchronous completion resumes the awaiter from the child's final suspension point,
// which nests at most as deep as the chain of awaiting tasks. Destroying a Task destroys its coroutine frame,
// wherever it is suspended, and with it every Task it was awaiting: that is how a crashed
// node's coroutines die. Every awaitable in this code base therefore unregisters itself
// (cancels its timer, leaves its wait list) in its destructor, so a destroyed frame is
// never resumed.
//
// Lambda coroutines: a capturing lambda that is itself a coroutine keeps its captures in
// the lambda object, not in the frame; if the lambda dies before the task finishes, the
// task reads freed memory. Pass state as parameters (copied into the frame) instead.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "runtime/env/frame_pool.h"

namespace orbit {

template <typename T = void>
class Task;

namespace detail {

class TaskPromiseBase {
 public:
  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <typename Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
      TaskPromiseBase& promise = self.promise();
      // Finished during the awaiter's inline start: return to it; it continues by itself.
      if (promise.starting_inline_) return std::noop_coroutine();
      return promise.continuation_;
    }
    void await_resume() const noexcept {}
  };

  // Frames come from the frame pool (frame_pool.h), not malloc.
  static void* operator new(std::size_t size) { return frame_pool::allocate(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { frame_pool::deallocate(frame, size); }

  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  // Runs the task until its first suspension or its end, on behalf of `continuation`.
  // Returns true when it suspended (the continuation will be resumed when it finishes).
  template <typename Promise>
  static bool start_for(std::coroutine_handle<Promise> task, std::coroutine_handle<> continuation) {
    TaskPromiseBase& promise = task.promise();
    promise.continuation_ = continuation;
    promise.starting_inline_ = true;
    task.resume();
    if (task.done()) return false;
    promise.starting_inline_ = false;
    return true;
  }
  void rethrow_if_failed() const {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  std::coroutine_handle<> continuation_ = std::noop_coroutine();
  std::exception_ptr exception_;
  bool starting_inline_ = false;
};

template <typename T>
class TaskPromise final : public TaskPromiseBase {
 public:
  Task<T> get_return_object() noexcept;

  template <typename U>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    value_.emplace(std::forward<U>(value));
  }

  T take_result() {
    rethrow_if_failed();
    assert(value_.has_value() && "Task finished without a value");
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class TaskPromise<void> final : public TaskPromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take_result() { rethrow_if_failed(); }
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using value_type = T;
  using Handle = std::coroutine_handle<promise_type>;

  Task() noexcept = default;
  explicit Task(Handle handle) noexcept : handle_(handle) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(handle_); }
  bool done() const noexcept { return handle_ && handle_.done(); }

  // Destroys the coroutine frame now (and every frame it was awaiting).
  void reset() noexcept {
    if (handle_) std::exchange(handle_, {}).destroy();
  }

  auto operator co_await() && noexcept { return Awaiter{handle_}; }
  auto operator co_await() & noexcept { return Awaiter{handle_}; }

 private:
  struct Awaiter {
    Handle handle;
    bool await_ready() const noexcept { return !handle || handle.done(); }
    // Note: the child runs inside this call; node code must not destroy the awaiting
    // coroutine's owner from there (the simulator forbids a node crashing itself).
    bool await_suspend(std::coroutine_handle<> awaiting) {
      return detail::TaskPromiseBase::start_for(handle, awaiting);
    }
    T await_resume() {
      assert(handle && "awaiting an empty Task");
      return handle.promise().take_result();
    }
  };

  Handle handle_;
};

namespace detail {
template <typename T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>{std::coroutine_handle<TaskPromise<T>>::from_promise(*this)};
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>{std::coroutine_handle<TaskPromise<void>>::from_promise(*this)};
}
}  // namespace detail

}  // namespace orbit
