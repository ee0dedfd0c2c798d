// The injector: turns a FaultPlan into World fault calls at the plan's true times, and
// heals everything at the start of the liveness phase.
//
// Each event runs as a world-level action (World::at) at its time; events at the same time
// run in plan order. The World records every fault call it performs, so the history shows
// what was applied. An event that cannot apply when its time comes (a restart of a node
// that is up, a crash of a node that is down, a pause of a node that is not up, a bit flip
// on a disk with no data) is not an error: the injector records "fault_skipped"
//   {"event": <index in the plan>, "kind": "<fault kind>", "reason": "<the World's error>"}
// attributed to the event's node (or to the world) and the run goes on. Random plans and
// hand-written ones therefore never abort a run on a transition the plan could not foresee.
//
// State the injector keeps between events (shared by the scheduled actions, which may run
// long after schedule_plan returns): each node's current disk config, so disk modes combine
// (latency and then eio gives both) until a disk "reset"; and a token per pause, so that a
// pause's resume never ends a later pause of the same node.
#pragma once

#include <optional>

#include "faults/fault_plan.h"
#include "runtime/env/result.h"
#include "sim/network.h"
#include "sim/sim_disk.h"
#include "sim/world.h"

namespace orbit::faults {

struct InjectorOptions {
  // What the plan's network windows are relative to, and what network_reset and heal_all
  // restore. Should equal the world's WorldConfig::network.
  sim::LinkConfig base_network;
  // What disk modes modify, and what a disk reset and heal_all restore. Should equal the
  // world's WorldConfig::disk.
  sim::DiskConfig base_disk;
  // The end of the safety phase (true time), when heal_all is due. When set, schedule_plan
  // refuses events at or after it (they would undo the healing), and a pause whose resume
  // would come at or after it is left for heal_all to resume.
  std::optional<Duration> safety_phase_end;

  // Ok, or kInvalidArgument naming the bad field ("injector.base_network.loss_probability
  // must be in [0, 1], got 2").
  [[nodiscard]] Result<void> validate() const;
};

// Validates the options and the plan against the world (node ids, every network window over
// the base config, times not before now and before safety_phase_end), then schedules every
// event. On error nothing is scheduled. Events are sorted stably by time first.
[[nodiscard]] Result<void> schedule_plan(sim::World& world, const FaultPlan& plan, const InjectorOptions& options);

// Ends every fault now, for the liveness phase. Records "liveness_phase_start"
// {"true_ns": now}, then: heals partitions, unclogs every directed link, resets every link
// to base_network, every disk to base_disk, every clock's drift and wall offset to 0,
// resumes paused nodes and restarts crashed ones. Errors only for invalid options.
[[nodiscard]] Result<void> heal_all(sim::World& world, const InjectorOptions& options);

// The link config of a network window: `base` with the window's overrides.
sim::LinkConfig window_config(const sim::LinkConfig& base, const NetworkWindow& window);
// A disk's config after a disk event: `current` with the mode's change, or `base` for
// kReset. kBitFlip changes nothing (it is an action, not a setting).
sim::DiskConfig disk_config_after(const sim::DiskConfig& current, const sim::DiskConfig& base,
                                  const DiskFault& fault);

}  // namespace orbit::faults
