#include "runtime/persistence/storage_server.h"

#include "runtime/env/fault_sites.h"
#include "runtime/env/sleep.h"

#include <array>
#include <utility>
#include <vector>

namespace orbit::persistence {
namespace wire {
namespace {

std::optional<std::string> need(const Json& body, const char* field) {
  if (!body.is_object()) return std::string("body: expected an object");
  if (!body.contains(field)) return std::string(field) + ": missing";
  return std::nullopt;
}

// The ProviderMetrics fields by wire name, in one table so encoder and decoder agree.
struct MetricField {
  const char* name;
  uint64_t ProviderMetrics::*member;
};
constexpr std::array<MetricField, 12> kMetricFields = {{
    {"lease_acquires", &ProviderMetrics::lease_acquires},
    {"lease_renewals", &ProviderMetrics::lease_renewals},
    {"lease_conflicts", &ProviderMetrics::lease_conflicts},
    {"lease_releases", &ProviderMetrics::lease_releases},
    {"snapshot_writes", &ProviderMetrics::snapshot_writes},
    {"snapshot_reads", &ProviderMetrics::snapshot_reads},
    {"fencing_rejections", &ProviderMetrics::fencing_rejections},
    {"version_conflicts", &ProviderMetrics::version_conflicts},
    {"bytes_written", &ProviderMetrics::bytes_written},
    {"bytes_read", &ProviderMetrics::bytes_read},
    {"errors", &ProviderMetrics::errors},
    {"corrupt_records", &ProviderMetrics::corrupt_records},
}};

}  // namespace

std::optional<std::string> get_string(const Json& body, const char* field, std::string& out) {
  if (auto e = need(body, field)) return e;
  if (!body[field].is_string()) return std::string(field) + ": expected a string";
  out = body[field].get<std::string>();
  return std::nullopt;
}

std::optional<std::string> get_uint(const Json& body, const char* field, uint64_t& out) {
  if (auto e = need(body, field)) return e;
  if (!body[field].is_number_unsigned()) return std::string(field) + ": expected an unsigned integer";
  out = body[field].get<uint64_t>();
  return std::nullopt;
}

std::optional<std::string> get_int(const Json& body, const char* field, int64_t& out) {
  if (auto e = need(body, field)) return e;
  const Json& v = body[field];
  if (!v.is_number_integer()) return std::string(field) + ": expected an integer";
  // An unsigned value above INT64_MAX would wrap: refuse it rather than flip its sign.
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return std::string(field) + ": out of range for a signed 64-bit integer";
  }
  out = v.get<int64_t>();
  return std::nullopt;
}

std::optional<std::string> get_bool(const Json& body, const char* field, bool& out) {
  if (auto e = need(body, field)) return e;
  if (!body[field].is_boolean()) return std::string(field) + ": expected a boolean";
  out = body[field].get<bool>();
  return std::nullopt;
}

std::optional<std::string> get_tags(const Json& body, const char* field, Tags& out) {
  if (auto e = need(body, field)) return e;
  const Json& tags = body[field];
  if (!tags.is_object()) return std::string(field) + ": expected an object";
  out.clear();
  for (const auto& [k, v] : tags.items()) {
    if (!v.is_string()) return std::string(field) + "." + k + ": expected a string";
    out[k] = v.get<std::string>();
  }
  return std::nullopt;
}

std::optional<std::string> get_key(const Json& body, const char* field, ActorKey& out) {
  if (auto e = need(body, field)) return e;
  // from_json names the key's own fields ("key.kind: missing"); re-root it at `field`.
  if (auto e = from_json(body[field], out)) {
    std::string message = *e;
    if (message.rfind("key", 0) == 0) message.replace(0, 3, field);
    return message;
  }
  return std::nullopt;
}

std::optional<std::string> get_kind_filter(const Json& body, std::optional<std::string>& out) {
  out.reset();
  if (body.is_null()) return std::nullopt;
  if (!body.is_object()) return std::string("body: expected an object");
  if (!body.contains("kind") || body["kind"].is_null()) return std::nullopt;
  if (!body["kind"].is_string()) return std::string("kind: expected a string or null");
  out = body["kind"].get<std::string>();
  return std::nullopt;
}

Json tags_to_json(const Tags& tags) {
  Json out = Json::object();
  for (const auto& [k, v] : tags) out[k] = v;
  return out;
}

Json lease_outcome_to_json(const LeaseOutcome& outcome) {
  return Json{{"granted", outcome.granted}, {"record", to_json(outcome.record)}};
}

std::optional<std::string> lease_outcome_from_json(const Json& j, LeaseOutcome& out) {
  if (auto e = get_bool(j, "granted", out.granted)) return e;
  if (auto e = need(j, "record")) return e;
  if (auto e = from_json(j["record"], out.record)) return "record: " + *e;
  return std::nullopt;
}

Json metrics_to_json(const ProviderMetrics& metrics) {
  Json out = Json::object();
  for (const MetricField& f : kMetricFields) out[f.name] = metrics.*(f.member);
  return out;
}

std::optional<std::string> metrics_from_json(const Json& j, ProviderMetrics& out) {
  for (const MetricField& f : kMetricFields) {
    if (auto e = get_uint(j, f.name, out.*(f.member))) return e;
  }
  return std::nullopt;
}

std::string_view to_string(HealthState state) {
  switch (state) {
    case HealthState::kHealthy: return "healthy";
    case HealthState::kDegraded: return "degraded";
    case HealthState::kUnhealthy: return "unhealthy";
  }
  return "unknown";
}

Json health_to_json(const Health& health, size_t retained_versions) {
  return Json{{"state", std::string(to_string(health.state))},
              {"reason", health.reason},
              {"retained_versions", static_cast<uint64_t>(retained_versions)}};
}

std::optional<std::string> health_from_json(const Json& j, Health& out, uint64_t& retained_versions) {
  std::string state;
  if (auto e = get_string(j, "state", state)) return e;
  if (state == "healthy") {
    out.state = HealthState::kHealthy;
  } else if (state == "degraded") {
    out.state = HealthState::kDegraded;
  } else if (state == "unhealthy") {
    out.state = HealthState::kUnhealthy;
  } else {
    return "state: unknown health state '" + state + "'";
  }
  if (auto e = get_string(j, "reason", out.reason)) return e;
  return get_uint(j, "retained_versions", retained_versions);
}

}  // namespace wire

namespace {
using Json = nlohmann::json;
}  // namespace

StorageServer::StorageServer(rpc::RpcNode& rpc, PersistenceProvider& provider)
    : rpc_(rpc), provider_(provider) {
  // Plain lambdas returning a member coroutine's Task: the coroutine frame then depends only
  // on the server, never on a lambda object (see rpc_node.h).
  rpc_.serve(std::string(wire::kAcquireLease), [this](rpc::NodeId, Json b) { return acquire_lease(std::move(b)); });
  rpc_.serve(std::string(wire::kRenewLease), [this](rpc::NodeId, Json b) { return renew_lease(std::move(b)); });
  rpc_.serve(std::string(wire::kReleaseLease), [this](rpc::NodeId, Json b) { return release_lease(std::move(b)); });
  rpc_.serve(std::string(wire::kReadLease), [this](rpc::NodeId, Json b) { return read_lease(std::move(b)); });
  rpc_.serve(std::string(wire::kListLeases), [this](rpc::NodeId, Json b) { return list_leases(std::move(b)); });
  rpc_.serve(std::string(wire::kWriteSnapshot), [this](rpc::NodeId, Json b) { return write_snapshot(std::move(b)); });
  rpc_.serve(std::string(wire::kReadSnapshots), [this](rpc::NodeId, Json b) { return read_snapshots(std::move(b)); });
  rpc_.serve(std::string(wire::kListSnapshotKeys),
             [this](rpc::NodeId, Json b) { return list_snapshot_keys(std::move(b)); });
  rpc_.serve(std::string(wire::kSweepExpired), [this](rpc::NodeId, Json b) { return sweep_expired(std::move(b)); });
  rpc_.serve(std::string(wire::kMetrics), [this](rpc::NodeId, Json b) { return metrics(std::move(b)); });
  rpc_.serve(std::string(wire::kHealth), [this](rpc::NodeId, Json b) { return health(std::move(b)); });
}

Task<void> StorageServer::stall_before_apply() {
  const Duration stall = rpc_.env().faults.delay(env::sites::kStoreStallBeforeApply, kMaxStall);
  if (stall > Duration::zero()) co_await sleep(rpc_.env().executor, stall);
}

Error StorageServer::invalid(std::string_view method, const std::string& what) {
  ++stats_.invalid_requests;
  return Error{ErrorCode::kInvalidArgument, std::string(method) + ": " + what};
}

Error StorageServer::provider_error(const Error& error) {
  ++stats_.provider_errors;
  return error;
}

Result<Json> StorageServer::checked_reply(std::string_view method, Json reply) {
  const size_t limit = rpc_.env().transport.max_frame_bytes();
  // Only bodies that can be large are measured: encoding twice costs a copy of the state.
  if (reply.is_object() && (reply.contains("snapshots") || reply.contains("leases") || reply.contains("keys"))) {
    const size_t bytes = Json::to_msgpack(reply).size() + wire::kFrameOverheadBytes;
    if (bytes > limit) {
      ++stats_.oversize_replies;
      return Error{ErrorCode::kIo, std::string(method) + ": reply of " + std::to_string(bytes) +
                                       " bytes exceeds the transport's frame limit of " + std::to_string(limit) +
                                       " bytes"};
    }
  }
  return reply;
}

Task<Result<Json>> StorageServer::acquire_lease(Json body) {
  ++stats_.requests;
  constexpr std::string_view m = wire::kAcquireLease;
  ActorKey key;
  std::string holder;
  int64_t duration_ns = 0;
  Tags metadata;
  if (auto e = wire::get_key(body, "key", key)) co_return invalid(m, *e);
  if (auto e = wire::get_string(body, "holder", holder)) co_return invalid(m, *e);
  if (auto e = wire::get_int(body, "duration_ns", duration_ns)) co_return invalid(m, *e);
  if (auto e = wire::get_tags(body, "metadata", metadata)) co_return invalid(m, *e);
  co_await stall_before_apply();
  Result<LeaseOutcome> r = co_await provider_.acquire_lease(key, holder, Duration(duration_ns), metadata);
  if (!r.ok()) co_return provider_error(r.error());
  co_return wire::lease_outcome_to_json(*r);
}

Task<Result<Json>> StorageServer::renew_lease(Json body) {
  ++stats_.requests;
  constexpr std::string_view m = wire::kRenewLease;
  ActorKey key;
  std::string holder;
  uint64_t version = 0;
  int64_t duration_ns = 0;
  if (auto e = wire::get_key(body, "key", key)) co_return invalid(m, *e);
  if (auto e = wire::get_string(body, "holder", holder)) co_return invalid(m, *e);
  if (auto e = wire::get_uint(body, "version", version)) co_return invalid(m, *e);
  if (auto e = wire::get_int(body, "duration_ns", duration_ns)) co_return invalid(m, *e);
  co_await stall_before_apply();
  Result<LeaseOutcome> r = co_await provider_.renew_lease(key, holder, version, Duration(duration_ns));
  if (!r.ok()) co_return provider_error(r.error());
  co_return wire::lease_outcome_to_json(*r);
}

Task<Result<Json>> StorageServer::release_lease(Json body) {
  ++stats_.requests;
  constexpr std::string_view m = wire::kReleaseLease;
  ActorKey key;
  std::string holder;
  uint64_t version = 0;
  if (auto e = wire::get_key(body, "key", key)) co_return invalid(m, *e);
  if (auto e = wire::get_string(body, "holder", holder)) co_return invalid(m, *e);
  if (auto e = wire::get_uint(body, "version", version)) co_return invalid(m, *e);
  co_await stall_before_apply();
  Result<void> r = co_await provider_.release_lease(key, holder, version);
  if (!r.ok()) co_return provider_error(r.error());
  co_return Json::object();
}

Task<Result<Json>> StorageServer::read_lease(Json body) {
  ++stats_.requests;
  constexpr std::string_view m = wire::kReadLease;
  ActorKey key;
  if (auto e = wire::get_key(body, "key", key)) co_return invalid(m, *e);
  Result<LeaseRecord> r = co_await provider_.read_lease(key);
  if (!r.ok()) co_return provider_error(r.error());
  co_return Json{{"lease", to_json(*r)}};
}

Task<Result<Json>> StorageServer::list_leases(Json body) {
  ++stats_.requests;
  constexpr std::string_view m = wire::kListLeases;
  std::optional<std::string> kind;
  if (auto e = wire::get_kind_filter(body, kind)) co_return invalid(m, *e);
  Result<std::vector<LeaseRecord>> r = co_await provider_.list_leases(kind);
  if (!r.ok()) co_return provider_error(r.error());
  Json leases = Json::array();
  for (const LeaseRecord& lease : *r) leases.push_back(to_json(lease));
  co_return checked_reply(m, Json{{"leases", std::move(leases)}});
}

Task<Result<Json>> StorageServer::write_snapshot(Json body) {
  ++stats_.requests;
  constexpr std::string_view m = wire::kWriteSnapshot;
  Snapshot snapshot;
  uint64_t expected_version = 0;
  if (auto e = wire::get_uint(body, "expected_version", expected_version)) co_return invalid(m, *e);
  if (!body.contains("snapshot")) co_return invalid(m, "snapshot: missing");
  // from_json already roots its messages at "snapshot." ("snapshot.state: expected binary").
  if (auto e = from_json(body["snapshot"], snapshot)) co_return invalid(m, *e);
  co_await stall_before_apply();
  Result<void> r = co_await provider_.write_snapshot(snapshot, expected_version);
  if (!r.ok()) co_return provider_error(r.error());
  co_return Json::object();
}

Task<Result<Json>> StorageServer::read_snapshots(Json body) {
  ++stats_.requests;
  constexpr std::string_view m = wire::kReadSnapshots;
  ActorKey key;
  if (auto e = wire::get_key(body, "key", key)) co_return invalid(m, *e);
  Result<std::vector<Snapshot>> r = co_await provider_.read_snapshots(key);
  if (!r.ok()) co_return provider_error(r.error());
  Json snapshots = Json::array();
  for (Snapshot& s : *r) {
    // Beyond-model fault site: a bit flips in memory or on the wire after the store's own
    // checksums passed. Only the reader's SHA-256 check stands between it and the actor.
    if (!s.state.empty() && rpc_.env().faults.fire(env::sites::kCorruptSnapshotRead)) {
      const uint64_t bit = rpc_.env().random.below(s.state.size() * 8);
      s.state[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    snapshots.push_back(to_json(s));
  }
  co_return checked_reply(m, Json{{"snapshots", std::move(snapshots)}});
}

Task<Result<Json>> StorageServer::list_snapshot_keys(Json body) {
  ++stats_.requests;
  constexpr std::string_view m = wire::kListSnapshotKeys;
  std::optional<std::string> kind;
  if (auto e = wire::get_kind_filter(body, kind)) co_return invalid(m, *e);
  Result<std::vector<ActorKey>> r = co_await provider_.list_snapshot_keys(kind);
  if (!r.ok()) co_return provider_error(r.error());
  Json keys = Json::array();
  for (const ActorKey& key : *r) keys.push_back(to_json(key));
  co_return checked_reply(m, Json{{"keys", std::move(keys)}});
}

Task<Result<Json>> StorageServer::sweep_expired(Json body) {
  ++stats_.requests;
  if (!body.is_null() && !body.is_object()) co_return invalid(wire::kSweepExpired, "body: expected an object");
  Result<uint64_t> r = co_await provider_.sweep_expired();
  if (!r.ok()) co_return provider_error(r.error());
  co_return Json{{"removed", *r}};
}

Task<Result<Json>> StorageServer::metrics(Json body) {
  ++stats_.requests;
  if (!body.is_null() && !body.is_object()) co_return invalid(wire::kMetrics, "body: expected an object");
  co_return wire::metrics_to_json(provider_.metrics());
}

Task<Result<Json>> StorageServer::health(Json body) {
  ++stats_.requests;
  if (!body.is_null() && !body.is_object()) co_return invalid(wire::kHealth, "body: expected an object");
  co_return wire::health_to_json(provider_.health(), provider_.retained_versions());
}

}  // namespace orbit::persistence
