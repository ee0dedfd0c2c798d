#include "sim/trace_hash.h"

#include <xxhash.h>

#include "runtime/env/random.h"

namespace orbit::sim {

void TraceHash::mix(uint64_t word) { state_ = env::mix64(state_ ^ env::mix64(word)); }

void TraceHash::mix_bytes(ByteView bytes) { mix(hash_bytes(bytes)); }

void TraceHash::mix_string(std::string_view s) {
  mix(XXH3_64bits(s.data(), s.size()));
}

uint64_t hash_bytes(ByteView bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace orbit::sim
