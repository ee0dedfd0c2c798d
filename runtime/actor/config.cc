#include "runtime/actor/config.h"

#include "runtime/actor/lease_validity.h"

namespace orbit::actor {

Result<void> ActorSystemConfig::validate() const {
  auto bad = [](std::string what) { return Error{ErrorCode::kInvalidArgument, std::move(what)}; };
  if (lease_duration <= Duration::zero()) return bad("actor_management.lease_duration must be positive");
  if (!(lease_renewal_fraction > 0.0 && lease_renewal_fraction < 1.0)) {
    return bad("actor_management.lease_renewal_fraction must be in (0, 1)");
  }
  if (!(max_clock_drift >= 0.0 && max_clock_drift < 0.5)) {
    return bad("actor_management.max_clock_drift must be in [0, 0.5)");
  }
  if (safety_margin < Duration::zero()) return bad("actor_management.safety_margin must not be negative");
  const Duration validity = lease_valid_until(MonoTime{}, lease_duration, max_clock_drift, safety_margin).time_since_epoch();
  const auto renew_after = Duration(static_cast<Duration::rep>(lease_duration.count() * lease_renewal_fraction));
  if (validity <= renew_after) {
    return bad("actor_management.lease_renewal_fraction renews after the lease's validity ends "
               "(lease_duration shortened by max_clock_drift and safety_margin)");
  }
  if (idle_timeout <= Duration::zero()) return bad("actor_management.idle_timeout must be positive");
  if (snapshot_interval <= Duration::zero()) return bad("actor_management.snapshot_interval must be positive");
  if (max_concurrent_activations == 0) return bad("actor_management.max_concurrent_activations must be positive");
  if (snapshot_retained_versions == 0) return bad("actor_management.snapshot_retained_versions must be at least 1");
  if (vnodes_per_member == 0) return bad("placement.vnodes_per_member must be positive");
  if (internal_call_timeout <= Duration::zero()) return bad("actor_management.internal_call_timeout must be positive");
  if (retry_backoff_min <= Duration::zero() || retry_backoff_max < retry_backoff_min) {
    return bad("actor_management.retry_backoff_min/max must be positive and ordered");
  }
  return {};
}

}  // namespace orbit::actor
