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
// Wire format: one RPC method per provider operation. Bodies are JSON objects, encoded by
// the RPC layer as MessagePack, so snapshot state travels as MessagePack bin (no base64).
// Records use to_json/from_json of types.h. Requests (-> replies):
//   store.acquire_lease      {key, holder, duration_ns, metadata}      -> {granted, record}
//   store.renew_lease        {key, holder, version, duration_ns}       -> {granted, record}
//   store.release_lease      {key, holder, version}                    -> {}
//   store.read_lease         {key}                                     -> {lease}
//   store.list_leases        {kind?}                                   -> {leases: [lease...]}
//   store.write_snapshot     {snapshot, expected_version}              -> {}
//   store.read_snapshots     {key}                                     -> {snapshots: [snapshot...]}
//   store.list_snapshot_keys {kind?}                                   -> {keys: [key...]}
//   store.sweep_expired      {}                                        -> {removed}
//   store.metrics            {}                                        -> {<ProviderMetrics fields>}
//   store.health             {}                                        -> {state, reason, retained_versions}
// `key` is {kind, id}; `kind` absent (or null) means every kind; durations are signed
// nanoseconds; versions unsigned. Provider errors travel with their code and message
// unchanged. A malformed request is kInvalidArgument naming the method and the field
// ("store.acquire_lease: key.id: missing"). A reply too large for one transport frame is
// kIo (it would otherwise be dropped and look like a timeout).
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

#include <nlohmann/json.hpp>

#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/persistence/provider.h"
#include "runtime/persistence/types.h"
#include "runtime/rpc/rpc_node.h"

namespace orbit::persistence {

// The protocol both ends share: method names and the encoding of the records that types.h
// does not cover. Every decoder returns a message naming the bad field, or nullopt.
namespace wire {

using Json = nlohmann::json;

inline constexpr std::string_view kAcquireLease = "store.acquire_lease";
inline constexpr std::string_view kRenewLease = "store.renew_lease";
inline constexpr std::string_view kReleaseLease = "store.release_lease";
inline constexpr std::string_view kReadLease = "store.read_lease";
inline constexpr std::string_view kListLeases = "store.list_leases";
inline constexpr std::string_view kWriteSnapshot = "store.write_snapshot";
inline constexpr std::string_view kReadSnapshots = "store.read_snapshots";
inline constexpr std::string_view kListSnapshotKeys = "store.list_snapshot_keys";
inline constexpr std::string_view kSweepExpired = "store.sweep_expired";
inline constexpr std::string_view kMetrics = "store.metrics";
inline constexpr std::string_view kHealth = "store.health";

// Field readers over a request or reply object. Errors read "holder: missing",
// "version: expected an unsigned integer", "key.kind: expected a string".
std::optional<std::string> get_string(const Json& body, const char* field, std::string& out);
std::optional<std::string> get_uint(const Json& body, const char* field, uint64_t& out);
std::optional<std::string> get_int(const Json& body, const char* field, int64_t& out);
std::optional<std::string> get_bool(const Json& body, const char* field, bool& out);
std::optional<std::string> get_tags(const Json& body, const char* field, Tags& out);
std::optional<std::string> get_key(const Json& body, const char* field, ActorKey& out);
// An optional "kind" filter: absent or null means every kind.
std::optional<std::string> get_kind_filter(const Json& body, std::optional<std::string>& out);

Json tags_to_json(const Tags& tags);

Json lease_outcome_to_json(const LeaseOutcome& outcome);
std::optional<std::string> lease_outcome_from_json(const Json& j, LeaseOutcome& out);

Json metrics_to_json(const ProviderMetrics& metrics);
std::optional<std::string> metrics_from_json(const Json& j, ProviderMetrics& out);

std::string_view to_string(HealthState state);
// The health reply also carries the store's retained_versions (its K), so clients learn it.
Json health_to_json(const Health& health, size_t retained_versions);
std::optional<std::string> health_from_json(const Json& j, Health& out, uint64_t& retained_versions);

// Bytes a request or reply frame adds around its body (ids, method name, MessagePack
// headers), for the frame-size checks; generous, so a body that passes always fits.
inline constexpr size_t kFrameOverheadBytes = 256;

}  // namespace wire

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
  using Json = nlohmann::json;

  // One member coroutine per method; the body is owned by the frame.
  Task<Result<Json>> acquire_lease(Json body);
  Task<Result<Json>> renew_lease(Json body);
  Task<Result<Json>> release_lease(Json body);
  Task<Result<Json>> read_lease(Json body);
  Task<Result<Json>> list_leases(Json body);
  Task<Result<Json>> write_snapshot(Json body);
  Task<Result<Json>> read_snapshots(Json body);
  Task<Result<Json>> list_snapshot_keys(Json body);
  Task<Result<Json>> sweep_expired(Json body);
  Task<Result<Json>> metrics(Json body);
  Task<Result<Json>> health(Json body);

  // The longest stall the "store.stall_before_apply" fault point injects.
  static constexpr Duration kMaxStall = 3s;

  // The fault point above; a no-op unless the site fires.
  Task<void> stall_before_apply();
  // kInvalidArgument naming the method and the field; counted.
  Error invalid(std::string_view method, const std::string& what);
  // Counts provider errors and passes them through unchanged.
  Error provider_error(const Error& error);
  // Refuses a reply that would not fit in one transport frame (kIo), instead of letting the
  // transport drop it and the caller time out.
  Result<Json> checked_reply(std::string_view method, Json reply);

  rpc::RpcNode& rpc_;
  PersistenceProvider& provider_;
  StorageServerStats stats_;
};

}  // namespace orbit::persistence
