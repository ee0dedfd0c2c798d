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

Bytes encode_hello(env::NodeId self) {
  Bytes out(kHelloBytes);
  std::copy(kHelloMagic.begin(), kHelloMagic.end(), out.begin());
  put_u32(out.data() + 4, kProtocolVersion);
  put_u32(out.data() + 8, self);
  return out;
}

Result<env::NodeId> parse_hello(ByteView payload) {
  if (payload.size() != kHelloBytes) {
    return make_error(ErrorCode::kCorrupt, "hello of " + std::to_string(payload.size()) +
                                               " bytes, expected " + std::to_string(kHelloBytes));
  }
  if (!std::equal(kHelloMagic.begin(), kHelloMagic.end(), payload.begin())) {
    return make_error(ErrorCode::kCorrupt, "hello with a bad magic (not an Orbit peer)");
  }
  const uint32_t version = get_u32(payload.data() + 4);
  if (version != kProtocolVersion) {
    return make_error(ErrorCode::kCorrupt, "hello with protocol version " +
                                               std::to_string(version) + ", expected " +
                                               std::to_string(kProtocolVersion));
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
