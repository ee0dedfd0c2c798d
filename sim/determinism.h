// check_determinism: runs the same world twice and compares every executed event and
// every history record. When they differ it names the first divergent event of each run,
// which is where to start looking (an unordered container, an address, a clock read).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sim/world.h"

namespace orbit::sim {

struct DeterminismReport {
  bool deterministic = false;
  uint64_t hash_first = 0;
  uint64_t hash_second = 0;
  // Empty when deterministic; otherwise names the first divergent event of each run.
  std::string divergence;
};

// `drive` installs the boot functions, starts the world and runs it; it must use nothing
// but the world (and what it derives from the seed).
DeterminismReport check_determinism(uint64_t seed, const WorldConfig& config,
                                    const std::function<void(World&)>& drive);

}  // namespace orbit::sim
