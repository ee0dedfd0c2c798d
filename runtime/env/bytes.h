#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orbit {

// Owned binary data: messages, file contents, serialized state.
using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string to_string(ByteView b) { return std::string(b.begin(), b.end()); }

}  // namespace orbit
