// The field types of history events and the descriptor that lets one generic routine encode,
// render, parse and compare every event kind: each event struct lists its fields once, in
// schema order, as (name, member pointer) pairs. Codecs visit them; nothing else repeats
// the list. Adding a field type is a compile error in every codec until it handles it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "runtime/env/time.h"

namespace orbit::history {

// An interned string: an index into its History's string table (first-use order). Only
// meaningful together with the table it came from; Sym{} (0) is the empty string.
struct Sym {
  uint32_t id = 0;
  friend bool operator==(Sym, Sym) = default;
  friend auto operator<=>(Sym, Sym) = default;
};

// A SHA-256 digest as 32 raw bytes (rendered as 64 lower-case hex digits).
struct Sha256 {
  std::array<uint8_t, 32> bytes{};
  friend bool operator==(const Sha256&, const Sha256&) = default;
  friend auto operator<=>(const Sha256&, const Sha256&) = default;
};

using OptInt = std::optional<int64_t>;
using Blob = std::vector<uint8_t>;
using SymList = std::vector<Sym>;
using IntList = std::vector<int64_t>;

// A closed set of names, one per enumerator; the enum's values are 0..N-1.
template <class E>
struct EnumNames;  // specialised beside each enum: static constexpr std::array<std::string_view, N> kNames

template <class E>
constexpr std::string_view enum_name(E e) {
  const auto i = static_cast<size_t>(e);
  return i < EnumNames<E>::kNames.size() ? EnumNames<E>::kNames[i] : std::string_view("?");
}

template <class E>
constexpr std::optional<E> parse_enum(std::string_view name) {
  for (size_t i = 0; i < EnumNames<E>::kNames.size(); ++i) {
    if (EnumNames<E>::kNames[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

template <class S, class T>
struct Field {
  std::string_view name;
  T S::*member;
  using type = T;
};

template <class S, class T>
constexpr Field<S, T> field(std::string_view name, T S::*member) {
  return Field<S, T>{name, member};
}

// Calls fn(name, value&) for every field of `event`, in schema order.
template <class Event, class Fn>
constexpr void for_each_field(Event& event, Fn&& fn) {
  using Plain = std::remove_const_t<Event>;
  std::apply([&](const auto&... f) { (fn(f.name, event.*(f.member)), ...); }, Plain::fields());
}

}  // namespace orbit::history
