// OneShot<T>: a value set once by one party and awaited by coroutines. The pending-call
// table of an RPC layer is built on it: the reply handler sets, the caller awaits. Waiters
// are resumed inline by set(), in the order they began waiting. A waiter whose coroutine is
// destroyed leaves the wait list. A resumed waiter may destroy the OneShot itself (the
// caller erases its pending-call entry): set() notices and touches nothing afterwards.
#pragma once

#include <cassert>
#include <coroutine>
#include <optional>
#include <type_traits>
#include <utility>

#include "runtime/env/task.h"

namespace orbit {

template <typename T>
class OneShot {
 public:
  OneShot() = default;
  OneShot(const OneShot&) = delete;
  OneShot& operator=(const OneShot&) = delete;
  ~OneShot() {
    assert(head_ == nullptr && "OneShot destroyed with waiters");
    if (destroyed_flag_ != nullptr) *destroyed_flag_ = true;
  }

  bool is_set() const { return value_.has_value(); }

  // Sets the value (only the first call counts; returns false on later calls) and resumes
  // every waiter.
  bool set(T value) {
    if (value_) return false;
    value_.emplace(std::move(value));
    bool destroyed = false;
    destroyed_flag_ = &destroyed;
    while (head_ != nullptr) {
      Waiter* w = head_;
      unlink(w);
      w->handle.resume();
      if (destroyed) return true;
    }
    destroyed_flag_ = nullptr;
    return true;
  }

  class Waiter {
   public:
    explicit Waiter(OneShot& shot, bool take = false) : shot_(&shot), take_(take) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    ~Waiter() {
      if (linked_) shot_->unlink(this);
    }
    bool await_ready() const noexcept { return shot_->value_.has_value(); }
    void await_suspend(std::coroutine_handle<> h) {
      handle = h;
      shot_->link(this);
    }
    T await_resume() const {
      if constexpr (std::is_copy_constructible_v<T>) {
        if (!take_) return *shot_->value_;
      } else {
        assert(take_ && "a move-only value can only be taken");
      }
      return std::move(*shot_->value_);
    }

   private:
    friend class OneShot;
    OneShot* shot_;
    bool take_;
    std::coroutine_handle<> handle;
    Waiter* next_ = nullptr;
    Waiter* prev_ = nullptr;
    bool linked_ = false;
  };

  // co_await shot.wait() returns a copy of the value.
  Waiter wait() { return Waiter(*this); }
  // co_await shot.take() moves the value out: for the single waiter of a reply (an RPC
  // caller), which must not pay for a copy of a message.
  Waiter take() { return Waiter(*this, /*take=*/true); }

 private:
  void link(Waiter* w) {
    w->prev_ = tail_;
    w->next_ = nullptr;
    if (tail_) tail_->next_ = w; else head_ = w;
    tail_ = w;
    w->linked_ = true;
  }
  void unlink(Waiter* w) {
    assert(w->linked_);
    if (w->prev_) w->prev_->next_ = w->next_; else head_ = w->next_;
    if (w->next_) w->next_->prev_ = w->prev_; else tail_ = w->prev_;
    w->linked_ = false;
  }

  std::optional<T> value_;
  bool* destroyed_flag_ = nullptr;  // set while set() is resuming waiters
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
};

}  // namespace orbit
