#include "runtime/persistence/remote_provider.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "runtime/env/sleep.h"

namespace orbit::persistence {
namespace {

using rpc::Method;

// Errors that say the store could not be reached or could not do its job, as opposed to a
// refusal it decided (kConflict, kRejected, kNotFound, kInvalidArgument, kAlreadyExists).
bool is_io_class(ErrorCode code) {
  switch (code) {
    case ErrorCode::kTimeout:
    case ErrorCode::kUnavailable:
    case ErrorCode::kCancelled:
    case ErrorCode::kIo:
    case ErrorCode::kNoSpace:
    case ErrorCode::kCorrupt:
      return true;
    default:
      return false;
  }
}

// The failures after which a repeat of an idempotent operation may succeed.
bool is_retryable(ErrorCode code) { return code == ErrorCode::kTimeout || code == ErrorCode::kUnavailable; }

// Failures after which a write may or may not have been applied.
bool leaves_outcome_unknown(ErrorCode code) {
  return code == ErrorCode::kTimeout || code == ErrorCode::kUnavailable || code == ErrorCode::kCancelled;
}

Bytes key_request(const ActorKey& key) {
  wire::KeyRequest request;
  request.key = key;
  return rpc::encode_message(request);
}

Bytes kind_request(std::optional<std::string> kind) {
  wire::KindRequest request;
  request.kind = std::move(kind);
  return rpc::encode_message(request);
}

}  // namespace

Result<void> RemoteProviderConfig::validate() const {
  auto bad = [](std::string what) { return Error{ErrorCode::kInvalidArgument, "remote_provider." + std::move(what)}; };
  if (call_timeout <= Duration::zero()) return bad("call_timeout must be positive");
  if (retained_versions == 0) return bad("retained_versions must be at least 1");
  if (max_attempts == 0 || max_attempts > 100) {
    return bad("max_attempts must be in [1, 100], got " + std::to_string(max_attempts));
  }
  if (retry_backoff < Duration::zero()) return bad("retry_backoff must not be negative");
  if (retry_backoff_max < retry_backoff) return bad("retry_backoff_max must be at least retry_backoff");
  if (health_window == 0 || health_window > 1024) {
    return bad("health_window must be in [1, 1024], got " + std::to_string(health_window));
  }
  if (unhealthy_after == 0 || unhealthy_after > health_window) {
    return bad("unhealthy_after must be in [1, health_window], got " + std::to_string(unhealthy_after));
  }
  return {};
}

RemoteProvider::RemoteProvider(rpc::RpcNode& rpc, RemoteProviderConfig config)
    : rpc_(rpc), config_(std::move(config)) {
  if (auto r = config_.validate(); !r) throw std::invalid_argument(r.error().message);
}

// --- The PersistenceProvider calls: encode now, send in the coroutine. -------------------

Task<Result<LeaseOutcome>> RemoteProvider::acquire_lease(const ActorKey& key, const std::string& holder,
                                                         Duration duration, const Tags& metadata) {
  wire::AcquireLeaseRequest request;
  request.key = key;
  request.holder = holder;
  request.duration_ns = duration.count();
  request.metadata = metadata;
  return lease_call(Method::kAcquireLease, rpc::encode_message(request), /*renewal=*/false);
}

Task<Result<LeaseOutcome>> RemoteProvider::renew_lease(const ActorKey& key, const std::string& holder,
                                                       uint64_t version, Duration duration) {
  wire::RenewLeaseRequest request;
  request.key = key;
  request.holder = holder;
  request.version = version;
  request.duration_ns = duration.count();
  return lease_call(Method::kRenewLease, rpc::encode_message(request), /*renewal=*/true);
}

Task<Result<void>> RemoteProvider::release_lease(const ActorKey& key, const std::string& holder,
                                                 uint64_t version) {
  wire::ReleaseLeaseRequest request;
  request.key = key;
  request.holder = holder;
  request.version = version;
  return release_call(rpc::encode_message(request));
}

Task<Result<LeaseRecord>> RemoteProvider::read_lease(const ActorKey& key) { return read_lease_call(key_request(key)); }

Task<Result<std::vector<LeaseRecord>>> RemoteProvider::list_leases(std::optional<std::string> kind) {
  return list_leases_call(kind_request(std::move(kind)));
}

Task<Result<void>> RemoteProvider::write_snapshot(const Snapshot& snapshot, uint64_t expected_version) {
  // The coroutine holds the encoded bytes only: the state is copied once, into the frame.
  const wire::WriteSnapshotRequestRef request{snapshot, expected_version};
  Bytes frame = wire::encode_message_reserved(request, 16 + codec::encoded_size_bound(snapshot));
  return write_snapshot_call(std::move(frame), snapshot.state.size());
}

Task<Result<std::vector<Snapshot>>> RemoteProvider::read_snapshots(const ActorKey& key) {
  return read_snapshots_call(key_request(key));
}

Task<Result<std::vector<ActorKey>>> RemoteProvider::list_snapshot_keys(std::optional<std::string> kind) {
  return list_snapshot_keys_call(kind_request(std::move(kind)));
}

Task<Result<uint64_t>> RemoteProvider::sweep_expired() {
  // Not retried: a repeat is harmless to the data but would report only its own removals.
  // Encoded before the co_await: GCC 12 miscompiles braced temporaries inside one.
  Bytes request = rpc::encode_message(rpc::Empty{});
  Result<Bytes> reply = co_await invoke(Method::kSweepExpired, std::move(request), Kind::kWrite);
  if (!reply.ok()) co_return reply.error();
  Result<wire::SweepExpiredReply> swept = decode_reply<Method::kSweepExpired>(*reply);
  if (!swept.ok()) co_return swept.error();
  co_return swept->removed;
}

// --- Coroutines. ---------------------------------------------------------------------------

Task<Result<LeaseOutcome>> RemoteProvider::lease_call(Method method, Bytes request, bool renewal) {
  Result<Bytes> reply = co_await invoke(method, std::move(request), Kind::kIdempotentWrite);
  if (!reply.ok()) co_return reply.error();
  // Both lease methods reply a LeaseOutcome (StoreMethod<kRenewLease>::Reply is the same type).
  Result<LeaseOutcome> outcome = method == Method::kRenewLease ? decode_reply<Method::kRenewLease>(*reply)
                                                               : decode_reply<Method::kAcquireLease>(*reply);
  if (!outcome.ok()) co_return outcome.error();
  if (!outcome->granted) {
    ++metrics_.lease_conflicts;
  } else if (renewal) {
    ++metrics_.lease_renewals;
  } else {
    ++metrics_.lease_acquires;
  }
  co_return outcome;
}

Task<Result<void>> RemoteProvider::release_call(Bytes request) {
  Result<Bytes> reply = co_await invoke(Method::kReleaseLease, std::move(request), Kind::kWrite);
  if (!reply.ok()) {
    if (reply.code() == ErrorCode::kConflict) ++metrics_.lease_conflicts;
    co_return reply.error();
  }
  ++metrics_.lease_releases;
  co_return Result<void>();
}

Task<Result<LeaseRecord>> RemoteProvider::read_lease_call(Bytes request) {
  Result<Bytes> reply = co_await invoke(Method::kReadLease, std::move(request), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  Result<wire::ReadLeaseReply> read = decode_reply<Method::kReadLease>(*reply);
  if (!read.ok()) co_return read.error();
  co_return std::move(read->lease);
}

Task<Result<std::vector<LeaseRecord>>> RemoteProvider::list_leases_call(Bytes request) {
  Result<Bytes> reply = co_await invoke(Method::kListLeases, std::move(request), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  Result<wire::ListLeasesReply> listed = decode_reply<Method::kListLeases>(*reply);
  if (!listed.ok()) co_return listed.error();
  co_return std::move(listed->leases);
}

Task<Result<void>> RemoteProvider::write_snapshot_call(Bytes request, uint64_t state_bytes) {
  // A request the transport would drop must not be sent: it would time out and leave the
  // caller believing the write might have been applied, when it never can be. The request
  // is the whole frame, so its size is exact.
  const size_t limit = rpc_.env().transport.max_frame_bytes();
  if (request.size() > limit) {
    ++stats_.calls;
    ++stats_.oversize_requests;
    co_return Error{ErrorCode::kInvalidArgument,
                    std::string(rpc::method_name(Method::kWriteSnapshot)) + ": request of " +
                        std::to_string(request.size()) + " bytes exceeds the transport's frame limit of " +
                        std::to_string(limit) + " bytes (not sent)"};
  }
  Result<Bytes> reply = co_await invoke(Method::kWriteSnapshot, std::move(request), Kind::kWrite);
  if (!reply.ok()) {
    if (reply.code() == ErrorCode::kRejected) ++metrics_.fencing_rejections;
    if (reply.code() == ErrorCode::kConflict) ++metrics_.version_conflicts;
    co_return reply.error();
  }
  ++metrics_.snapshot_writes;
  metrics_.bytes_written += state_bytes;
  co_return Result<void>();
}

Task<Result<std::vector<Snapshot>>> RemoteProvider::read_snapshots_call(Bytes request) {
  Result<Bytes> reply = co_await invoke(Method::kReadSnapshots, std::move(request), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  Result<wire::ReadSnapshotsReply> read = decode_reply<Method::kReadSnapshots>(*reply);
  if (!read.ok()) co_return read.error();
  uint64_t bytes = 0;
  for (const Snapshot& snapshot : read->snapshots) bytes += snapshot.state.size();
  ++metrics_.snapshot_reads;
  metrics_.bytes_read += bytes;
  co_return std::move(read->snapshots);
}

Task<Result<std::vector<ActorKey>>> RemoteProvider::list_snapshot_keys_call(Bytes request) {
  Result<Bytes> reply = co_await invoke(Method::kListSnapshotKeys, std::move(request), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  Result<wire::ListSnapshotKeysReply> listed = decode_reply<Method::kListSnapshotKeys>(*reply);
  if (!listed.ok()) co_return listed.error();
  co_return std::move(listed->keys);
}

Task<Result<ProviderMetrics>> RemoteProvider::remote_metrics() {
  // Encoded before the co_await: GCC 12 miscompiles braced temporaries inside one.
  Bytes request = rpc::encode_message(rpc::Empty{});
  Result<Bytes> reply = co_await invoke(Method::kStoreMetrics, std::move(request), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  Result<wire::StoreMetricsReply> metrics = decode_reply<Method::kStoreMetrics>(*reply);
  if (!metrics.ok()) co_return metrics.error();
  co_return metrics->metrics;
}

Task<Result<Health>> RemoteProvider::remote_health() {
  // Encoded before the co_await: GCC 12 miscompiles braced temporaries inside one.
  Bytes request = rpc::encode_message(rpc::Empty{});
  Result<Bytes> reply = co_await invoke(Method::kStoreHealth, std::move(request), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  Result<wire::StoreHealthReply> health = decode_reply<Method::kStoreHealth>(*reply);
  if (!health.ok()) co_return health.error();
  if (health->retained_versions == 0) {
    ++stats_.malformed_replies;
    ++stats_.errors;
    ++metrics_.errors;
    co_return Error{ErrorCode::kCorrupt, std::string(rpc::method_name(Method::kStoreHealth)) +
                                             " reply: retained_versions: must be at least 1"};
  }
  // The store is the authority on its own K; a configured value was only a placeholder.
  learned_retained_versions_ = static_cast<size_t>(health->retained_versions);
  co_return std::move(health->health);
}

Task<Result<Bytes>> RemoteProvider::invoke(Method method, Bytes request, Kind kind) {
  ++stats_.calls;
  const uint32_t attempts = kind == Kind::kWrite ? 1 : config_.max_attempts;
  Duration backoff = config_.retry_backoff;
  for (uint32_t attempt = 1;; ++attempt) {
    ++stats_.attempts;
    const bool last = attempt >= attempts;
    // The last attempt may consume the request; earlier ones send a copy (the RpcNode
    // writes its header into the frame it is given).
    Bytes frame = last ? std::move(request) : Bytes(request);
    Result<Bytes> reply = co_await rpc_.call(config_.store, method, std::move(frame), config_.call_timeout);
    note_attempt(reply);
    if (reply.ok()) co_return reply;
    const ErrorCode code = reply.code();
    if (code == ErrorCode::kTimeout) ++stats_.timeouts;
    if (code == ErrorCode::kUnavailable) ++stats_.unavailable;
    if (!is_retryable(code) || last) {
      Error error = reply.error();
      if (leaves_outcome_unknown(code)) {
        // Say where and how often, and, for a write, that it may have happened anyway.
        error.message = std::string(rpc::method_name(method)) + " to node " + std::to_string(config_.store) + ": " +
                        error.message + " (attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) +
                        ")";
        if (kind != Kind::kRead) error.message += "; outcome unknown: the request may have been applied";
      }
      note_operation_error(error, kind);
      co_return error;
    }
    ++stats_.retries;
    co_await sleep(rpc_.env().executor, rpc_.env().random.duration_between(backoff / 2, backoff));
    backoff = std::min(backoff * 2, config_.retry_backoff_max);
  }
}

template <Method M>
Result<typename wire::StoreMethod<M>::Reply> RemoteProvider::decode_reply(const Bytes& reply) {
  using Reply = typename wire::StoreMethod<M>::Reply;
  const std::string_view name = rpc::method_name(M);
  Result<Reply> decoded = codec::decode<Reply>(rpc::body_of(reply), name, ErrorCode::kCorrupt);
  if (decoded.ok()) return decoded;
  ++stats_.malformed_replies;
  ++stats_.errors;
  ++metrics_.errors;
  // "store.read_lease: lease.key.id: ..." -> "store.read_lease reply: lease.key.id: ...".
  const std::string& message = decoded.error().message;
  return Error{ErrorCode::kCorrupt, std::string(name) + " reply" + message.substr(name.size())};
}

void RemoteProvider::note_attempt(const Result<Bytes>& outcome) {
  const bool failed = !outcome.ok() && is_io_class(outcome.code());
  if (failed) last_failure_ = to_string(outcome.error());
  recent_failures_.push_back(failed);
  while (recent_failures_.size() > config_.health_window) recent_failures_.pop_front();
}

void RemoteProvider::note_operation_error(const Error& error, Kind kind) {
  if (!is_io_class(error.code)) return;
  ++stats_.errors;
  ++metrics_.errors;
  if (kind != Kind::kRead && leaves_outcome_unknown(error.code)) ++stats_.indeterminate_writes;
}

size_t RemoteProvider::retained_versions() const {
  return learned_retained_versions_.value_or(config_.retained_versions);
}

ProviderMetrics RemoteProvider::metrics() const { return metrics_; }

Health RemoteProvider::health() const {
  size_t failed = 0;
  for (bool f : recent_failures_) failed += f ? 1 : 0;
  size_t trailing = 0;
  for (auto it = recent_failures_.rbegin(); it != recent_failures_.rend() && *it; ++it) ++trailing;
  const std::string store = "store node " + std::to_string(config_.store);
  if (trailing >= config_.unhealthy_after) {
    return Health{HealthState::kUnhealthy, "the last " + std::to_string(trailing) + " calls to " + store +
                                               " failed (last: " + last_failure_ + ")"};
  }
  if (failed > 0) {
    return Health{HealthState::kDegraded, std::to_string(failed) + " of the last " +
                                              std::to_string(recent_failures_.size()) + " calls to " + store +
                                              " failed (last: " + last_failure_ + ")"};
  }
  return Health{HealthState::kHealthy, ""};
}

}  // namespace orbit::persistence
