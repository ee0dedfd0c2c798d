#include "sim/fault_points.h"

namespace orbit::sim {

FaultPointRegistry::FaultPointRegistry(uint64_t seed) : random_(env::mix64(seed ^ 0x62756767696679ULL)) {}

Result<void> FaultPointRegistry::set_defaults(const FaultPointDefaults& defaults) {
  if (!(defaults.enable_probability >= 0.0 && defaults.enable_probability <= 1.0)) {
    return Error{ErrorCode::kInvalidArgument, "fault_points.enable_probability must be in [0, 1]"};
  }
  if (!(defaults.fire_probability >= 0.0 && defaults.fire_probability <= 1.0)) {
    return Error{ErrorCode::kInvalidArgument, "fault_points.fire_probability must be in [0, 1]"};
  }
  defaults_ = defaults;
  return {};
}

Result<void> FaultPointRegistry::force(const std::string& name, double fire_probability) {
  if (!(fire_probability >= 0.0 && fire_probability <= 1.0)) {
    return Error{ErrorCode::kInvalidArgument, "fault point " + name + ": fire probability must be in [0, 1]"};
  }
  FaultSiteStats& stats = sites_[name];
  stats.enabled = true;
  stats.forced = true;
  stats.fire_probability = fire_probability;
  return {};
}

Result<void> FaultPointRegistry::force_delay(const std::string& name, Duration delay) {
  if (delay < Duration::zero()) return Error{ErrorCode::kInvalidArgument, "fault point " + name + ": negative delay"};
  if (auto r = force(name, 1.0); !r) return r;
  sites_[name].fixed_delay = delay;
  return {};
}

FaultSiteStats& FaultPointRegistry::site(std::string_view name) {
  auto it = sites_.find(name);
  if (it != sites_.end()) return it->second;
  FaultSiteStats stats;
  // "beyond.*" sites exceed the fault model: only a forced site fires.
  const bool beyond_model = name.substr(0, 7) == "beyond.";
  if (defaults_.active && !beyond_model && random_.chance(defaults_.enable_probability)) {
    stats.enabled = true;
    stats.fire_probability = defaults_.fire_probability;
  }
  return sites_.emplace(std::string(name), stats).first->second;
}

void FaultPointRegistry::disable_all() {
  defaults_.active = false;
  for (auto& [name, stats] : sites_) stats.fire_probability = 0.0;
}

bool FaultPointRegistry::fire(std::string_view name) {
  FaultSiteStats& stats = site(name);
  ++stats.reached;
  if (!stats.enabled || !random_.chance(stats.fire_probability)) return false;
  ++stats.fired;
  return true;
}

Duration FaultPointRegistry::delay(std::string_view name, Duration max) {
  if (!fire(name)) return Duration::zero();
  const FaultSiteStats& stats = sites_.find(name)->second;
  if (stats.fixed_delay) return *stats.fixed_delay;
  return random_.duration_between(Duration::zero(), max);
}

}  // namespace orbit::sim
