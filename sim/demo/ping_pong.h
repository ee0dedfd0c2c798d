// The demo world: every node pings a random peer at a fixed interval and waits for the
// pong with a timeout, under random loss, while a node crashes and restarts and the
// cluster is partitioned and healed. Small, but it exercises every part of the simulator
// (timers, coroutines destroyed by a crash, peer loss, partitions) and its trace hash is
// what the determinism tests compare.
#pragma once

#include <cstdint>
#include <memory>

#include "runtime/env/result.h"
#include "sim/world.h"

namespace orbit::sim::demo {

struct PingPongConfig {
  uint32_t nodes = 5;
  Duration ping_interval = 10ms;
  Duration ping_timeout = 50ms;
  Duration duration = 10s;
  double loss_probability = 0.05;
  bool inject_faults = true;  // crash+restart of the last node, then a partition and heal
};

// What the harness observed (kept outside the nodes, so it survives their crashes).
struct PingPongCounts {
  uint64_t pings_sent = 0;
  uint64_t pongs_received = 0;
  uint64_t timeouts = 0;
  uint64_t peers_lost = 0;
};

struct PingPongRun {
  std::unique_ptr<World> world;
  std::shared_ptr<const PingPongCounts> counts;
};

// Installs the ping/pong processes and the fault schedule on `world` (not yet started)
// and runs it for config.duration. The counts stay valid as long as the caller holds them.
std::shared_ptr<const PingPongCounts> drive_ping_pong(World& world, const PingPongConfig& config);

// Builds a world for the demo from a seed and runs it.
Result<PingPongRun> run_ping_pong(uint64_t seed, const PingPongConfig& config);

WorldConfig ping_pong_world_config(const PingPongConfig& config);

}  // namespace orbit::sim::demo
