#include "runtime/real/tcp_wire.h"

#include <algorithm>
#include <string>

namespace orbit::real::tcp_wire {
namespace {

void put_u32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

uint32_t get_u32(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) |
         uint32_t{in[3]};
}

}  // namespace

std::array<uint8_t, kLengthPrefixBytes> encode_length(uint32_t length) {
  std::array<uint8_t, kLengthPrefixBytes> out{};
  put_u32(out.data(), length);
  return out;
}

uint32_t decode_length(const std::array<uint8_t, kLengthPrefixBytes>& prefix) {
  return get_u32(prefix.data());
}

uint32_t decode_length(const uint8_t* prefix) { return get_u32(prefix); }

Bytes encode_hello(env::NodeId self) { return encode_hello_as_version(self, kProtocolVersion); }

Bytes encode_hello_as_version(env::NodeId self, uint32_t version) {
  Bytes out(kHelloBytes);
  std::copy(kHelloMagic.begin(), kHelloMagic.end(), out.begin());
  put_u32(out.data() + 4, version);
  put_u32(out.data() + 8, self);
  return out;
}

std::string version_mismatch(uint32_t peer_version) {
  return "peer speaks wire version " + std::to_string(peer_version) + ", this node speaks " +
         std::to_string(kProtocolVersion);
}

Result<env::NodeId> parse_hello(ByteView payload) {
  // Magic and version first: they are laid out alike in every version, so a peer of
  // another version is named as such even when the rest of its hello differs.
  if (payload.size() < kHelloCommonBytes) {
    return make_error(ErrorCode::kCorrupt, "hello of " + std::to_string(payload.size()) +
                                               " bytes, too short for magic and version (" +
                                               std::to_string(kHelloCommonBytes) + ")");
  }
  if (!std::equal(kHelloMagic.begin(), kHelloMagic.end(), payload.begin())) {
    return make_error(ErrorCode::kCorrupt, "hello with a bad magic (not an Orbit peer)");
  }
  const uint32_t version = get_u32(payload.data() + 4);
  if (version != kProtocolVersion) return make_error(ErrorCode::kRejected, version_mismatch(version));
  if (payload.size() != kHelloBytes) {
    return make_error(ErrorCode::kCorrupt, "version " + std::to_string(version) + " hello of " +
                                               std::to_string(payload.size()) + " bytes, expected " +
                                               std::to_string(kHelloBytes));
  }
  return env::NodeId{get_u32(payload.data() + 8)};
}

Bytes encode_frame(ByteView payload) {
  Bytes out(kLengthPrefixBytes + payload.size());
  put_u32(out.data(), static_cast<uint32_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), out.begin() + kLengthPrefixBytes);
  return out;
}

}  // namespace orbit::real::tcp_wire
