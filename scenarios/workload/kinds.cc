#include "scenarios/workload/kinds.h"

namespace orbit::scenarios {

Task<Result<RegisterReply>> RegisterActor::handle(RegisterRequest request) {
  RegisterReply reply;
  switch (request.op) {
    case RegisterOp::kRead:
      reply.value = state().value;
      break;
    case RegisterOp::kWrite:
      state().value = request.value;
      reply.applied = true;
      break;
    case RegisterOp::kCas:
      reply.applied = state().value == request.expected;
      if (reply.applied) state().value = request.value;
      break;
    default:
      co_return Error{ErrorCode::kInvalidArgument, "register: unknown operation " + std::to_string(static_cast<int>(request.op))};
  }
  co_return reply;
}

Task<Result<int64_t>> CounterActor::handle(int64_t amount) { co_return state().value += amount; }

void register_scenario_kinds(actor::ActorSystem& system) {
  system.register_kind<RegisterActor>();
  system.register_kind<CounterActor>();
}

}  // namespace orbit::scenarios
