// How long a lease holder may believe its lease valid, on its own monotonic clock.
//
// The store starts the lease's duration when it *receives* the request, on its clock. The
// holder cannot know when that was, only that it was after it *sent* the request; so it
// counts from the send, which can only end its belief early, never late. Its clock may run
// slow relative to the store's by up to max_clock_drift (a fraction, 0.001 = 1000 ppm), so
// the duration is shortened by that fraction, and by a safety margin for everything else
// (scheduling delay between a check and the write it guards).
//
// The arithmetic itself is config::ActorManagementConfig::lease_validity(), the one
// computation (the validation of orbit.toml uses the same).
#pragma once

#include "runtime/config/actor_management.h"
#include "runtime/env/time.h"

namespace orbit::actor {

inline MonoTime lease_valid_until(MonoTime request_sent_at, const config::ActorManagementConfig& config) {
  return request_sent_at + config.lease_validity();
}

}  // namespace orbit::actor
