#include "history/event.h"

#include <array>

namespace orbit::history {
namespace {

template <size_t... I>
constexpr std::array<std::string_view, kKindCount> make_names(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, Payload>::kName...};
}
constexpr auto kNames = make_names(std::make_index_sequence<kKindCount>{});

}  // namespace

std::string_view kind_name(EventKind kind) {
  const auto i = static_cast<size_t>(kind);
  return i < kNames.size() ? kNames[i] : std::string_view("?");
}

std::optional<EventKind> parse_kind(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

}  // namespace orbit::history
