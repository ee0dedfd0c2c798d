// Counter: a monotonically increasing count (requests served, snapshots written, fencing
// rejections). Node code is single-threaded on its executor, so a plain integer suffices:
// no atomics, and nothing here reads a clock.
#pragma once

#include <cstdint>

namespace orbit::metrics {

class Counter {
 public:
  void inc() { ++value_; }
  void add(uint64_t n) { value_ += n; }

  // Mirrors a total kept elsewhere (PersistenceProvider::metrics()). A smaller value than
  // before means the source restarted; Prometheus treats that as a counter reset.
  void set_total(uint64_t total) { value_ = total; }

  uint64_t value() const { return value_; }

 private:
  uint64_t value_ = 0;
};

}  // namespace orbit::metrics
