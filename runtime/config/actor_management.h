// ActorManagementConfig: the actor/lease settings of orbit.toml's [actor_management] table,
// their one validation, and the one lease arithmetic the runtime uses.
//
// This is the only definition of these settings. config::OrbitConfig holds one (parsed from
// orbit.toml), actor::ActorSystemConfig derives from it (adding what orbit.toml does not
// configure), and faults::ModelLimits / the scenarios take their drift bound from the
// constants below. No TOML and no JSON here: this target depends on runtime/env only (and the
// duration spelling of runtime/config/duration.h for messages).
//
// Keys (all optional in orbit.toml; the defaults are the member initializers below):
//
//   lease_duration = "10s"              # duration string, > 0
//   lease_renewal_fraction = 0.5        # in (0, 1): renew after this fraction of the lease
//   max_clock_drift = 0.001             # in [0, 0.5): a ratio, 0.001 = 0.1% = 1000 ppm; how
//                                       # much faster or slower a node's clock may run than
//                                       # true time (kDefaultMaxClockDrift, the scenarios' value)
//   safety_margin = "500ms"             # duration, >= 0
//   snapshot_interval = "5s"            # duration, > 0 (the `periodic` persistence policy)
//   idle_timeout = "1m"                 # duration, > 0
//   max_concurrent_activations = 10000  # integer >= 1
//   max_mailbox_depth = 10000           # integer >= 1: calls queued per activation; beyond
//                                       # it a call fails at once with kOverloaded
//   snapshot_retained_versions = 3      # integer in [1, 1000]
//
// Cross-field rule (the lease safety core, DESIGN.md "Leases and fencing"): the holder trusts
// a lease for lease_validity() after sending the request and renews after renew_after(); the
// renewal must come strictly before the trust ends.
#pragma once

#include <cstdint>

#include "runtime/env/result.h"
#include "runtime/env/time.h"

namespace orbit::config {

// The default bound on clock drift, as a ratio: 0.001 = 1000 ppm. The one place this number
// is written; faults::ModelLimits and the scenarios derive theirs from it.
inline constexpr double kDefaultMaxClockDrift = 0.001;
// max_clock_drift must be below this (exclusive). At 0.5 a lease would be trusted for at most
// half its duration; beyond it, the drift is no longer a small correction.
inline constexpr double kMaxClockDriftLimit = 0.5;
// Upper bound of snapshot_retained_versions (kept per actor; a typo must not allocate much).
inline constexpr uint32_t kMaxSnapshotRetainedVersions = 1000;

// A drift ratio in parts per million, rounded to the nearest integer (halves away from
// zero): drift_ppm(0.001) == 1000, drift_ppm(0.01) == 10000, drift_ppm(-0.0000015) == -2.
// Rounding (not truncating) matters: binary floating point does not give exact ppm for
// every ratio a person writes (0.000249 * 1e6 is 248.99999999999997). Meant for ratios in
// (-1, 1); no overflow checks.
constexpr int64_t drift_ppm(double ratio) {
  const double ppm = ratio * 1e6;
  return static_cast<int64_t>(ppm >= 0.0 ? ppm + 0.5 : ppm - 0.5);
}

struct ActorManagementConfig {
  Duration lease_duration = std::chrono::seconds(10);
  double lease_renewal_fraction = 0.5;
  double max_clock_drift = kDefaultMaxClockDrift;  // a ratio: 0.001 is 0.1%, i.e. 1000 ppm
  Duration safety_margin = std::chrono::milliseconds(500);
  // Interval of kinds declared PersistencePolicy::periodic() without their own.
  Duration snapshot_interval = std::chrono::seconds(5);
  Duration idle_timeout = std::chrono::seconds(60);
  uint64_t max_concurrent_activations = 10000;
  uint64_t max_mailbox_depth = 10000;
  uint32_t snapshot_retained_versions = 3;

  // When the holder renews, after acquiring or renewing:
  //   Duration(static_cast<rep>(double(lease_duration.count()) * lease_renewal_fraction))
  // i.e. truncated to whole nanoseconds (down, for a valid config: renewing earlier is the
  // safe direction). The runtime's renewal loop waits exactly this.
  Duration renew_after() const;
  // How long after *sending* the acquire/renew request the holder may act on the lease:
  //   lease_duration - Duration(static_cast<rep>(double(lease_duration.count()) * max_clock_drift))
  //                  - safety_margin
  // The drift allowance is truncated to whole nanoseconds. This is THE lease validity: the
  // runtime (actor::lease_valid_until) and the validation below use it. May be negative for
  // a config that validate_actor_management refuses.
  Duration lease_validity() const;

  friend bool operator==(const ActorManagementConfig&, const ActorManagementConfig&) = default;
};

// Ok, or kInvalidArgument for the first problem, naming the orbit.toml key by its table
// path (no source-name prefix; config::validate_config adds one), e.g.
//   "actor_management.max_clock_drift must be in [0, 0.5) (a ratio: 0.001 is 1000 ppm), got 1"
// Checks, in order: lease_duration > 0; lease_renewal_fraction in (0, 1); max_clock_drift
// in [0, 0.5); safety_margin >= 0; snapshot_interval > 0; idle_timeout > 0;
// max_concurrent_activations >= 1; max_mailbox_depth >= 1; snapshot_retained_versions in [1, 1000]; then the
// cross-field rule: renew_after() > 0 and renew_after() < lease_validity(). NaN fails.
[[nodiscard]] Result<void> validate_actor_management(const ActorManagementConfig& config);

}  // namespace orbit::config
