#include "tools/store_endpoints.h"

#include <sstream>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/metrics/metrics_registry.h"
#include "runtime/persistence/snapshot_hash.h"
#include "runtime/persistence/storage_server.h"

namespace orbit::tools {

using Json = nlohmann::json;
using persistence::ActorKey;
using persistence::HealthState;
using persistence::LeaseRecord;
using persistence::Snapshot;

namespace {

int health_code(HealthState state) {
  switch (state) {
    case HealthState::kHealthy: return 0;
    case HealthState::kDegraded: return 1;
    case HealthState::kUnhealthy: return 2;
  }
  return 2;
}

real::HttpResponse json_response(int status, const Json& body) {
  // Replace invalid UTF-8 (a snapshot's state may be any bytes) rather than throw.
  return real::HttpResponse{status, "application/json",
                            body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n"};
}

real::HttpResponse text_response(int status, std::string body) {
  return real::HttpResponse{status, "text/plain; charset=utf-8", std::move(body)};
}

Json lease_json(const LeaseRecord& lease, int64_t now_ns) {
  Json j = persistence::to_json(lease);
  const bool held = !lease.holder.empty() && lease.expires_at_ns > now_ns;
  j["held"] = held;
  j["expires_in_ms"] = lease.holder.empty() ? Json(nullptr) : Json((lease.expires_at_ns - now_ns) / 1'000'000);
  return j;
}

Json snapshot_summary(const Snapshot& s) {
  Json j{{"version", s.version},
         {"sha256", s.sha256},
         {"hash_verified", persistence::hash_verifies(s)},
         {"fencing_token", s.fencing_token},
         {"created_at_ns", s.created_at_ns},
         {"updated_at_ns", s.updated_at_ns},
         {"node", s.node},
         {"size_bytes", s.state.size()},
         {"tags", s.tags}};
  if (s.ttl) j["ttl_ns"] = s.ttl->count();
  return j;
}

Json state_json(const Snapshot& latest, const std::vector<Snapshot>& all, const Result<LeaseRecord>& lease,
                int64_t now_ns) {
  Json j = snapshot_summary(latest);
  j["key"] = persistence::to_json(latest.key);
  // Actor states are MessagePack (a kind with a msgpack-cxx state) or canonical JSON text
  // (a JSON-only state): show them parsed when they are either.
  Json parsed = Json::from_msgpack(latest.state.begin(), latest.state.end(), /*strict=*/true, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    parsed = Json::parse(latest.state.begin(), latest.state.end(), nullptr, /*allow_exceptions=*/false);
    j["state_text"] = std::string(latest.state.begin(), latest.state.end());
  } else {
    j["state_text"] = parsed.dump();
  }
  j["state"] = parsed.is_discarded() ? Json(nullptr) : parsed;
  Json versions = Json::array();
  for (const Snapshot& s : all) versions.push_back(snapshot_summary(s));
  j["versions"] = versions;
  j["lease"] = lease.ok() ? lease_json(*lease, now_ns) : Json(nullptr);
  return j;
}

std::string prometheus(const persistence::ProviderMetrics& m, const persistence::Health& health, size_t leases,
                       size_t held, size_t snapshot_keys, size_t snapshots, uint64_t live_bytes) {
  metrics::MetricsRegistry registry;
  const auto counter = [&](const char* name, const char* help, uint64_t value) {
    registry.describe(name, help);
    registry.counter(name).set_total(value);
  };
  counter("orbit_store_lease_acquires_total", "Lease grants (acquire).", m.lease_acquires);
  counter("orbit_store_lease_renewals_total", "Lease renewals granted.", m.lease_renewals);
  counter("orbit_store_lease_conflicts_total", "Acquire, renew or release refused.", m.lease_conflicts);
  counter("orbit_store_lease_releases_total", "Leases released.", m.lease_releases);
  counter("orbit_store_snapshot_writes_total", "Snapshot versions stored.", m.snapshot_writes);
  counter("orbit_store_snapshot_reads_total", "Snapshot reads.", m.snapshot_reads);
  counter("orbit_store_fencing_rejections_total", "Writes refused for a stale fencing token.", m.fencing_rejections);
  counter("orbit_store_version_conflicts_total", "Writes refused for an unexpected version.", m.version_conflicts);
  counter("orbit_store_bytes_written_total", "Snapshot state bytes written.", m.bytes_written);
  counter("orbit_store_bytes_read_total", "Snapshot state bytes read.", m.bytes_read);
  counter("orbit_store_errors_total", "Calls that failed with an I/O-class error.", m.errors);
  counter("orbit_store_corrupt_records_total", "Records found unreadable at open.", m.corrupt_records);
  std::ostringstream out;
  out << registry.to_prometheus();
  const auto gauge = [&](const char* name, const char* help, uint64_t value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n" << name << " " << value << "\n";
  };
  gauge("orbit_store_health", "0 healthy, 1 degraded, 2 unhealthy.", static_cast<uint64_t>(health_code(health.state)));
  gauge("orbit_store_held_leases", "Leases held and not expired (store clock).", held);
  gauge("orbit_store_lease_records", "Lease records (held or free; never removed).", leases);
  gauge("orbit_store_live_data_bytes", "RocksDB's estimate of live data on disk.", live_bytes);
  gauge("orbit_store_snapshot_keys", "Actors with at least one snapshot.", snapshot_keys);
  gauge("orbit_store_snapshots", "Snapshot versions retained.", snapshots);
  return out.str();
}

}  // namespace

Task<real::HttpResponse> store_route(real::HttpRequest request, real::RocksDbProvider* provider,
                                     const env::Clock* clock, uint32_t id) {
  const std::string path = real::target_path(request.target);
  const int64_t now_ns = to_nanos(clock->mono_now());
  if (request.method != "GET") {
    co_return text_response(405, "method " + request.method + " not allowed: the store's endpoints are GET only\n");
  }
  if (path == "/health") {
    const persistence::Health health = provider->health();
    const auto& state = provider->state();
    Json body{{"state", std::string(persistence::wire::to_string(health.state))},
              {"reason", health.reason},
              {"node", id},
              {"role", "store"},
              {"data_dir", provider->dir()},
              {"retained_versions", provider->retained_versions()},
              {"lease_records", state.leases().size()},
              {"snapshot_keys", state.snapshots().size()}};
    co_return json_response(health.state == HealthState::kHealthy ? 200 : 503, body);
  }
  if (path == "/metrics") {
    const auto& state = provider->state();
    size_t held = 0;
    for (const auto& [key, lease] : state.leases()) held += !lease.holder.empty() && lease.expires_at_ns > now_ns;
    size_t snapshots = 0;
    for (const auto& [key, versions] : state.snapshots()) snapshots += versions.size();
    real::HttpResponse response = text_response(
        200, prometheus(provider->metrics(), provider->health(), state.leases().size(), held, state.snapshots().size(),
                        snapshots, provider->live_data_bytes()));
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    co_return response;
  }
  if (path == "/leases") {
    Result<std::vector<LeaseRecord>> leases = co_await provider->list_leases(real::query_param(request.target, "kind"));
    if (!leases) co_return text_response(500, "list leases: " + to_string(leases.error()) + "\n");
    Json body = Json::array();
    for (const LeaseRecord& lease : *leases) body.push_back(lease_json(lease, now_ns));
    co_return json_response(200, body);
  }
  if (path.rfind("/state/", 0) == 0) {
    const std::string rest = path.substr(7);
    const size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) {
      co_return text_response(400, "expected /state/<kind>/<id>, got " + path + "\n");
    }
    // Percent-decoding through query_param's decoder keeps one implementation.
    const ActorKey key{real::query_param("?k=" + rest.substr(0, slash), "k").value_or(""),
                       real::query_param("?k=" + rest.substr(slash + 1), "k").value_or("")};
    Result<std::vector<Snapshot>> snapshots = co_await provider->read_snapshots(key);
    if (!snapshots) co_return text_response(500, "read snapshots: " + to_string(snapshots.error()) + "\n");
    if (snapshots->empty()) co_return text_response(404, "no snapshot of " + key.to_string() + "\n");
    Result<LeaseRecord> lease = co_await provider->read_lease(key);
    co_return json_response(200, state_json(snapshots->front(), *snapshots, lease, now_ns));
  }
  co_return text_response(404, "no such endpoint: " + path +
                                   " (GET /health, /metrics, /leases[?kind=K], /state/<kind>/<id>)\n");
}

}  // namespace orbit::tools
