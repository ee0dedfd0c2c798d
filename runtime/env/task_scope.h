// TaskScope: owns detached coroutines. A node keeps one scope for everything it runs in
// the background (servers, timers, client loops); destroying the scope destroys every
// coroutine still suspended in it, which is exactly what a crash does to a process.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>

#include "runtime/env/task.h"

namespace orbit {

class TaskScope {
 public:
  // Called when a spawned task ends with an exception. The default prints the exception
  // and aborts: an escaped exception is a bug, and in the simulator a crash is a finding.
  using ErrorHandler = std::function<void(std::exception_ptr)>;

  TaskScope();
  explicit TaskScope(ErrorHandler on_error);
  ~TaskScope();
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;

  // Starts `task` now (it runs inline until its first suspension) and keeps its frame
  // until it finishes or the scope is destroyed.
  void spawn(Task<void> task);

  // Destroys every live task now (their awaiters cancel their timers and waits).
  void cancel_all();

  size_t live_count() const { return live_count_; }

  // A live task's place in the scope's list (spawn order): no map, no allocation.
  struct Link {
    Link* prev = nullptr;
    Link* next = nullptr;
    std::coroutine_handle<> handle;
  };

 private:
  struct Detached;
  static Detached run_detached(Task<void> task);
  void on_finished(Link* link) noexcept;
  void on_exception(std::exception_ptr error) noexcept;

  ErrorHandler on_error_;
  Link head_;  // sentinel of a circular list
  size_t live_count_ = 0;
  bool destroying_ = false;
};

}  // namespace orbit
