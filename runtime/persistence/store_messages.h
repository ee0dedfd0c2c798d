// The store protocol: one request and one reply struct per rpc::Method of the storage
// server (storage_server.h serves them, remote_provider.h sends them). Each is a record of
// record_codec.h, so its bytes are a MessagePack array of its fields in the order listed
// here; docs/WIRE.md ("Store messages") is the byte-level description, and the two must
// change together. StoreMethod<M> ties each method to its types, so a handler or a call
// with the wrong message for its method does not compile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/persistence/provider.h"
#include "runtime/persistence/record_codec.h"
#include "runtime/persistence/types.h"
#include "runtime/rpc/frame.h"

namespace orbit::persistence::wire {

// --- Requests.

struct AcquireLeaseRequest {
  ActorKey key;
  std::string holder;
  int64_t duration_ns = 0;
  Tags metadata;
};

struct RenewLeaseRequest {
  ActorKey key;
  std::string holder;
  uint64_t version = 0;
  int64_t duration_ns = 0;
};

struct ReleaseLeaseRequest {
  ActorKey key;
  std::string holder;
  uint64_t version = 0;
};

// read_lease and read_snapshots.
struct KeyRequest {
  ActorKey key;
};

// list_leases and list_snapshot_keys: nil means every kind.
struct KindRequest {
  std::optional<std::string> kind;
};

struct WriteSnapshotRequest {
  Snapshot snapshot;
  uint64_t expected_version = 0;
};

// WriteSnapshotRequest's bytes from a snapshot the caller keeps: encode-only, so a client
// encodes straight from the caller's snapshot instead of copying it into a request first.
struct WriteSnapshotRequestRef {
  const Snapshot& snapshot;
  uint64_t expected_version = 0;
};

// sweep_expired, metrics and health take rpc::Empty.

// --- Replies.

// acquire_lease and renew_lease: granted, or not with the current holder's record.
using LeaseReply = LeaseOutcome;

struct ReadLeaseReply {
  LeaseRecord lease;
};

struct ListLeasesReply {
  std::vector<LeaseRecord> leases;
};

struct ReadSnapshotsReply {
  std::vector<Snapshot> snapshots;  // newest first
};

struct ListSnapshotKeysReply {
  std::vector<ActorKey> keys;
};

struct SweepExpiredReply {
  uint64_t removed = 0;
};

struct StoreMetricsReply {
  ProviderMetrics metrics;
};

// The store's health and its K (retained versions per key), which clients learn from it.
struct StoreHealthReply {
  Health health;
  uint64_t retained_versions = 0;
};

// release_lease and write_snapshot reply rpc::Empty.

// rpc::encode_message() with `body_bytes` reserved behind the header first, for messages
// that carry snapshots: the state is then written into the frame once, never copied again
// as the frame grows.
template <typename Message>
Bytes encode_message_reserved(const Message& message, size_t body_bytes) {
  Bytes frame;
  frame.reserve(rpc::kHeaderBytes + body_bytes);
  frame.resize(rpc::kHeaderBytes);
  orbit::wire::encode_into(frame, message);
  return frame;
}

// --- Method -> message types.

template <rpc::Method M>
struct StoreMethod;

#define ORBIT_STORE_METHOD(method, request, reply) \
  template <>                                      \
  struct StoreMethod<rpc::Method::method> {        \
    using Request = request;                       \
    using Reply = reply;                           \
  }
ORBIT_STORE_METHOD(kAcquireLease, AcquireLeaseRequest, LeaseReply);
ORBIT_STORE_METHOD(kRenewLease, RenewLeaseRequest, LeaseReply);
ORBIT_STORE_METHOD(kReleaseLease, ReleaseLeaseRequest, rpc::Empty);
ORBIT_STORE_METHOD(kReadLease, KeyRequest, ReadLeaseReply);
ORBIT_STORE_METHOD(kListLeases, KindRequest, ListLeasesReply);
ORBIT_STORE_METHOD(kWriteSnapshot, WriteSnapshotRequest, rpc::Empty);
ORBIT_STORE_METHOD(kReadSnapshots, KeyRequest, ReadSnapshotsReply);
ORBIT_STORE_METHOD(kListSnapshotKeys, KindRequest, ListSnapshotKeysReply);
ORBIT_STORE_METHOD(kSweepExpired, rpc::Empty, SweepExpiredReply);
ORBIT_STORE_METHOD(kStoreMetrics, rpc::Empty, StoreMetricsReply);
ORBIT_STORE_METHOD(kStoreHealth, rpc::Empty, StoreHealthReply);
#undef ORBIT_STORE_METHOD

// "healthy", "degraded", "unhealthy" (for people: reports, the stores' HTTP endpoints).
std::string_view to_string(HealthState state);

}  // namespace orbit::persistence::wire

namespace orbit::persistence::codec {

template <>
struct Fields<wire::AcquireLeaseRequest> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("key", s.key);
    f("holder", s.holder);
    f("duration_ns", s.duration_ns);
    f("metadata", s.metadata);
  }
};

template <>
struct Fields<wire::RenewLeaseRequest> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("key", s.key);
    f("holder", s.holder);
    f("version", s.version);
    f("duration_ns", s.duration_ns);
  }
};

template <>
struct Fields<wire::ReleaseLeaseRequest> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("key", s.key);
    f("holder", s.holder);
    f("version", s.version);
  }
};

template <>
struct Fields<wire::KeyRequest> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("key", s.key);
  }
};

template <>
struct Fields<wire::KindRequest> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("kind", s.kind);
  }
};

template <>
struct Fields<wire::WriteSnapshotRequest> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("snapshot", s.snapshot);
    f("expected_version", s.expected_version);
  }
};

// The same fields as WriteSnapshotRequest: the same bytes (store_messages_test checks).
template <>
struct Fields<wire::WriteSnapshotRequestRef> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("snapshot", s.snapshot);
    f("expected_version", s.expected_version);
  }
};

template <>
struct Fields<wire::ReadLeaseReply> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("lease", s.lease);
  }
};

template <>
struct Fields<wire::ListLeasesReply> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("leases", s.leases);
  }
};

template <>
struct Fields<wire::ReadSnapshotsReply> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("snapshots", s.snapshots);
  }
};

template <>
struct Fields<wire::ListSnapshotKeysReply> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("keys", s.keys);
  }
};

template <>
struct Fields<wire::SweepExpiredReply> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("removed", s.removed);
  }
};

template <>
struct Fields<wire::StoreMetricsReply> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("metrics", s.metrics);
  }
};

template <>
struct Fields<wire::StoreHealthReply> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("health", s.health);
    f("retained_versions", s.retained_versions);
  }
};

}  // namespace orbit::persistence::codec
