// OsClock: the real env::Clock, reading the operating system's clocks.
//
// Fault model: the OS wall clock may step (NTP, an operator) and the runtime must cope, so
// we pass it through untouched. On top of both readings sits an adjustable offset that a
// cluster launcher uses to inject clock skew into a real-mode node (what the simulator does
// with per-node offsets). The wall reading follows the offset in both directions. The
// monotonic reading must never decrease (env::Clock promises it), so when the offset is
// lowered, mono_now() holds at the last value it returned until the steady clock catches
// up: a negative change makes the node's monotonic time stand still for that long rather
// than run backwards. A positive change is a forward jump.
//
// Thread-safety: every method may be called from any thread (a launcher may adjust the
// offset while the node's executor reads the clock).
#pragma once

#include <atomic>
#include <cstdint>

#include "runtime/env/clock.h"
#include "runtime/env/time.h"

namespace orbit::real {

class OsClock final : public env::Clock {
 public:
  OsClock() = default;
  OsClock(const OsClock&) = delete;
  OsClock& operator=(const OsClock&) = delete;

  // std::chrono::system_clock plus the offset.
  WallTime wall_now() const override;

  // std::chrono::steady_clock plus the offset, never below a value returned before.
  MonoTime mono_now() const override;

  // Replaces the offset added to both readings (not cumulative: set_offset(0) removes it).
  void set_offset(Duration offset);
  [[nodiscard]] Duration offset() const;

 private:
  std::atomic<int64_t> offset_ns_{0};
  // The largest monotonic reading handed out; mutable because reading a clock is
  // logically const, yet the clamp needs to remember it.
  mutable std::atomic<int64_t> last_mono_ns_{INT64_MIN};
};

}  // namespace orbit::real
