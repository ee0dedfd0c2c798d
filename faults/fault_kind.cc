#include "faults/fault_kind.h"

#include <array>
#include <iterator>

namespace orbit::faults {
namespace {

constexpr std::string_view kKindNames[] = {
    "partition", "heal",        "clog",  "unclog",  "network", "network_reset", "clock_offset",
    "clock_jump", "clock_drift", "crash", "restart", "pause",   "disk",
};
}  // namespace

std::string_view to_string(FaultKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::optional<FaultKind> fault_kind_from_string(std::string_view name) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (kKindNames[i] == name) return static_cast<FaultKind>(i);
  }
  return std::nullopt;
}

const std::vector<std::string_view>& fault_kind_names() {
  static const std::vector<std::string_view> names(std::begin(kKindNames), std::end(kKindNames));
  return names;
}

std::span<const history::EventKind> history_kinds(FaultKind kind) {
  using K = history::EventKind;
  static constexpr K kPartition[] = {K::kPartition, K::kLinkBlock};
  static constexpr K kHeal[] = {K::kHeal};
  static constexpr K kClog[] = {K::kClog};
  static constexpr K kUnclog[] = {K::kUnclog};
  static constexpr K kNetwork[] = {K::kNetworkConfig};
  static constexpr K kClockOffset[] = {K::kClockOffset};
  static constexpr K kClockJump[] = {K::kClockJump};
  static constexpr K kClockDrift[] = {K::kClockDrift};
  static constexpr K kCrash[] = {K::kCrash};
  static constexpr K kRestart[] = {K::kRestart};
  static constexpr K kPause[] = {K::kPause, K::kResume};
  static constexpr K kDisk[] = {K::kDiskConfig, K::kDiskBitFlip, K::kDiskTornWrite};
  switch (kind) {
    case FaultKind::kPartition: return kPartition;
    case FaultKind::kHeal: return kHeal;
    case FaultKind::kClog: return kClog;
    case FaultKind::kUnclog: return kUnclog;
    case FaultKind::kNetwork:
    case FaultKind::kNetworkReset: return kNetwork;
    case FaultKind::kClockOffset: return kClockOffset;
    case FaultKind::kClockJump: return kClockJump;
    case FaultKind::kClockDrift: return kClockDrift;
    case FaultKind::kCrash: return kCrash;
    case FaultKind::kRestart: return kRestart;
    case FaultKind::kPause: return kPause;
    case FaultKind::kDisk: return kDisk;
  }
  return {};  // unreachable: the switch is exhaustive
}

bool is_fault_event(history::EventKind kind) {
  // Asked once per history event by the judge: a table built once, not a scan per call.
  static const std::array<bool, history::kKindCount> table = [] {
    std::array<bool, history::kKindCount> t{};
    for (size_t i = 0; i < std::size(kKindNames); ++i) {
      for (history::EventKind k : history_kinds(static_cast<FaultKind>(i))) t[static_cast<size_t>(k)] = true;
    }
    return t;
  }();
  const auto index = static_cast<size_t>(kind);
  return index < table.size() && table[index];
}

}  // namespace orbit::faults
