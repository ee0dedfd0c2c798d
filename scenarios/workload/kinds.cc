#include "scenarios/workload/kinds.h"

namespace orbit::scenarios {

void to_json(Json& j, const RegisterState& s) { j = Json{{"value", s.value}}; }
void from_json(const Json& j, RegisterState& s) { s.value = j.at("value"); }
void to_json(Json& j, const CounterState& s) { j = Json{{"value", s.value}}; }
void from_json(const Json& j, CounterState& s) { s.value = j.at("value").get<int64_t>(); }

Task<Result<Json>> RegisterActor::handle(Json request) {
  const std::string f = request.value("f", std::string());
  Json reply = Json::object();
  if (f == "read") {
    reply["value"] = state().value;
  } else if (f == "write") {
    state().value = request.at("value");
    reply["applied"] = true;
  } else if (f == "cas") {
    const bool matches = state().value == request.at("expected");
    if (matches) state().value = request.at("value");
    reply["applied"] = matches;
  } else {
    co_return Error{ErrorCode::kInvalidArgument, "register: unknown operation '" + f + "'"};
  }
  co_return reply;
}

Task<Result<int64_t>> CounterActor::handle(int64_t amount) { co_return state().value += amount; }

void register_scenario_kinds(actor::ActorSystem& system) {
  system.register_kind<RegisterActor>();
  system.register_kind<CounterActor>();
}

}  // namespace orbit::scenarios
