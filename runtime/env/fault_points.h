// env::FaultPoints: BUGGIFY-style fault sites in runtime code (FoundationDB's Buggify.h).
// A site is a named place where the runtime can misbehave in a way the design must
// survive: a renewal sent late, a reply dropped after the work was committed, a snapshot
// write slowed between the lease check and the send. In the simulator each site is
// switched on or off once per run (from the run's seed) and, when on, fires with a
// probability each time it is reached; hits are counted so a campaign can prove every
// enabled site actually fired. In real mode nothing ever fires.
#pragma once

#include <string_view>

#include "runtime/env/time.h"

namespace orbit::env {

class FaultPoints {
 public:
  virtual ~FaultPoints() = default;
  // True when the site `name` fires now. Deterministic in the simulator.
  virtual bool fire(std::string_view name) = 0;
  // A delay to inject at site `name`: zero unless the site fires, then up to `max`.
  virtual Duration delay(std::string_view name, Duration max) = 0;
};

// Production: never fires.
class NoFaultPoints final : public FaultPoints {
 public:
  bool fire(std::string_view) override { return false; }
  Duration delay(std::string_view, Duration) override { return Duration::zero(); }
};

}  // namespace orbit::env
