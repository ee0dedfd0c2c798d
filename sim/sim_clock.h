// A node's clock in the simulator, as a function of true time. Monotonic time runs at
// (1 + drift_ppm / 1e6) times the true rate and never steps; wall time is monotonic time
// plus an offset that faults can step in either direction (NTP steps, operator error).
// Changing the drift re-bases the clock at the current instant, so readings stay
// continuous. Timers convert local durations to true ones at the drift in force when
// they are scheduled; a later drift change does not move a timer already set.
#pragma once

#include <cstdint>

#include "runtime/env/clock.h"
#include "runtime/env/result.h"

namespace orbit::sim {

// Drift beyond +-50% is not a clock, it is a broken machine: rejected.
inline constexpr int64_t kMaxDriftPpm = 500000;

class SimClock final : public env::Clock {
 public:
  // `true_now_ns` points at the world's true time; `mono_start` is the monotonic reading
  // at true time zero (nodes start at different, arbitrary readings, as machines do);
  // `wall_offset` is wall minus monotonic.
  SimClock(const int64_t* true_now_ns, MonoTime mono_start, Duration wall_offset);

  WallTime wall_now() const override;
  MonoTime mono_now() const override;

  Result<void> set_drift_ppm(int64_t ppm);
  int64_t drift_ppm() const { return drift_ppm_; }
  void set_wall_offset(Duration offset) { wall_offset_ = offset; }
  Duration wall_offset() const { return wall_offset_; }
  // Steps wall time by `delta` (negative steps go back in time).
  void jump_wall(Duration delta) { wall_offset_ += delta; }

  // The true duration after which this clock will have advanced by `local` (rounded up,
  // so a timer never fires early by local reckoning).
  int64_t true_delay_ns(Duration local) const;

 private:
  const int64_t* true_now_ns_;
  int64_t base_true_ns_ = 0;
  int64_t base_mono_ns_;
  int64_t drift_ppm_ = 0;
  Duration wall_offset_;
};

}  // namespace orbit::sim
