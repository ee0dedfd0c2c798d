#include "runtime/config/actor_management.h"

#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <system_error>

#include "runtime/config/checks.h"
#include "runtime/config/duration.h"

namespace orbit::config {
namespace {

const std::string kTable = "actor_management.";

std::string key(const char* name) { return kTable + name; }

Problem check_all(const ActorManagementConfig& c) {
  if (Problem p = check_positive(key("lease_duration"), c.lease_duration)) return p;
  // Written so that NaN fails too.
  if (!(c.lease_renewal_fraction > 0.0 && c.lease_renewal_fraction < 1.0)) {
    return key("lease_renewal_fraction") + " must be in (0, 1), got " + format_double(c.lease_renewal_fraction);
  }
  if (!(c.max_clock_drift >= 0.0 && c.max_clock_drift < kMaxClockDriftLimit)) {
    return key("max_clock_drift") + " must be in [0, " + format_double(kMaxClockDriftLimit) +
           ") (a ratio: 0.001 is 1000 ppm), got " + format_double(c.max_clock_drift);
  }
  if (Problem p = check_not_negative(key("safety_margin"), c.safety_margin)) return p;
  if (Problem p = check_positive(key("snapshot_interval"), c.snapshot_interval)) return p;
  if (Problem p = check_positive(key("idle_timeout"), c.idle_timeout)) return p;
  // Every value from 1 up is fine, including those beyond TOML's int64 integers.
  if (c.max_concurrent_activations < 1) {
    return key("max_concurrent_activations") + " must be at least 1, got " +
           std::to_string(c.max_concurrent_activations);
  }
  if (c.max_mailbox_depth < 1) {
    return key("max_mailbox_depth") + " must be at least 1, got " + std::to_string(c.max_mailbox_depth);
  }
  if (c.snapshot_retained_versions < 1 || c.snapshot_retained_versions > kMaxSnapshotRetainedVersions) {
    return key("snapshot_retained_versions") + " must be between 1 and " +
           std::to_string(kMaxSnapshotRetainedVersions) + ", got " + std::to_string(c.snapshot_retained_versions);
  }

  // The safety core: a holder that renews only after it stopped trusting its lease would
  // either stall every activation or, worse, be tempted to act on a lease it cannot trust.
  const Duration renew = c.renew_after();
  const Duration validity = c.lease_validity();
  if (renew <= Duration(0)) {
    return key("lease_duration") + " " + quoted_duration(c.lease_duration) + " is too short: " +
           key("lease_renewal_fraction") + " " + format_double(c.lease_renewal_fraction) +
           " of it rounds down to zero";
  }
  if (!(validity > renew)) {
    return key("lease_renewal_fraction") + " " + format_double(c.lease_renewal_fraction) + " renews after " +
           quoted_duration(renew) + ", but a lease of " + key("lease_duration") + " " +
           quoted_duration(c.lease_duration) + " is only trusted for " + quoted_duration(validity) + " (after " +
           key("max_clock_drift") + " " + format_double(c.max_clock_drift) + " and " + key("safety_margin") + " " +
           quoted_duration(c.safety_margin) + "); lower the fraction, or lengthen the lease";
  }
  return std::nullopt;
}

}  // namespace

Duration ActorManagementConfig::renew_after() const {
  return Duration(static_cast<Duration::rep>(static_cast<double>(lease_duration.count()) * lease_renewal_fraction));
}

Duration ActorManagementConfig::lease_validity() const {
  const auto drift_allowance =
      Duration(static_cast<Duration::rep>(static_cast<double>(lease_duration.count()) * max_clock_drift));
  return lease_duration - drift_allowance - safety_margin;
}

Result<void> validate_actor_management(const ActorManagementConfig& config) {
  if (Problem p = check_all(config)) return make_error(ErrorCode::kInvalidArgument, std::move(*p));
  return {};
}

}  // namespace orbit::config
