// orbit-store's HTTP endpoints (docs/REAL_MODE.md), separate from the process so a test can
// call them on a provider directly:
//   GET /health              200 {"state":"healthy",...}; 503 when degraded or unhealthy
//   GET /metrics             Prometheus text: ProviderMetrics as orbit_store_*_total counters,
//                            plus gauges (leases, held leases, snapshot keys, health)
//   GET /leases[?kind=K]     JSON array of lease records sorted by key, each with "held" and
//                            "expires_in_ms" judged on the store clock now
//   GET /state/<kind>/<id>   the latest snapshot (version, sha256, hash_verified, state, tags,
//                            ...) and every retained version; 404 when there is none
// Anything else: 404 naming the endpoints; a method other than GET: 405.
#pragma once

#include <cstdint>

#include "runtime/env/clock.h"
#include "runtime/env/task.h"
#include "runtime/real/http_server.h"
#include "runtime/real/rocksdb_provider.h"

namespace orbit::tools {

// Answers one request. Runs on the store's executor thread (the provider's), so it reads
// the provider's index directly for /health and /metrics. `clock` is the store clock
// (lease expiry); `id` the store's node id.
Task<real::HttpResponse> store_route(real::HttpRequest request, real::RocksDbProvider* provider,
                                     const env::Clock* clock, uint32_t id);

}  // namespace orbit::tools
