// env::Random: a seeded, specified pseudo-random generator (xoshiro256** seeded through
// SplitMix64). Specified so that the same seed gives the same numbers with any standard
// library; we never use std:: distributions, whose output differs between
// implementations. One generator per node, derived from the run's seed and the node id.
#pragma once

#include <cstdint>

#include "runtime/env/time.h"

namespace orbit::env {

class Random {
 public:
  explicit Random(uint64_t seed);

  // The generator for node `node` of a run with seed `world_seed`: independent streams per
  // node, so one node's draws never shift another's.
  static Random for_node(uint64_t world_seed, uint64_t node);

  uint64_t next_u64();
  // Uniform in [0, bound); bound must be > 0. Unbiased (Lemire's method with rejection).
  uint64_t below(uint64_t bound);
  // Uniform in [lo, hi], inclusive; lo <= hi.
  int64_t between(int64_t lo, int64_t hi);
  // Uniform in [0, 1) with 53 bits of precision.
  double unit();
  // True with probability p (p <= 0 never, p >= 1 always).
  bool chance(double p);
  // Uniform duration in [lo, hi].
  Duration duration_between(Duration lo, Duration hi);
  // A fresh independent generator (for a sub-component), advancing this one.
  Random fork();

 private:
  uint64_t s_[4];
};

// SplitMix64 step: the specified mixer used to seed generators and to derive seeds.
uint64_t splitmix64(uint64_t& state);
// A stateless 64-bit mix of one value (SplitMix64's finalizer).
uint64_t mix64(uint64_t value);

}  // namespace orbit::env
