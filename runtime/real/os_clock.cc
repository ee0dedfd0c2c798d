#include "runtime/real/os_clock.h"

#include <chrono>

namespace orbit::real {

WallTime OsClock::wall_now() const {
  const auto since_epoch = std::chrono::duration_cast<Duration>(
      std::chrono::system_clock::now().time_since_epoch());
  return WallTime(since_epoch + offset());
}

MonoTime OsClock::mono_now() const {
  const int64_t raw =
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch())
          .count() +
      offset_ns_.load(std::memory_order_relaxed);
  int64_t last = last_mono_ns_.load(std::memory_order_relaxed);
  // Publish the new high-water mark; if another thread published a larger one meanwhile,
  // return that instead so no reader ever sees time go backwards.
  while (raw > last) {
    if (last_mono_ns_.compare_exchange_weak(last, raw, std::memory_order_relaxed)) {
      return MonoTime(Duration(raw));
    }
  }
  return MonoTime(Duration(last));
}

void OsClock::set_offset(Duration offset) {
  offset_ns_.store(offset.count(), std::memory_order_relaxed);
}

Duration OsClock::offset() const { return Duration(offset_ns_.load(std::memory_order_relaxed)); }

}  // namespace orbit::real
