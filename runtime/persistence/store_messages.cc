#include "runtime/persistence/store_messages.h"

namespace orbit::persistence::wire {

std::string_view to_string(HealthState state) {
  switch (state) {
    case HealthState::kHealthy: return "healthy";
    case HealthState::kDegraded: return "degraded";
    case HealthState::kUnhealthy: return "unhealthy";
  }
  return "unknown";
}

}  // namespace orbit::persistence::wire
