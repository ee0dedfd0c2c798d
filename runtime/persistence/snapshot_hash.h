// SHA-256 over a snapshot's canonical state bytes (OpenSSL), as lowercase hex.
#pragma once

#include <string>

#include "runtime/env/bytes.h"
#include "runtime/persistence/types.h"

namespace orbit::persistence {

std::string sha256_hex(ByteView data);

// True when the snapshot's state hashes to its recorded sha256.
bool hash_verifies(const Snapshot& snapshot);

}  // namespace orbit::persistence
