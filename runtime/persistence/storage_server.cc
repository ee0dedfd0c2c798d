#include "runtime/persistence/storage_server.h"

#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/env/fault_sites.h"
#include "runtime/env/sleep.h"

namespace orbit::persistence {
namespace {

using rpc::Method;

// A request refused before any work: a ready task carrying the error.
Task<Result<Bytes>> refused(Error error) { co_return error; }

}  // namespace

StorageServer::StorageServer(rpc::RpcNode& rpc, PersistenceProvider& provider)
    : rpc_(rpc), provider_(provider) {
  serve<Method::kAcquireLease>(&StorageServer::acquire_lease);
  serve<Method::kRenewLease>(&StorageServer::renew_lease);
  serve<Method::kReleaseLease>(&StorageServer::release_lease);
  serve<Method::kReadLease>(&StorageServer::read_lease);
  serve<Method::kListLeases>(&StorageServer::list_leases);
  serve<Method::kWriteSnapshot>(&StorageServer::write_snapshot);
  serve<Method::kReadSnapshots>(&StorageServer::read_snapshots);
  serve<Method::kListSnapshotKeys>(&StorageServer::list_snapshot_keys);
  serve<Method::kSweepExpired>(&StorageServer::sweep_expired);
  serve<Method::kStoreMetrics>(&StorageServer::metrics);
  serve<Method::kStoreHealth>(&StorageServer::health);
}

template <Method M>
void StorageServer::serve(Task<Result<Bytes>> (StorageServer::*handler)(typename wire::StoreMethod<M>::Request)) {
  using Request = typename wire::StoreMethod<M>::Request;
  // A plain lambda returning a member coroutine's Task: the coroutine frame then depends
  // only on the server and the decoded request it owns, never on the lambda or the body
  // (see rpc_node.h).
  rpc_.serve(M, [this, handler](rpc::NodeId, ByteView body) -> Task<Result<Bytes>> {
    ++stats_.requests;
    Result<Request> request = codec::decode<Request>(body, rpc::method_name(M), ErrorCode::kInvalidArgument);
    if (!request.ok()) return refused(invalid(request.error()));
    return (this->*handler)(std::move(*request));
  });
}

Task<void> StorageServer::stall_before_apply() {
  const Duration stall = rpc_.env().faults.delay(env::sites::kStoreStallBeforeApply, kMaxStall);
  if (stall > Duration::zero()) co_await sleep(rpc_.env().executor, stall);
}

Error StorageServer::invalid(const Error& decode_error) {
  ++stats_.invalid_requests;
  return Error{ErrorCode::kInvalidArgument, decode_error.message};
}

Error StorageServer::provider_error(const Error& error) {
  ++stats_.provider_errors;
  return error;
}

template <typename Reply>
Result<Bytes> StorageServer::reply_frame(Method method, const Reply& reply) {
  Bytes frame;
  if constexpr (std::is_same_v<Reply, wire::ReadSnapshotsReply>) {
    size_t bound = 16;
    for (const Snapshot& s : reply.snapshots) bound += codec::encoded_size_bound(s);
    frame = wire::encode_message_reserved(reply, bound);
  } else {
    frame = rpc::encode_message(reply);
  }
  const size_t limit = rpc_.env().transport.max_frame_bytes();
  if (frame.size() > limit) {
    ++stats_.oversize_replies;
    return Error{ErrorCode::kIo, std::string(rpc::method_name(method)) + ": reply of " + std::to_string(frame.size()) +
                                     " bytes exceeds the transport's frame limit of " + std::to_string(limit) +
                                     " bytes"};
  }
  return frame;
}

Task<Result<Bytes>> StorageServer::acquire_lease(wire::AcquireLeaseRequest request) {
  co_await stall_before_apply();
  Result<LeaseOutcome> r = co_await provider_.acquire_lease(request.key, request.holder,
                                                            Duration(request.duration_ns), request.metadata);
  if (!r.ok()) co_return provider_error(r.error());
  co_return reply_frame(Method::kAcquireLease, *r);
}

Task<Result<Bytes>> StorageServer::renew_lease(wire::RenewLeaseRequest request) {
  co_await stall_before_apply();
  Result<LeaseOutcome> r = co_await provider_.renew_lease(request.key, request.holder, request.version,
                                                          Duration(request.duration_ns));
  if (!r.ok()) co_return provider_error(r.error());
  co_return reply_frame(Method::kRenewLease, *r);
}

Task<Result<Bytes>> StorageServer::release_lease(wire::ReleaseLeaseRequest request) {
  co_await stall_before_apply();
  Result<void> r = co_await provider_.release_lease(request.key, request.holder, request.version);
  if (!r.ok()) co_return provider_error(r.error());
  co_return rpc::encode_message(rpc::Empty{});
}

Task<Result<Bytes>> StorageServer::read_lease(wire::KeyRequest request) {
  Result<LeaseRecord> r = co_await provider_.read_lease(request.key);
  if (!r.ok()) co_return provider_error(r.error());
  wire::ReadLeaseReply reply;
  reply.lease = std::move(*r);
  co_return reply_frame(Method::kReadLease, reply);
}

Task<Result<Bytes>> StorageServer::list_leases(wire::KindRequest request) {
  Result<std::vector<LeaseRecord>> r = co_await provider_.list_leases(std::move(request.kind));
  if (!r.ok()) co_return provider_error(r.error());
  wire::ListLeasesReply reply;
  reply.leases = std::move(*r);
  co_return reply_frame(Method::kListLeases, reply);
}

Task<Result<Bytes>> StorageServer::write_snapshot(wire::WriteSnapshotRequest request) {
  co_await stall_before_apply();
  // The decoded snapshot is handed over, not copied: the provider keeps it.
  Result<void> r = co_await provider_.write_snapshot(std::move(request.snapshot), request.expected_version);
  if (!r.ok()) co_return provider_error(r.error());
  co_return rpc::encode_message(rpc::Empty{});
}

Task<Result<Bytes>> StorageServer::read_snapshots(wire::KeyRequest request) {
  Result<std::vector<Snapshot>> r = co_await provider_.read_snapshots(request.key);
  if (!r.ok()) co_return provider_error(r.error());
  wire::ReadSnapshotsReply reply;
  reply.snapshots = std::move(*r);
  for (Snapshot& s : reply.snapshots) {
    // Beyond-model fault site: a bit flips in memory or on the wire after the store's own
    // checksums passed. Only the reader's SHA-256 check stands between it and the actor.
    if (!s.state.empty() && rpc_.env().faults.fire(env::sites::kCorruptSnapshotRead)) {
      const uint64_t bit = rpc_.env().random.below(s.state.size() * 8);
      s.state[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
  }
  co_return reply_frame(Method::kReadSnapshots, reply);
}

Task<Result<Bytes>> StorageServer::list_snapshot_keys(wire::KindRequest request) {
  Result<std::vector<ActorKey>> r = co_await provider_.list_snapshot_keys(std::move(request.kind));
  if (!r.ok()) co_return provider_error(r.error());
  wire::ListSnapshotKeysReply reply;
  reply.keys = std::move(*r);
  co_return reply_frame(Method::kListSnapshotKeys, reply);
}

Task<Result<Bytes>> StorageServer::sweep_expired(rpc::Empty) {
  Result<uint64_t> r = co_await provider_.sweep_expired();
  if (!r.ok()) co_return provider_error(r.error());
  co_return rpc::encode_message(wire::SweepExpiredReply{*r});
}

Task<Result<Bytes>> StorageServer::metrics(rpc::Empty) {
  co_return rpc::encode_message(wire::StoreMetricsReply{provider_.metrics()});
}

Task<Result<Bytes>> StorageServer::health(rpc::Empty) {
  wire::StoreHealthReply reply;
  reply.health = provider_.health();
  reply.retained_versions = provider_.retained_versions();
  co_return rpc::encode_message(reply);
}

}  // namespace orbit::persistence
