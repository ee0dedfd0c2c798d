// The RPC frame: a fixed 24-byte header, then the body (one MessagePack value, see
// codec.h). docs/WIRE.md specifies it byte by byte.
//
//   offset size  field
//   0      1     wire version (kWireVersion)
//   1      1     kind: 0 request, 1 reply, 2 one-way
//   2      2     method (Method), little-endian
//   4      1     status (replies): 0 ok, otherwise 1 + ErrorCode, and the body is the
//                error message as a MessagePack string
//   5      3     reserved, zero
//   8      8     session (little-endian): the caller's boot
//   16     8     call id (little-endian)
//
// Message bodies are built behind kHeaderBytes of reserved space (encode_message), so the
// RpcNode writes the header in place and a frame is never copied to be sent.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/env/bytes.h"
#include "runtime/env/result.h"
#include "runtime/rpc/codec.h"

namespace orbit::rpc {

// Version 1 was JSON trees as MessagePack maps ({"k","i","s","m","b"}).
inline constexpr uint8_t kWireVersion = 2;
inline constexpr size_t kHeaderBytes = 24;

enum class FrameKind : uint8_t { kRequest = 0, kReply = 1, kOneWay = 2 };

// Every method the runtime serves. Handlers are indexed by it. Numbers are part of the
// wire format: never reuse or renumber one; append.
enum class Method : uint16_t {
  kActorRoute = 1,
  kActorInvoke = 2,
  kDirRegister = 3,
  kAcquireLease = 10,
  kRenewLease = 11,
  kReleaseLease = 12,
  kReadLease = 13,
  kListLeases = 14,
  kWriteSnapshot = 15,
  kReadSnapshots = 16,
  kListSnapshotKeys = 17,
  kSweepExpired = 18,
  kStoreMetrics = 19,
  kStoreHealth = 20,
  kHeartbeat = 30,
  kLeave = 31,
  kReadmitted = 32,
  // For tests of the RPC layer itself.
  kTestEcho = 60,
  kTestSlow = 61,
  kTestFail = 62,
  kTestNotify = 63,
};
inline constexpr size_t kMethodSlots = 64;

// "actor.route", ...; "" for a number the enum does not name.
std::string_view method_name(Method method);
bool is_known_method(uint16_t number);

struct FrameHeader {
  FrameKind kind = FrameKind::kRequest;
  Method method{};
  uint8_t status = 0;  // replies: 0 ok, 1 + ErrorCode otherwise
  uint64_t session = 0;
  uint64_t call_id = 0;
};

// Writes `header` into the first kHeaderBytes of `frame` (which must have them).
void write_header(Bytes& frame, const FrameHeader& header);
// The header of a received frame: kCorrupt naming the problem (another wire version,
// judged first so that a short frame of another version is named by its version; too
// short; an unknown kind or status; reserved bytes set). Method numbers are checked by the
// RpcNode, which answers an unknown one.
Result<FrameHeader> read_header(ByteView frame);

inline ByteView body_of(ByteView frame) { return frame.subspan(kHeaderBytes); }

// A message body with the header's room reserved in front.
template <typename T>
Bytes encode_message(const T& message) {
  Bytes frame;
  frame.reserve(kHeaderBytes + 64);
  frame.resize(kHeaderBytes);
  wire::encode_into(frame, message);
  return frame;
}

// An empty body (a method without arguments or without a result).
struct Empty {
  MSGPACK_DEFINE_ARRAY();
};

}  // namespace orbit::rpc
