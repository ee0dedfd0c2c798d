// The load driver's actor kind: a counter kept in memory, snapshotted only periodically
// (hourly) and on deactivation, so a call measures the runtime's routing and dispatch, not
// the store's write path (write_through actors measure that: docs/PERFORMANCE.md).
#pragma once

#include <cstdint>

#include "runtime/actor/actor.h"

namespace orbit::tools {

struct BenchState {
  int64_t value = 0;
  MSGPACK_DEFINE_MAP(value);  // a map, so tools show the field names
};

class BenchActor : public actor::Actor<BenchState> {
 public:
  static constexpr std::string_view kKind = "bench";
  using Request = int64_t;
  using Response = int64_t;
  static actor::PersistencePolicy policy() { return actor::PersistencePolicy::periodic(std::chrono::hours(1)); }
  Task<Result<int64_t>> handle(int64_t amount) { co_return state().value += amount; }
};

}  // namespace orbit::tools
