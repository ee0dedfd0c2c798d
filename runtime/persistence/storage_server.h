// StorageServer: serves one PersistenceProvider to other nodes over an rpc::RpcNode, so a
// storage process (a virtual node in the simulator, orbit-store in real mode) can hold the
// leases and snapshots of a whole cluster. RemoteProvider is its client.
//
// Fault model. The server keeps no state of its own beyond counters: everything lives in the
// provider, so a crash of the storage node loses exactly what the provider loses. The network
// may lose, delay, reorder and duplicate requests, and a served request may be re-served
// when the transport duplicates it. That is safe because every mutating operation is either
// guarded by a compare-and-set (write_snapshot by expected version and fencing token;
// renew/release by lease version) or idempotent for its caller (acquire by the same holder).
// One cost remains: a duplicate of an old acquire that arrives after the holder released the
// lease grants it again, to a holder that no longer wants it; nobody else can take the lease
// until that grant expires (liveness, bounded by the lease duration; never safety).
//
// Wire format: one rpc::Method per provider operation (store.acquire_lease ... store.health),
// each with a typed request and reply (store_messages.h; byte layout in docs/WIRE.md, "Store
// messages"): MessagePack arrays of the fields, snapshot state as bin. Provider errors
// travel with their code and message unchanged. A malformed request is kInvalidArgument
// naming the method and what is wrong ("store.acquire_lease: key.id: expected a string"),
// and never reaches the provider. A reply too large for one transport frame is kIo (it
// would otherwise be dropped and look like a timeout).
//
// Fault point (simulation only): "store.stall_before_apply" holds a mutating request for up
// to kMaxStall after it was parsed and before the provider applies it, so the caller's
// timeout fires first and the write lands afterwards: the "timed out but succeeded" case
// without pausing the whole store.
//
// Lifetimes: requests run as coroutines in the RpcNode's scope and use this server and its
// provider, so the owner calls rpc.shutdown() before destroying either.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/persistence/provider.h"
#include "runtime/persistence/store_messages.h"
#include "runtime/persistence/types.h"
#include "runtime/rpc/rpc_node.h"

namespace orbit::persistence {

struct StorageServerStats {
  uint64_t requests = 0;          // requests handled, all methods
  uint64_t invalid_requests = 0;  // malformed bodies (kInvalidArgument before the provider)
  uint64_t provider_errors = 0;   // provider calls that returned an error (any code)
  uint64_t oversize_replies = 0;  // replies refused for exceeding the frame limit
};

class StorageServer {
 public:
  // Registers the store.* methods on `rpc`. Both references must outlive the server, and
  // the owner calls rpc.shutdown() before destroying the server or the provider.
  StorageServer(rpc::RpcNode& rpc, PersistenceProvider& provider);
  StorageServer(const StorageServer&) = delete;
  StorageServer& operator=(const StorageServer&) = delete;

  const StorageServerStats& stats() const { return stats_; }

 private:
  // Registers `handler` for M: the body is decoded into M's request before the handler
  // runs (a malformed one is refused here), and the handler returns the encoded reply.
  template <rpc::Method M>
  void serve(Task<Result<Bytes>> (StorageServer::*handler)(typename wire::StoreMethod<M>::Request));

  // One member coroutine per method; the request is owned by the frame.
  Task<Result<Bytes>> acquire_lease(wire::AcquireLeaseRequest request);
  Task<Result<Bytes>> renew_lease(wire::RenewLeaseRequest request);
  Task<Result<Bytes>> release_lease(wire::ReleaseLeaseRequest request);
  Task<Result<Bytes>> read_lease(wire::KeyRequest request);
  Task<Result<Bytes>> list_leases(wire::KindRequest request);
  Task<Result<Bytes>> write_snapshot(wire::WriteSnapshotRequest request);
  Task<Result<Bytes>> read_snapshots(wire::KeyRequest request);
  Task<Result<Bytes>> list_snapshot_keys(wire::KindRequest request);
  Task<Result<Bytes>> sweep_expired(rpc::Empty request);
  Task<Result<Bytes>> metrics(rpc::Empty request);
  Task<Result<Bytes>> health(rpc::Empty request);

  // The longest stall the "store.stall_before_apply" fault point injects.
  static constexpr Duration kMaxStall = 3s;

  // The fault point above; a no-op unless the site fires.
  Task<void> stall_before_apply();
  // A request that did not decode, as kInvalidArgument (its message already names the
  // method and the field); counted.
  Error invalid(const Error& decode_error);
  // Counts provider errors and passes them through unchanged.
  Error provider_error(const Error& error);
  // The reply frame of `method`; kIo instead when it would not fit in one transport frame
  // (rather than letting the transport drop it and the caller time out).
  template <typename Reply>
  Result<Bytes> reply_frame(rpc::Method method, const Reply& reply);

  rpc::RpcNode& rpc_;
  PersistenceProvider& provider_;
  StorageServerStats stats_;
};

}  // namespace orbit::persistence
