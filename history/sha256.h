// Conversions between history::Sha256 (raw bytes, what events carry) and the 64-digit
// lower-case hex form the runtime stores with snapshots (persistence::sha256_hex) and
// JSON renders. One copy, so every recorder and reader agrees on the digits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "history/fields.h"

namespace orbit::history {

// The digest of exactly 64 hex digits (either case); nullopt for anything else.
std::optional<Sha256> sha256_from_hex(std::string_view hex);
// 64 lower-case hex digits.
std::string to_hex(const Sha256& digest);

}  // namespace orbit::history
