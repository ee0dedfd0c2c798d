// env::Clock: a node's view of time.
#pragma once

#include "runtime/env/time.h"

namespace orbit::env {

class Clock {
 public:
  virtual ~Clock() = default;

  // Local wall-clock time. May jump backwards or forwards (NTP steps, operator action,
  // simulated clock faults) and may drift. Use it only to tag records for people; never
  // to measure an interval.
  virtual WallTime wall_now() const = 0;

  // Local monotonic time: never decreases, but runs at the node's own rate (drift), so
  // intervals measured on two nodes disagree by up to the configured maximum drift.
  // Leases and timeouts are measured on it.
  virtual MonoTime mono_now() const = 0;
};

}  // namespace orbit::env
