// Time as the runtime sees it. Two clocks per node, each with its own time_point type so
// that wall time and monotonic time can never be mixed by accident. Durations are
// nanoseconds. In the simulator these are a node's *local* readings (offset, drift,
// jumps); true time is only the simulator's and never reaches runtime code.
#pragma once

#include <chrono>
#include <cstdint>

namespace orbit {

using Duration = std::chrono::nanoseconds;
using std::chrono_literals::operator""ns;
using std::chrono_literals::operator""us;
using std::chrono_literals::operator""ms;
using std::chrono_literals::operator""s;
using std::chrono_literals::operator""min;
using std::chrono_literals::operator""h;

// Tag types: they only give the time_points distinct identities; nothing calls now() on
// them (time comes from env::Clock).
struct MonotonicTag {
  using duration = Duration;
  using rep = Duration::rep;
  using period = Duration::period;
  static constexpr bool is_steady = true;
};
struct WallTag {
  using duration = Duration;
  using rep = Duration::rep;
  using period = Duration::period;
  static constexpr bool is_steady = false;
};

using MonoTime = std::chrono::time_point<MonotonicTag, Duration>;
using WallTime = std::chrono::time_point<WallTag, Duration>;

inline int64_t to_nanos(Duration d) { return d.count(); }
inline int64_t to_nanos(MonoTime t) { return t.time_since_epoch().count(); }
inline int64_t to_nanos(WallTime t) { return t.time_since_epoch().count(); }

}  // namespace orbit
