#include "history/history.h"

#include <cassert>

#include "history/canonical.h"

namespace orbit::history {

History::History() { strings_.emplace_back(); rebuild_index(); }

History::History(const History& other) : strings_(other.strings_), events_(other.events_) { rebuild_index(); }

History& History::operator=(const History& other) {
  if (this == &other) return *this;
  strings_ = other.strings_;
  events_ = other.events_;
  rebuild_index();
  return *this;
}

void History::rebuild_index() {
  index_.clear();
  for (size_t i = 0; i < strings_.size(); ++i) index_.emplace(strings_[i], static_cast<uint32_t>(i));
}

Sym History::intern(std::string_view s) {
  if (s.empty()) return Sym{};  // the common "no error" costs no lookup
  if (auto it = index_.find(s); it != index_.end()) return Sym{it->second};
  const auto id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  index_.emplace(strings_.back(), id);
  return Sym{id};
}

std::string_view History::str(Sym s) const {
  assert(s.id < strings_.size() && "a Sym of another history");
  return strings_[s.id];
}

const Event& History::append(int64_t time_ns, int64_t node, Payload payload) {
  return events_.push_back(Event{time_ns, node, std::move(payload)});
}

const Event& History::append_from(const History& source, const Event& event) {
  Payload payload = event.payload;
  std::visit(
      [&](auto& p) {
        for_each_field(p, [&](std::string_view, auto& value) {
          using T = std::remove_cvref_t<decltype(value)>;
          if constexpr (std::is_same_v<T, Sym>) {
            value = intern(source.str(value));
          } else if constexpr (std::is_same_v<T, SymList>) {
            for (Sym& s : value) s = intern(source.str(s));
          }
        });
      },
      payload);
  return append(event.time_ns, event.node, std::move(payload));
}

bool same_event(const History& a, const Event& x, const History& b, const Event& y) {
  std::string bx, by;
  encode_canonical(a, x, bx);
  encode_canonical(b, y, by);
  return bx == by;
}

bool same_history(const History& a, const History& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!same_event(a, a[i], b, b[i])) return false;
  }
  return true;
}

}  // namespace orbit::history
