// RemoteProvider: a PersistenceProvider that forwards every call to a StorageServer on
// another node (the storage process) through an rpc::RpcNode. Wire format: store_messages.h
// (storage_server.h serves it).
//
// Fault model and what errors mean. Each RPC attempt has its own timeout (call_timeout).
// Errors the store's provider returns (kConflict, kRejected, kNotFound, kIo, ...) arrive with
// their code and message unchanged. Transport failures keep their RPC code, with the method
// and the node named in the message:
//   - kTimeout: no reply in time. The OUTCOME IS UNKNOWN: the request may have been applied
//     (the store was paused or slow, the reply was lost). This is the "timed out but
//     succeeded" case (Orleans #6128).
//   - kUnavailable: the connection to the store was lost while the call was pending (the
//     request may also have been applied before the loss), or too many calls are pending.
//   - kCancelled: the local RpcNode shut down.
// A failed write is therefore "maybe applied", as provider.h says. The provider never
// retries a write: write_snapshot, release_lease and sweep_expired are sent exactly once.
// Retrying a write_snapshot blindly is what loses a writer its version or applies a
// write twice; the caller (which knows whether it can re-read and reconcile) decides.
// Operations that are safe to repeat are retried on kTimeout and kUnavailable only, up to
// max_attempts with exponential backoff:
//   - the reads (read_lease, list_leases, read_snapshots, list_snapshot_keys);
//   - acquire_lease: idempotent for the same holder by contract (same version, expiry
//     extended), so a retry after an applied-but-timed-out attempt is granted the same token;
//   - renew_lease: a repeat only extends the expiry again, from the store's later clock
//     reading, so a holder that measures validity from before its first send stays
//     conservative.
// A retried call therefore takes at most max_attempts * call_timeout plus the backoffs.
//
// Counters: metrics() gives the ProviderMetrics fields the client can observe (grants,
// conflicts, writes, rejections, bytes; `errors` counts operations that ended with an
// I/O-class error: kTimeout, kUnavailable, kCancelled, kIo, kNoSpace, kCorrupt, including
// replies that did not decode; corrupt_records stays 0, since only the store sees records).
// client_stats() has the RPC-level counts (calls, attempts, retries, timeouts, ...). The
// store's own counters are remote_metrics().
//
// Health rule (health()), over the outcomes of the most recent RPC attempts, where an
// attempt fails when it ends in an I/O-class error and succeeds when the store answered
// (including a refusal such as kConflict or kNotFound):
//   - Unhealthy when the last `unhealthy_after` attempts all failed;
//   - Degraded when any of the last `health_window` attempts failed;
//   - Healthy otherwise (also before the first call).
//
// Lifetimes: the RpcNode must outlive this provider, and every coroutine calling it must end
// (or be destroyed) before it is destroyed. All of it runs on the RpcNode's executor.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/time.h"
#include "runtime/persistence/provider.h"
#include "runtime/persistence/store_messages.h"
#include "runtime/rpc/rpc_node.h"

namespace orbit::persistence {

struct RemoteProviderConfig {
  // The node the StorageServer runs on.
  env::NodeId store = 0;
  // The timeout of each RPC attempt, on the client's monotonic clock.
  Duration call_timeout = 1s;
  // The store's K (versions kept per key), until remote_health() learns the store's own.
  size_t retained_versions = 3;
  // Attempts per retryable operation (reads, acquire, renew), the first included; 1 turns
  // retries off. Writes always get exactly one.
  uint32_t max_attempts = 3;
  // The pause before the first retry; it doubles per retry up to retry_backoff_max. Each
  // pause is drawn uniformly from [half, all] of that value (from the node's Random), so
  // clients that failed together do not retry together.
  Duration retry_backoff = 50ms;
  Duration retry_backoff_max = 1s;
  // The health rule's windows (see above): 1 <= unhealthy_after <= health_window <= 1024.
  size_t health_window = 8;
  size_t unhealthy_after = 3;

  // An error naming the first bad field ("remote_provider.call_timeout must be positive").
  Result<void> validate() const;
};

// RPC-level counters, beyond what ProviderMetrics can hold.
struct RemoteClientStats {
  uint64_t calls = 0;          // provider operations started
  uint64_t attempts = 0;       // RPCs sent (calls plus retries)
  uint64_t retries = 0;
  uint64_t errors = 0;         // operations that ended with an I/O-class error
  uint64_t timeouts = 0;       // attempts that timed out
  uint64_t unavailable = 0;    // attempts that failed with kUnavailable
  uint64_t indeterminate_writes = 0;  // writes that ended with kTimeout or kUnavailable: maybe applied
  uint64_t malformed_replies = 0;     // replies that did not decode (reported as kCorrupt)
  uint64_t oversize_requests = 0;     // writes refused locally: larger than one transport frame
};

class RemoteProvider final : public PersistenceProvider {
 public:
  // Throws std::invalid_argument when the config does not validate (a start-up error).
  RemoteProvider(rpc::RpcNode& rpc, RemoteProviderConfig config);
  RemoteProvider(const RemoteProvider&) = delete;
  RemoteProvider& operator=(const RemoteProvider&) = delete;

  // PersistenceProvider. Every argument is encoded into the request when the call is made
  // (before the returned Task is first awaited), so the Task does not refer to them.
  Task<Result<LeaseOutcome>> acquire_lease(const ActorKey& key, const std::string& holder, Duration duration,
                                           const Tags& metadata) override;
  Task<Result<LeaseOutcome>> renew_lease(const ActorKey& key, const std::string& holder, uint64_t version,
                                         Duration duration) override;
  Task<Result<void>> release_lease(const ActorKey& key, const std::string& holder, uint64_t version) override;
  Task<Result<LeaseRecord>> read_lease(const ActorKey& key) override;
  Task<Result<std::vector<LeaseRecord>>> list_leases(std::optional<std::string> kind) override;
  // Refused locally with kInvalidArgument (and not sent: the outcome is known) when the
  // request would not fit in one transport frame. The snapshot is encoded straight into
  // the request frame (its state's one copy), so the rvalue overload has nothing to save.
  Task<Result<void>> write_snapshot(const Snapshot& snapshot, uint64_t expected_version) override;
  using PersistenceProvider::write_snapshot;
  Task<Result<std::vector<Snapshot>>> read_snapshots(const ActorKey& key) override;
  Task<Result<std::vector<ActorKey>>> list_snapshot_keys(std::optional<std::string> kind) override;
  Task<Result<uint64_t>> sweep_expired() override;

  // The store's K once remote_health() has learned it, the configured value before.
  size_t retained_versions() const override;
  // Client-side counts (see the file comment).
  ProviderMetrics metrics() const override;
  // The rule in the file comment; the reason names the counts and the last failure.
  Health health() const override;

  // The store's own counters and health (one attempt each, retried like reads). The health
  // reply also carries the store's K, which retained_versions() reports from then on.
  Task<Result<ProviderMetrics>> remote_metrics();
  Task<Result<Health>> remote_health();

  const RemoteClientStats& client_stats() const { return stats_; }
  const RemoteProviderConfig& config() const { return config_; }

 private:
  enum class Kind { kRead, kIdempotentWrite, kWrite };

  // The coroutines behind the calls hold the encoded request (an encode_message() frame),
  // never the caller's arguments.
  Task<Result<LeaseOutcome>> lease_call(rpc::Method method, Bytes request, bool renewal);
  Task<Result<void>> release_call(Bytes request);
  Task<Result<LeaseRecord>> read_lease_call(Bytes request);
  Task<Result<std::vector<LeaseRecord>>> list_leases_call(Bytes request);
  Task<Result<void>> write_snapshot_call(Bytes request, uint64_t state_bytes);
  Task<Result<std::vector<Snapshot>>> read_snapshots_call(Bytes request);
  Task<Result<std::vector<ActorKey>>> list_snapshot_keys_call(Bytes request);

  // Sends `request` to the store, retrying per `kind`; counts everything; names the method
  // and node in transport errors. The reply is the whole reply frame.
  Task<Result<Bytes>> invoke(rpc::Method method, Bytes request, Kind kind);
  // The reply of M decoded; a reply that does not decode is kCorrupt (counted) naming the
  // method and the field.
  template <rpc::Method M>
  Result<typename wire::StoreMethod<M>::Reply> decode_reply(const Bytes& reply);
  void note_attempt(const Result<Bytes>& outcome);
  void note_operation_error(const Error& error, Kind kind);

  rpc::RpcNode& rpc_;
  const RemoteProviderConfig config_;
  std::optional<size_t> learned_retained_versions_;
  ProviderMetrics metrics_;
  RemoteClientStats stats_;
  // The outcomes (true = failed) of the last health_window attempts, oldest first.
  std::deque<bool> recent_failures_;
  std::string last_failure_;
};

}  // namespace orbit::persistence
