#include "runtime/persistence/remote_provider.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "runtime/env/sleep.h"
#include "runtime/persistence/storage_server.h"

namespace orbit::persistence {
namespace {

using Json = nlohmann::json;

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

Json key_body(const ActorKey& key) { return Json{{"key", to_json(key)}}; }

Json kind_body(const std::optional<std::string>& kind) {
  Json body = Json::object();
  if (kind) body["kind"] = *kind;
  return body;
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
  Json body{{"key", to_json(key)},
            {"holder", holder},
            {"duration_ns", duration.count()},
            {"metadata", wire::tags_to_json(metadata)}};
  return lease_call(wire::kAcquireLease, std::move(body), /*renewal=*/false);
}

Task<Result<LeaseOutcome>> RemoteProvider::renew_lease(const ActorKey& key, const std::string& holder,
                                                       uint64_t version, Duration duration) {
  Json body{{"key", to_json(key)}, {"holder", holder}, {"version", version}, {"duration_ns", duration.count()}};
  return lease_call(wire::kRenewLease, std::move(body), /*renewal=*/true);
}

Task<Result<void>> RemoteProvider::release_lease(const ActorKey& key, const std::string& holder,
                                                 uint64_t version) {
  return release_call(Json{{"key", to_json(key)}, {"holder", holder}, {"version", version}});
}

Task<Result<LeaseRecord>> RemoteProvider::read_lease(const ActorKey& key) { return read_lease_call(key_body(key)); }

Task<Result<std::vector<LeaseRecord>>> RemoteProvider::list_leases(std::optional<std::string> kind) {
  return list_leases_call(kind_body(kind));
}

Task<Result<void>> RemoteProvider::write_snapshot(const Snapshot& snapshot, uint64_t expected_version) {
  return write_snapshot_call(Json{{"snapshot", to_json(snapshot)}, {"expected_version", expected_version}},
                             snapshot.state.size());
}

Task<Result<std::vector<Snapshot>>> RemoteProvider::read_snapshots(const ActorKey& key) {
  return read_snapshots_call(key_body(key));
}

Task<Result<std::vector<ActorKey>>> RemoteProvider::list_snapshot_keys(std::optional<std::string> kind) {
  return list_snapshot_keys_call(kind_body(kind));
}

Task<Result<uint64_t>> RemoteProvider::sweep_expired() {
  // Not retried: a repeat is harmless to the data but would report only its own removals.
  Result<Json> reply = co_await invoke(wire::kSweepExpired, Json::object(), Kind::kWrite);
  if (!reply.ok()) co_return reply.error();
  uint64_t removed = 0;
  if (auto e = wire::get_uint(*reply, "removed", removed)) co_return malformed_reply(wire::kSweepExpired, *e);
  co_return removed;
}

// --- Coroutines. ---------------------------------------------------------------------------

Task<Result<LeaseOutcome>> RemoteProvider::lease_call(std::string_view method, Json body, bool renewal) {
  Result<Json> reply = co_await invoke(method, std::move(body), Kind::kIdempotentWrite);
  if (!reply.ok()) co_return reply.error();
  LeaseOutcome outcome;
  if (auto e = wire::lease_outcome_from_json(*reply, outcome)) co_return malformed_reply(method, *e);
  if (!outcome.granted) {
    ++metrics_.lease_conflicts;
  } else if (renewal) {
    ++metrics_.lease_renewals;
  } else {
    ++metrics_.lease_acquires;
  }
  co_return outcome;
}

Task<Result<void>> RemoteProvider::release_call(Json body) {
  Result<Json> reply = co_await invoke(wire::kReleaseLease, std::move(body), Kind::kWrite);
  if (!reply.ok()) {
    if (reply.code() == ErrorCode::kConflict) ++metrics_.lease_conflicts;
    co_return reply.error();
  }
  ++metrics_.lease_releases;
  co_return Result<void>();
}

Task<Result<LeaseRecord>> RemoteProvider::read_lease_call(Json body) {
  Result<Json> reply = co_await invoke(wire::kReadLease, std::move(body), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  if (!reply->is_object() || !reply->contains("lease")) co_return malformed_reply(wire::kReadLease, "lease: missing");
  LeaseRecord lease;
  if (auto e = from_json((*reply)["lease"], lease)) co_return malformed_reply(wire::kReadLease, *e);
  co_return lease;
}

Task<Result<std::vector<LeaseRecord>>> RemoteProvider::list_leases_call(Json body) {
  Result<Json> reply = co_await invoke(wire::kListLeases, std::move(body), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  if (!reply->is_object() || !reply->contains("leases") || !(*reply)["leases"].is_array()) {
    co_return malformed_reply(wire::kListLeases, "leases: expected an array");
  }
  std::vector<LeaseRecord> leases;
  const Json& items = (*reply)["leases"];
  leases.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    LeaseRecord lease;
    if (auto e = from_json(items[i], lease)) {
      co_return malformed_reply(wire::kListLeases, "leases[" + std::to_string(i) + "]: " + *e);
    }
    leases.push_back(std::move(lease));
  }
  co_return leases;
}

Task<Result<void>> RemoteProvider::write_snapshot_call(Json body, uint64_t state_bytes) {
  // A request the transport would drop must not be sent: it would time out and leave the
  // caller believing the write might have been applied, when it never can be.
  const size_t limit = rpc_.env().transport.max_frame_bytes();
  const size_t bytes = Json::to_msgpack(body).size() + wire::kFrameOverheadBytes;
  if (bytes > limit) {
    ++stats_.calls;
    ++stats_.oversize_requests;
    co_return Error{ErrorCode::kInvalidArgument,
                    std::string(wire::kWriteSnapshot) + ": request of " + std::to_string(bytes) +
                        " bytes exceeds the transport's frame limit of " + std::to_string(limit) +
                        " bytes (not sent)"};
  }
  Result<Json> reply = co_await invoke(wire::kWriteSnapshot, std::move(body), Kind::kWrite);
  if (!reply.ok()) {
    if (reply.code() == ErrorCode::kRejected) ++metrics_.fencing_rejections;
    if (reply.code() == ErrorCode::kConflict) ++metrics_.version_conflicts;
    co_return reply.error();
  }
  ++metrics_.snapshot_writes;
  metrics_.bytes_written += state_bytes;
  co_return Result<void>();
}

Task<Result<std::vector<Snapshot>>> RemoteProvider::read_snapshots_call(Json body) {
  Result<Json> reply = co_await invoke(wire::kReadSnapshots, std::move(body), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  if (!reply->is_object() || !reply->contains("snapshots") || !(*reply)["snapshots"].is_array()) {
    co_return malformed_reply(wire::kReadSnapshots, "snapshots: expected an array");
  }
  std::vector<Snapshot> snapshots;
  const Json& items = (*reply)["snapshots"];
  snapshots.reserve(items.size());
  uint64_t bytes = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    Snapshot snapshot;
    if (auto e = from_json(items[i], snapshot)) {
      co_return malformed_reply(wire::kReadSnapshots, "snapshots[" + std::to_string(i) + "]: " + *e);
    }
    bytes += snapshot.state.size();
    snapshots.push_back(std::move(snapshot));
  }
  ++metrics_.snapshot_reads;
  metrics_.bytes_read += bytes;
  co_return snapshots;
}

Task<Result<std::vector<ActorKey>>> RemoteProvider::list_snapshot_keys_call(Json body) {
  Result<Json> reply = co_await invoke(wire::kListSnapshotKeys, std::move(body), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  if (!reply->is_object() || !reply->contains("keys") || !(*reply)["keys"].is_array()) {
    co_return malformed_reply(wire::kListSnapshotKeys, "keys: expected an array");
  }
  std::vector<ActorKey> keys;
  const Json& items = (*reply)["keys"];
  keys.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    ActorKey key;
    if (auto e = from_json(items[i], key)) {
      co_return malformed_reply(wire::kListSnapshotKeys, "keys[" + std::to_string(i) + "]: " + *e);
    }
    keys.push_back(std::move(key));
  }
  co_return keys;
}

Task<Result<ProviderMetrics>> RemoteProvider::remote_metrics() {
  Result<Json> reply = co_await invoke(wire::kMetrics, Json::object(), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  ProviderMetrics metrics;
  if (auto e = wire::metrics_from_json(*reply, metrics)) co_return malformed_reply(wire::kMetrics, *e);
  co_return metrics;
}

Task<Result<Health>> RemoteProvider::remote_health() {
  Result<Json> reply = co_await invoke(wire::kHealth, Json::object(), Kind::kRead);
  if (!reply.ok()) co_return reply.error();
  Health health;
  uint64_t retained = 0;
  if (auto e = wire::health_from_json(*reply, health, retained)) co_return malformed_reply(wire::kHealth, *e);
  if (retained == 0) co_return malformed_reply(wire::kHealth, "retained_versions: must be at least 1");
  // The store is the authority on its own K; a configured value was only a placeholder.
  learned_retained_versions_ = static_cast<size_t>(retained);
  co_return health;
}

Task<Result<Json>> RemoteProvider::invoke(std::string_view method, Json body, Kind kind) {
  ++stats_.calls;
  const uint32_t attempts = kind == Kind::kWrite ? 1 : config_.max_attempts;
  Duration backoff = config_.retry_backoff;
  for (uint32_t attempt = 1;; ++attempt) {
    ++stats_.attempts;
    const bool last = attempt >= attempts;
    // The last attempt may consume the body; earlier ones send a copy.
    Json request = last ? std::move(body) : Json(body);
    std::string name(method);
    Result<Json> reply = co_await rpc_.call(config_.store, std::move(name), std::move(request), config_.call_timeout);
    note_attempt(reply);
    if (reply.ok()) co_return reply;
    const ErrorCode code = reply.code();
    if (code == ErrorCode::kTimeout) ++stats_.timeouts;
    if (code == ErrorCode::kUnavailable) ++stats_.unavailable;
    if (!is_retryable(code) || last) {
      Error error = reply.error();
      if (leaves_outcome_unknown(code)) {
        // Say where and how often, and, for a write, that it may have happened anyway.
        error.message = std::string(method) + " to node " + std::to_string(config_.store) + ": " + error.message +
                        " (attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) + ")";
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

Error RemoteProvider::malformed_reply(std::string_view method, const std::string& what) {
  ++stats_.malformed_replies;
  ++stats_.errors;
  ++metrics_.errors;
  return Error{ErrorCode::kCorrupt, std::string(method) + " reply: " + what};
}

void RemoteProvider::note_attempt(const Result<Json>& outcome) {
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
