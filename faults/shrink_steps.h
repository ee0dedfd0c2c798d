// The steps that make a fault plan smaller, shared by RapidCheck's shrinking (properties/)
// and `orbit-sim shrink` (delta debugging, tools/shrink_command.h): which events form one
// episode, and milder versions of one event. Each step keeps the plan valid for the same
// node count; none makes an in-model event beyond the model.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "faults/fault_plan.h"

namespace orbit::faults {

// Groups of event indices that form one fault episode (a start event and the event that
// ends it: crash/restart, partition/heal, clog/unclog, network/network_reset, drift/drift 0,
// disk mode/disk reset); every other event is an episode of its own. In plan order.
std::vector<std::vector<size_t>> episodes(const FaultPlan& plan);

// The plan with the two-event episode `group` ending halfway between its start and its end
// (whole milliseconds), or with the pause `group` lasting half as long; nullopt when it is
// already 1 ms or shorter. Events are re-sorted.
std::optional<FaultPlan> shorten_episode(const FaultPlan& plan, const std::vector<size_t>& group);

// Milder versions of one event, each changing one thing: a smaller partition side or a
// one-way one, lower loss/duplication/reordering, half the latency, half the clock step or
// drift, a lower disk error probability, half the disk latency, more disk capacity.
std::vector<FaultEvent> milder_variants(const FaultEvent& event);

}  // namespace orbit::faults
