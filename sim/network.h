// The simulated network, one model per directed link (A->B is independent of B->A, so
// one-way partitions are just one blocked link). What each link can do to a frame:
//   - delay it by a latency drawn uniformly from [latency_min, latency_max];
//   - lose it (loss_probability), duplicate it (duplicate_probability: a second copy with
//     its own latency);
//   - reorder it (reorder_probability: extra delay up to reorder_window, exempt from the
//     link's FIFO order; frames are otherwise delivered in send order, as over TCP);
//   - block it (partitions: frames sent, or arriving, while blocked are dropped);
//   - clog it (frames are held, then released all at once when unclogged).
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "runtime/env/bytes.h"
#include "runtime/env/result.h"
#include "runtime/env/time.h"

namespace orbit::sim {

struct LinkConfig {
  Duration latency_min = 1ms;
  Duration latency_max = 5ms;
  double loss_probability = 0.0;
  double duplicate_probability = 0.0;
  double reorder_probability = 0.0;
  Duration reorder_window = 10ms;

  // An error naming the first bad field ("network.loss_probability must be in [0, 1], got 2").
  Result<void> validate(std::string_view prefix = "network") const;
};

// Counters, for reports and tests.
struct NetworkStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t lost = 0;          // dropped by loss_probability
  uint64_t duplicated = 0;
  uint64_t reordered = 0;
  uint64_t partitioned = 0;   // dropped by a blocked link (at send or on arrival)
  uint64_t clogged = 0;       // held by a clogged link
  uint64_t to_down_node = 0;  // dropped: the receiver was down or restarted meanwhile
  uint64_t oversize = 0;      // dropped: larger than the transport's frame limit
  uint64_t unknown_node = 0;  // dropped: no such node
};

// One directed link's state.
struct Link {
  LinkConfig config;
  bool blocked = false;
  bool clogged = false;
  int64_t last_delivery_ns = 0;  // FIFO floor for non-reordered frames
  std::deque<Bytes> held;        // frames held by a clog, in send order
};

}  // namespace orbit::sim
