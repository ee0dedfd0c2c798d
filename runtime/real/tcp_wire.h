// The TCP transport's wire format, kept apart so that tests (and tools that speak to a
// node directly) build exactly the bytes the transport expects.
//
//   frame := length (4 bytes, big-endian, the payload size) payload (length bytes)
//   hello := the first frame on every connection, sent by the connecting side:
//            magic "ORBH" (4 bytes) | version (4 bytes BE, currently 1) | node id (4 bytes BE)
//
// Connections are one-way: the connecting side writes frames, the accepting side reads
// them and learns the sender from the hello. Anything else is a protocol violation.
#pragma once

#include <array>
#include <cstdint>

#include "runtime/env/bytes.h"
#include "runtime/env/result.h"
#include "runtime/env/transport.h"

namespace orbit::real::tcp_wire {

inline constexpr size_t kLengthPrefixBytes = 4;
inline constexpr std::array<uint8_t, 4> kHelloMagic = {'O', 'R', 'B', 'H'};
inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kHelloBytes = 12;

// The 4-byte big-endian length prefix of a payload of `length` bytes.
[[nodiscard]] std::array<uint8_t, kLengthPrefixBytes> encode_length(uint32_t length);
[[nodiscard]] uint32_t decode_length(const std::array<uint8_t, kLengthPrefixBytes>& prefix);

// The hello payload (without its length prefix) announcing `self`.
[[nodiscard]] Bytes encode_hello(env::NodeId self);

// The node id a hello payload announces. kCorrupt when the size, magic or version is wrong.
[[nodiscard]] Result<env::NodeId> parse_hello(ByteView payload);

// A whole frame (prefix and payload) as one buffer: for tests and tools, not the hot path.
[[nodiscard]] Bytes encode_frame(ByteView payload);

}  // namespace orbit::real::tcp_wire
