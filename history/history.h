// A run's history: a flat, append-only arena of typed events (history/event.h) and the
// string table their Syms index. Strings are interned in first-use order; the table only
// grows, so a Sym stays valid for the History's life. Events are appended in causal order,
// which for the simulator is true-time order.
//
// Not thread-safe: one writer (the simulator's loop, or a merge), any number of readers
// once writing is done.
#pragma once

#include <cstdint>
#include <cstddef>
#include <deque>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "history/event.h"

namespace orbit::history {

// The events of a history: append-only, in fixed-size chunks, so appending never moves
// what is already there (no reallocation copying the whole history, and references to
// events stay valid). Indexable and iterable like a vector.
class EventArena {
 public:
  static constexpr size_t kChunkEvents = 4096;

  class Iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Event;
    using difference_type = std::ptrdiff_t;
    using pointer = const Event*;
    using reference = const Event&;

    Iterator() = default;
    Iterator(const EventArena* arena, size_t i) : arena_(arena), i_(i) {}
    reference operator*() const { return (*arena_)[i_]; }
    pointer operator->() const { return &(*arena_)[i_]; }
    reference operator[](difference_type n) const { return (*arena_)[i_ + n]; }
    Iterator& operator++() { ++i_; return *this; }
    Iterator operator++(int) { Iterator t = *this; ++i_; return t; }
    Iterator& operator--() { --i_; return *this; }
    Iterator operator--(int) { Iterator t = *this; --i_; return t; }
    Iterator& operator+=(difference_type n) { i_ += n; return *this; }
    Iterator& operator-=(difference_type n) { i_ -= n; return *this; }
    friend Iterator operator+(Iterator it, difference_type n) { return it += n; }
    friend Iterator operator+(difference_type n, Iterator it) { return it += n; }
    friend Iterator operator-(Iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const Iterator& a, const Iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.i_ == b.i_; }
    friend auto operator<=>(const Iterator& a, const Iterator& b) { return a.i_ <=> b.i_; }

   private:
    const EventArena* arena_ = nullptr;
    size_t i_ = 0;
  };

  const Event& operator[](size_t i) const { return chunks_[i / kChunkEvents][i % kChunkEvents]; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Event& front() const { return (*this)[0]; }
  const Event& back() const { return (*this)[size_ - 1]; }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size_); }

  const Event& push_back(Event event) {
    if (size_ % kChunkEvents == 0) {
      chunks_.emplace_back();
      chunks_.back().reserve(kChunkEvents);
    }
    ++size_;
    return chunks_.back().emplace_back(std::move(event));
  }

 private:
  std::vector<std::vector<Event>> chunks_;  // each reserved to kChunkEvents: never reallocates
  size_t size_ = 0;
};

class History {
 public:
  History();
  History(const History& other);
  History& operator=(const History& other);
  History(History&&) noexcept = default;
  History& operator=(History&&) noexcept = default;

  // The Sym for `s`, adding it to the table on first use. intern("") is Sym{}.
  Sym intern(std::string_view s);
  // The string of a Sym of this history (asserts it is one).
  std::string_view str(Sym s) const;
  size_t string_count() const { return strings_.size(); }

  const Event& append(int64_t time_ns, int64_t node, Payload payload);
  // Appends an event of `source`, re-interning its names in this history.
  const Event& append_from(const History& source, const Event& event);

  const EventArena& events() const { return events_; }
  size_t size() const { return events_.size(); }
  const Event& operator[](size_t i) const { return events_[i]; }

  // Events of one kind, as indices into events(), in order.
  template <class T>
  std::vector<size_t> indices_of() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < events_.size(); ++i) {
      if (events_[i].is<T>()) out.push_back(i);
    }
    return out;
  }

 private:
  void rebuild_index();

  std::deque<std::string> strings_;  // stable addresses: index_ keys view into them
  std::unordered_map<std::string_view, uint32_t> index_;  // lookup only, never iterated
  EventArena events_;
};

// Two events (possibly of different histories) say the same thing: same kind, time, node
// and field values, names compared as strings.
bool same_event(const History& a, const Event& x, const History& b, const Event& y);
// Every event of a and b, pairwise.
bool same_history(const History& a, const History& b);

}  // namespace orbit::history
