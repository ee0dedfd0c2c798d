// FaultPointRegistry: the simulator's side of env::FaultPoints. Each site is decided once
// per run, the first time any node reaches it: enabled with enable_probability, and then
// fires with fire_probability each time it is reached (FoundationDB's BUGGIFY). Tests and
// campaigns can force a site on with a chosen probability. Draws come from the registry's
// own stream, so switching fault points on never shifts node or network randomness... except
// through what the faults themselves change.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/env/random.h"
#include "runtime/env/result.h"
#include "runtime/env/time.h"

namespace orbit::sim {

struct FaultPointDefaults {
  bool active = false;               // off: no site fires unless forced
  double enable_probability = 0.25;  // per site, once per run
  double fire_probability = 0.25;    // per reach, when enabled
};

struct FaultSiteStats {
  bool enabled = false;
  bool forced = false;
  double fire_probability = 0.0;
  std::optional<Duration> fixed_delay;
  uint64_t reached = 0;
  uint64_t fired = 0;
};

class FaultPointRegistry {
 public:
  explicit FaultPointRegistry(uint64_t seed);

  Result<void> set_defaults(const FaultPointDefaults& defaults);
  // Enables `site` for this run, firing with `fire_probability` (1.0: every time).
  Result<void> force(const std::string& site, double fire_probability);
  // Makes `site` fire every time with exactly `delay` (tests that need a precise stall).
  Result<void> force_delay(const std::string& site, Duration delay);

  // Switches every site off for the rest of the run (the liveness phase: faults healed).
  // Counts are kept.
  void disable_all();

  bool fire(std::string_view site);
  Duration delay(std::string_view site, Duration max);

  const std::map<std::string, FaultSiteStats, std::less<>>& sites() const { return sites_; }

 private:
  FaultSiteStats& site(std::string_view name);

  env::Random random_;
  FaultPointDefaults defaults_;
  std::map<std::string, FaultSiteStats, std::less<>> sites_;
};

}  // namespace orbit::sim
