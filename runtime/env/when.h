// Combinators over Tasks: when_all (wait for every task), when_any (the first to finish
// wins; the others are destroyed, which cancels whatever they were waiting on) and
// with_timeout (when_any against a sleep).
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "runtime/env/result.h"
#include "runtime/env/sleep.h"
#include "runtime/env/task.h"

namespace orbit {

// A void task's result inside a tuple or variant.
struct Unit {
  friend bool operator==(Unit, Unit) { return true; }
};

template <typename T>
using NonVoid = std::conditional_t<std::is_void_v<T>, Unit, T>;

namespace detail {

// Joins children: each finished child asks what to resume next. The parent is resumed
// exactly once, by symmetric transfer from the child that completes the join, and never
// while the parent's await_suspend is still starting children (the extra count below).
class Join {
 public:
  virtual std::coroutine_handle<> on_child_done(size_t index) noexcept = 0;

 protected:
  ~Join() = default;
};

// The wrapper coroutine run per child: it owns the child task, stores its outcome, then
// reports to the join from its final suspension point (where destroying it is safe).
class ChildRunner {
 public:
  struct promise_type {
    Join* join = nullptr;
    size_t index = 0;
    ChildRunner get_return_object() noexcept {
      return ChildRunner{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    auto final_suspend() const noexcept {
      struct Report {
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> self) const noexcept {
          return self.promise().join->on_child_done(self.promise().index);
        }
        void await_resume() const noexcept {}
      };
      return Report{};
    }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }
  };

  ChildRunner() = default;
  explicit ChildRunner(std::coroutine_handle<promise_type> h) : handle_(h) {}
  ChildRunner(ChildRunner&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
  ChildRunner& operator=(ChildRunner&& o) noexcept {
    if (this != &o) {
      reset();
      handle_ = std::exchange(o.handle_, {});
    }
    return *this;
  }
  ~ChildRunner() { reset(); }

  void attach(Join* join, size_t index) {
    handle_.promise().join = join;
    handle_.promise().index = index;
  }
  void start() { handle_.resume(); }
  void reset() {
    if (handle_) std::exchange(handle_, {}).destroy();
  }

 private:
  std::coroutine_handle<promise_type> handle_;
};

template <typename T>
struct Outcome {
  std::optional<NonVoid<T>> value;
  std::exception_ptr error;

  NonVoid<T> take() {
    if (error) std::rethrow_exception(error);
    assert(value.has_value());
    return std::move(*value);
  }
};

template <typename T>
ChildRunner run_child(Task<T> task, Outcome<T>& out) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      out.value.emplace();
    } else {
      out.value.emplace(co_await std::move(task));
    }
  } catch (...) {
    out.error = std::current_exception();
  }
}

class AllJoin final : public Join {
 public:
  explicit AllJoin(std::vector<ChildRunner>& children) : children_(children) {
    for (size_t i = 0; i < children_.size(); ++i) children_[i].attach(this, i);
    pending_ = children_.size() + 1;
  }
  std::coroutine_handle<> on_child_done(size_t) noexcept override {
    return --pending_ == 0 ? parent_ : std::noop_coroutine();
  }
  bool await_ready() const noexcept { return children_.empty(); }
  bool await_suspend(std::coroutine_handle<> parent) {
    parent_ = parent;
    for (auto& child : children_) child.start();
    return --pending_ != 0;
  }
  void await_resume() const noexcept {}

 private:
  std::vector<ChildRunner>& children_;
  std::coroutine_handle<> parent_;
  size_t pending_ = 0;
};

class AnyJoin final : public Join {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  explicit AnyJoin(std::vector<ChildRunner>& children) : children_(children) {
    for (size_t i = 0; i < children_.size(); ++i) children_[i].attach(this, i);
  }
  std::coroutine_handle<> on_child_done(size_t index) noexcept override {
    if (winner_ != kNone) return std::noop_coroutine();
    winner_ = index;
    return starting_ ? std::noop_coroutine() : parent_;
  }
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> parent) {
    assert(!children_.empty() && "when_any of nothing");
    parent_ = parent;
    starting_ = true;
    for (auto& child : children_) {
      if (winner_ != kNone) break;
      child.start();
    }
    starting_ = false;
    return winner_ == kNone;
  }
  size_t await_resume() const noexcept { return winner_; }

 private:
  std::vector<ChildRunner>& children_;
  std::coroutine_handle<> parent_;
  size_t winner_ = kNone;
  bool starting_ = false;
};

}  // namespace detail

// Runs every task concurrently and returns their results in order. If any task throws,
// the exception of the lowest-index failing task is rethrown after all have finished.
template <typename T>
Task<std::vector<NonVoid<T>>> when_all(std::vector<Task<T>> tasks) {
  std::vector<detail::Outcome<T>> outcomes(tasks.size());
  std::vector<detail::ChildRunner> children;
  children.reserve(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    children.push_back(detail::run_child(std::move(tasks[i]), outcomes[i]));
  }
  co_await detail::AllJoin(children);
  std::vector<NonVoid<T>> results;
  results.reserve(outcomes.size());
  for (auto& outcome : outcomes) results.push_back(outcome.take());
  co_return results;
}

// Heterogeneous form: when_all(task_a, task_b, ...) -> tuple of results (Unit for void).
template <typename... Ts>
Task<std::tuple<NonVoid<Ts>...>> when_all(Task<Ts>... tasks) {
  std::tuple<detail::Outcome<Ts>...> outcomes;
  std::vector<detail::ChildRunner> children;
  children.reserve(sizeof...(Ts));
  [&]<size_t... I>(std::index_sequence<I...>) {
    (children.push_back(detail::run_child(std::move(tasks), std::get<I>(outcomes))), ...);
  }(std::index_sequence_for<Ts...>{});
  co_await detail::AllJoin(children);
  co_return std::apply([](auto&... o) { return std::tuple<NonVoid<Ts>...>(o.take()...); },
                       outcomes);
}

template <typename T>
struct AnyResult {
  size_t index;      // which task finished first
  NonVoid<T> value;  // its result
};

// Runs the tasks until the first one finishes; the others are destroyed at that moment
// (their pending timers and waits are cancelled). The winner's exception propagates.
template <typename T>
Task<AnyResult<T>> when_any(std::vector<Task<T>> tasks) {
  std::vector<detail::Outcome<T>> outcomes(tasks.size());
  std::vector<detail::ChildRunner> children;
  children.reserve(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    children.push_back(detail::run_child(std::move(tasks[i]), outcomes[i]));
  }
  const size_t winner = co_await detail::AnyJoin(children);
  children.clear();  // cancel the losers before anything else runs
  co_return AnyResult<T>{winner, outcomes[winner].take()};
}

// Heterogeneous form: the variant's index says which task won.
template <typename... Ts>
Task<std::variant<NonVoid<Ts>...>> when_any(Task<Ts>... tasks) {
  std::tuple<detail::Outcome<Ts>...> outcomes;
  std::vector<detail::ChildRunner> children;
  children.reserve(sizeof...(Ts));
  [&]<size_t... I>(std::index_sequence<I...>) {
    (children.push_back(detail::run_child(std::move(tasks), std::get<I>(outcomes))), ...);
  }(std::index_sequence_for<Ts...>{});
  const size_t winner = co_await detail::AnyJoin(children);
  children.clear();
  using Variant = std::variant<NonVoid<Ts>...>;
  std::optional<Variant> result;
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((winner == I ? (void)result.emplace(std::in_place_index<I>, std::get<I>(outcomes).take())
                  : (void)0),
     ...);
  }(std::index_sequence_for<Ts...>{});
  co_return std::move(*result);
}

namespace detail {
inline Task<void> sleep_task(env::Executor& executor, Duration delay) {
  co_await sleep(executor, delay);
}
template <typename T>
struct IsResult : std::false_type {};
template <typename U>
struct IsResult<Result<U>> : std::true_type {};
}  // namespace detail

// Runs `task` for at most `limit` on `executor`'s clock. On timeout the task is destroyed
// and the result is an ErrorCode::kTimeout error. A task that already returns Result<U>
// gives Result<U> (not a nested Result).
template <typename T>
auto with_timeout(env::Executor& executor, Task<T> task, Duration limit) {
  using Out = std::conditional_t<detail::IsResult<T>::value, T, Result<T>>;
  return [](env::Executor& ex, Task<T> t, Duration d) -> Task<Out> {
    auto outcome = co_await when_any(std::move(t), detail::sleep_task(ex, d));
    if (outcome.index() == 1) {
      co_return Error{ErrorCode::kTimeout, "timed out"};
    }
    if constexpr (std::is_void_v<T>) {
      co_return Out{};
    } else {
      co_return std::move(std::get<0>(outcome));
    }
  }(executor, std::move(task), limit);
}

template <typename T>
auto with_timeout(Task<T> task, Duration limit) {
  env::Executor* executor = env::current_executor();
  assert(executor != nullptr && "with_timeout outside any executor callback");
  return with_timeout(*executor, std::move(task), limit);
}

}  // namespace orbit
