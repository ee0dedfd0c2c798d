// How long a lease holder may believe its lease valid, on its own monotonic clock.
//
// The store starts the lease's duration when it *receives* the request, on its clock. The
// holder cannot know when that was, only that it was after it *sent* the request; so it
// counts from the send, which can only end its belief early, never late. Its clock may run
// slow relative to the store's by up to max_clock_drift (a fraction, 0.001 = 1000 ppm), so
// the duration is shortened by that fraction, and by a safety margin for everything else
// (scheduling delay between a check and the write it guards).
#pragma once

#include "runtime/env/time.h"

namespace orbit::actor {

inline MonoTime lease_valid_until(MonoTime request_sent_at, Duration duration, double max_clock_drift,
                                  Duration safety_margin) {
  const auto drift_allowance =
      Duration(static_cast<Duration::rep>(static_cast<double>(duration.count()) * max_clock_drift));
  return request_sent_at + duration - drift_allowance - safety_margin;
}

}  // namespace orbit::actor
