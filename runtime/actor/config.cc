#include "runtime/actor/config.h"

#include <string>

namespace orbit::actor {

Result<void> ActorSystemConfig::validate() const {
  if (auto r = config::validate_actor_management(*this); !r) return r;
  auto bad = [](std::string what) { return Error{ErrorCode::kInvalidArgument, std::move(what)}; };
  if (vnodes_per_member == 0) return bad("placement.vnodes_per_member must be positive");
  if (internal_call_timeout <= Duration::zero()) return bad("actor_management.internal_call_timeout must be positive");
  if (retry_backoff_min <= Duration::zero() || retry_backoff_max < retry_backoff_min) {
    return bad("actor_management.retry_backoff_min/max must be positive and ordered");
  }
  return {};
}

}  // namespace orbit::actor
