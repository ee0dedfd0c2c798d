// SHA-256 over a snapshot's canonical state bytes (OpenSSL), as lowercase hex.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "runtime/env/bytes.h"
#include "runtime/persistence/types.h"

namespace orbit::persistence {

using Digest = std::array<uint8_t, 32>;

Digest sha256_digest(ByteView data);
std::string to_hex(const Digest& digest);
std::string sha256_hex(ByteView data);

// True when the snapshot's state hashes to its recorded sha256.
bool hash_verifies(const Snapshot& snapshot);

}  // namespace orbit::persistence
