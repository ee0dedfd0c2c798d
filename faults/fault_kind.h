// The kinds of fault a plan can hold, and which history events each records when applied:
// the one place that says which recorded events are injected faults (reports and the judge
// count them). Depends on the history schema only, so the judge can use it without the
// simulator or the plan's JSON.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "history/event.h"

namespace orbit::faults {

enum class FaultKind {
  kPartition,     // block links between two groups (both ways unless one_way)
  kHeal,          // unblock every link (clogs stay)
  kClog,          // hold frames on one directed link
  kUnclog,        // release them, in order
  kNetwork,       // a window of link parameters over the base, until the next network event
  kNetworkReset,  // back to the base link parameters
  kClockOffset,   // set a node's wall clock to accurate time + offset
  kClockJump,     // step a node's wall clock by delta
  kClockDrift,    // set a node's monotonic rate error, in ppm
  kCrash,         // kill a node's process (unsynced disk data lost)
  kRestart,       // boot a crashed node again
  kPause,         // stop a node for a duration, then resume it
  kDisk,          // change a node's disk behaviour (DiskMode)
};
std::string_view to_string(FaultKind kind);
std::optional<FaultKind> fault_kind_from_string(std::string_view name);
// Every kind's JSON name, in enum order ("partition", "heal", ...): for `orbit-sim list`
// and error messages.
const std::vector<std::string_view>& fault_kind_names();
// The history event kinds a plan fault of `kind` records when the World applies it (a pause
// records its resume too). The one list that says which recorded events are injected
// faults: reports count them with is_fault_event.
std::span<const history::EventKind> history_kinds(FaultKind kind);
// Whether `kind` is recorded by some plan fault (the union of history_kinds over FaultKind).
bool is_fault_event(history::EventKind kind);

}  // namespace orbit::faults
