#include "runtime/rpc/frame.h"

#include <cassert>

namespace orbit::rpc {
namespace {

void put_u64(uint8_t* at, uint64_t v) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t get_u64(const uint8_t* at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(at[i]) << (8 * i);
  return v;
}

constexpr uint8_t kMaxStatus = 1 + static_cast<uint8_t>(kLastErrorCode);

// Version 1 frames were MessagePack maps, so their first byte is a map marker (fixmap
// 0x80-0x8f, map16 0xde, map32 0xdf), not a version number.
bool is_version1_map(uint8_t first) { return (first & 0xf0) == 0x80 || first == 0xde || first == 0xdf; }

std::string version_problem(uint8_t first) {
  const std::string speaks = ", this node speaks version " + std::to_string(kWireVersion);
  if (is_version1_map(first)) return "frame of wire version 1 (a MessagePack map)" + speaks;
  return "frame of wire version " + std::to_string(first) + speaks;
}

}  // namespace

std::string_view method_name(Method method) {
  switch (method) {
    case Method::kActorRoute: return "actor.route";
    case Method::kActorInvoke: return "actor.invoke";
    case Method::kDirRegister: return "dir.register";
    case Method::kAcquireLease: return "store.acquire_lease";
    case Method::kRenewLease: return "store.renew_lease";
    case Method::kReleaseLease: return "store.release_lease";
    case Method::kReadLease: return "store.read_lease";
    case Method::kListLeases: return "store.list_leases";
    case Method::kWriteSnapshot: return "store.write_snapshot";
    case Method::kReadSnapshots: return "store.read_snapshots";
    case Method::kListSnapshotKeys: return "store.list_snapshot_keys";
    case Method::kSweepExpired: return "store.sweep_expired";
    case Method::kStoreMetrics: return "store.metrics";
    case Method::kStoreHealth: return "store.health";
    case Method::kHeartbeat: return "member.heartbeat";
    case Method::kLeave: return "member.leave";
    case Method::kReadmitted: return "member.readmitted";
    case Method::kTestEcho: return "test.echo";
    case Method::kTestSlow: return "test.slow";
    case Method::kTestFail: return "test.fail";
    case Method::kTestNotify: return "test.notify";
  }
  return "";
}

bool is_known_method(uint16_t number) {
  return number < kMethodSlots && !method_name(static_cast<Method>(number)).empty();
}

void write_header(Bytes& frame, const FrameHeader& header) {
  assert(frame.size() >= kHeaderBytes);
  uint8_t* at = frame.data();
  at[0] = kWireVersion;
  at[1] = static_cast<uint8_t>(header.kind);
  const auto method = static_cast<uint16_t>(header.method);
  at[2] = static_cast<uint8_t>(method);
  at[3] = static_cast<uint8_t>(method >> 8);
  at[4] = header.status;
  at[5] = at[6] = at[7] = 0;
  put_u64(at + 8, header.session);
  put_u64(at + 16, header.call_id);
}

Result<FrameHeader> read_header(ByteView frame) {
  // The version byte is judged before the length: a frame of another version is named as
  // such even when it is shorter than this version's header (a version-1 frame is a small
  // MessagePack map, often under 24 bytes).
  if (!frame.empty() && frame[0] != kWireVersion) return Error{ErrorCode::kCorrupt, version_problem(frame[0])};
  if (frame.size() < kHeaderBytes) {
    return Error{ErrorCode::kCorrupt, "truncated frame: " + std::to_string(frame.size()) + " bytes, the header alone has " +
                                          std::to_string(kHeaderBytes)};
  }
  const uint8_t* at = frame.data();
  if (at[1] > static_cast<uint8_t>(FrameKind::kOneWay)) {
    return Error{ErrorCode::kCorrupt, "unknown frame kind " + std::to_string(at[1])};
  }
  if (at[4] > kMaxStatus) return Error{ErrorCode::kCorrupt, "unknown reply status " + std::to_string(at[4])};
  if (at[5] != 0 || at[6] != 0 || at[7] != 0) return Error{ErrorCode::kCorrupt, "reserved header bytes are not zero"};
  FrameHeader header;
  header.kind = static_cast<FrameKind>(at[1]);
  header.method = static_cast<Method>(static_cast<uint16_t>(at[2] | (at[3] << 8)));
  header.status = at[4];
  header.session = get_u64(at + 8);
  header.call_id = get_u64(at + 16);
  return header;
}

}  // namespace orbit::rpc
