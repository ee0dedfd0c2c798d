// A run's history: a flat, append-only arena of typed events (history/event.h) and the
// string table their Syms index. Strings are interned in first-use order; the table only
// grows, so a Sym stays valid for the History's life. Events are appended in causal order,
// which for the simulator is true-time order.
//
// Not thread-safe: one writer (the simulator's loop, or a merge), any number of readers
// once writing is done.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "history/event.h"

namespace orbit::history {

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

  const std::vector<Event>& events() const { return events_; }
  size_t size() const { return events_.size(); }
  const Event& operator[](size_t i) const { return events_[i]; }
  void reserve(size_t events) { events_.reserve(events); }

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
  std::vector<Event> events_;
};

// Two events (possibly of different histories) say the same thing: same kind, time, node
// and field values, names compared as strings.
bool same_event(const History& a, const Event& x, const History& b, const Event& y);
// Every event of a and b, pairwise.
bool same_history(const History& a, const History& b);

}  // namespace orbit::history
