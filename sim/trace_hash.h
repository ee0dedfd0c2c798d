// The run's fingerprint: a rolling 64-bit hash over every executed event and every
// recorded history event. Specified (SplitMix64's finalizer over words, XXH3-64 over byte
// strings), never std::hash, so the same run gives the same value in any process, build or
// standard library.
#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/env/bytes.h"

namespace orbit::sim {

// What a trace hash depends on, versioned: the canonical bytes of history events
// (history::kCanonicalVersion) and the bytes of every delivered frame (the RPC wire
// format, rpc::kWireVersion). Reports carry it; replay refuses another version.
//   1: JSON-text events; 2: canonical events v2, JSON frames; 3: typed binary frames.
inline constexpr int kTraceHashVersion = 3;

class TraceHash {
 public:
  void mix(uint64_t word);
  void mix_bytes(ByteView bytes);
  void mix_string(std::string_view s);
  uint64_t value() const { return state_; }

 private:
  uint64_t state_ = 0x243f6a8885a308d3ULL;  // pi's fraction bits: an arbitrary fixed start
};

// XXH3-64 of a byte string (seed 0), the specified byte hash used in traces.
uint64_t hash_bytes(ByteView bytes);

}  // namespace orbit::sim
