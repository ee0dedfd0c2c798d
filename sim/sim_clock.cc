#include "sim/sim_clock.h"

#include <cassert>
#include <string>

namespace orbit::sim {

SimClock::SimClock(const int64_t* true_now_ns, MonoTime mono_start, Duration wall_offset)
    : true_now_ns_(true_now_ns), base_mono_ns_(to_nanos(mono_start)), wall_offset_(wall_offset) {}

MonoTime SimClock::mono_now() const {
  const int64_t elapsed = *true_now_ns_ - base_true_ns_;
  assert(elapsed >= 0 && "true time went backwards");
  if (drift_ppm_ == 0) return MonoTime(Duration(base_mono_ns_ + elapsed));
  const __int128 scaled = static_cast<__int128>(elapsed) * (1000000 + drift_ppm_) / 1000000;
  return MonoTime(Duration(base_mono_ns_ + static_cast<int64_t>(scaled)));
}

WallTime SimClock::wall_now() const {
  return WallTime(mono_now().time_since_epoch() + wall_offset_);
}

Result<void> SimClock::set_drift_ppm(int64_t ppm) {
  if (ppm < -kMaxDriftPpm || ppm > kMaxDriftPpm) {
    return Error{ErrorCode::kInvalidArgument,
                 "clock.drift_ppm must be in [-500000, 500000], got " + std::to_string(ppm)};
  }
  base_mono_ns_ = to_nanos(mono_now());
  base_true_ns_ = *true_now_ns_;
  drift_ppm_ = ppm;
  return {};
}

int64_t SimClock::true_delay_ns(Duration local) const {
  const int64_t local_ns = local.count();
  if (local_ns <= 0) return 0;
  if (drift_ppm_ == 0) return local_ns;
  const __int128 rate = 1000000 + drift_ppm_;
  const __int128 numerator = static_cast<__int128>(local_ns) * 1000000;
  return static_cast<int64_t>((numerator + rate - 1) / rate);
}

}  // namespace orbit::sim
