// The TCP transport's wire format, kept apart so that tests (and tools that speak to a
// node directly) build exactly the bytes the transport expects.
//
//   frame := length (4 bytes, big-endian, the payload size) payload (length bytes)
//   hello := the first frame on every connection, sent by the connecting side:
//            magic "ORBH" (4 bytes) | version (4 bytes BE) | node id (4 bytes BE)
//
// Connections are one-way: the connecting side writes frames, the accepting side reads
// them and learns the sender from the hello. Anything else is a protocol violation.
//
// Versions. The version names the format of everything after the hello (the RPC frames
// that runtime/rpc puts in the payloads), not only the hello. Version 1 carried JSON-based
// RPC frames; version 2 carries typed binary frames (issue 13). A node refuses a peer whose
// hello announces any other version, naming both, and closes only that connection: nodes
// of different versions never exchange a frame. Every version's hello begins with the magic
// and the version, so the version can be read (and named in the refusal) whatever the rest
// of that version's hello looks like, as long as the hello fits in kHelloBytesMax.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "runtime/env/bytes.h"
#include "runtime/env/result.h"
#include "runtime/env/transport.h"

namespace orbit::real::tcp_wire {

inline constexpr size_t kLengthPrefixBytes = 4;
inline constexpr std::array<uint8_t, 4> kHelloMagic = {'O', 'R', 'B', 'H'};
inline constexpr uint32_t kProtocolVersion = 2;
// This version's hello: magic, version, node id.
inline constexpr size_t kHelloBytes = 12;
// Magic and version: the part of a hello that every version shares.
inline constexpr size_t kHelloCommonBytes = 8;
// The largest first frame read as a hello (of any version); a larger one is refused from
// its length prefix, before anything is allocated for it.
inline constexpr size_t kHelloBytesMax = 256;

// The 4-byte big-endian length prefix of a payload of `length` bytes.
[[nodiscard]] std::array<uint8_t, kLengthPrefixBytes> encode_length(uint32_t length);
[[nodiscard]] uint32_t decode_length(const std::array<uint8_t, kLengthPrefixBytes>& prefix);
// The same, from the first kLengthPrefixBytes bytes at `prefix` (a receive buffer).
[[nodiscard]] uint32_t decode_length(const uint8_t* prefix);

// The hello payload (without its length prefix) announcing `self`.
[[nodiscard]] Bytes encode_hello(env::NodeId self);
// A hello as a node speaking `version` would send it (same layout): for tests and tools
// that play an older or newer peer.
[[nodiscard]] Bytes encode_hello_as_version(env::NodeId self, uint32_t version);

// The refusal text for a peer speaking `peer_version`: one copy, so logs, errors and tests
// agree ("peer speaks wire version 1, this node speaks 2").
[[nodiscard]] std::string version_mismatch(uint32_t peer_version);

// The node id a hello payload announces. Errors: kRejected when the hello is well formed
// but announces another version (the message is version_mismatch()); kCorrupt when it is
// too short, has a bad magic, or has the wrong size for this version.
[[nodiscard]] Result<env::NodeId> parse_hello(ByteView payload);

// A whole frame (prefix and payload) as one buffer: for tests and tools, not the hot path.
[[nodiscard]] Bytes encode_frame(ByteView payload);

}  // namespace orbit::real::tcp_wire
