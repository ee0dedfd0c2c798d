// The actor runtime's settings ([actor_management] and [placement] in orbit.toml).
#pragma once

#include <cstddef>
#include <string>

#include "runtime/env/result.h"
#include "runtime/env/time.h"

namespace orbit::actor {

enum class PlacementPolicy { kLocal, kLeastLoaded, kRandom };

struct ActorSystemConfig {
  Duration lease_duration = 10s;
  double lease_renewal_fraction = 0.5;  // renew after this share of the duration
  double max_clock_drift = 0.001;       // fraction (0.001 = 1000 ppm)
  Duration safety_margin = 500ms;
  Duration idle_timeout = 60s;
  // Interval of kinds declared PersistencePolicy::periodic() without their own.
  Duration snapshot_interval = 5s;
  size_t max_concurrent_activations = 10000;
  size_t snapshot_retained_versions = 3;
  PlacementPolicy placement = PlacementPolicy::kLocal;
  size_t vnodes_per_member = 64;
  // Internal hops (caller -> owner -> activation node, activation -> store).
  Duration internal_call_timeout = 2s;
  // Client-side retry of calls that were definitely not applied.
  Duration retry_backoff_min = 20ms;
  Duration retry_backoff_max = 500ms;

  // An error naming the first bad field.
  Result<void> validate() const;
};

}  // namespace orbit::actor
