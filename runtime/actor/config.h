// The actor runtime's settings: orbit.toml's [actor_management] (config::ActorManagementConfig,
// the one struct for them, with its validation and lease arithmetic) plus what orbit.toml does
// not configure there ([placement], call timeouts and retry backoffs).
#pragma once

#include <cstdint>

#include "runtime/config/actor_management.h"
#include "runtime/env/result.h"
#include "runtime/env/time.h"

namespace orbit::actor {

enum class PlacementPolicy { kLocal, kLeastLoaded, kRandom };

// lease_duration, lease_renewal_fraction, max_clock_drift (default
// config::kDefaultMaxClockDrift, 0.001), safety_margin, snapshot_interval, idle_timeout,
// max_concurrent_activations and snapshot_retained_versions come from the base;
// renew_after() and lease_validity() are the runtime's lease arithmetic.
struct ActorSystemConfig : config::ActorManagementConfig {
  PlacementPolicy placement = PlacementPolicy::kLocal;   // [placement] policy
  uint32_t vnodes_per_member = 64;                        // [placement] vnodes_per_member
  // Internal hops (caller -> owner -> activation node, activation -> store).
  Duration internal_call_timeout = 2s;
  // Client-side retry of calls that were definitely not applied.
  Duration retry_backoff_min = 20ms;
  Duration retry_backoff_max = 500ms;

  // An error naming the first bad field: config::validate_actor_management's message
  // (e.g. "actor_management.max_clock_drift must be in [0, 0.5) ..."), then this struct's own.
  Result<void> validate() const;
};

}  // namespace orbit::actor
