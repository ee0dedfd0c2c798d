// The actor kinds the scenarios drive. Small on purpose: the subject under test is the
// runtime (leases, fencing, snapshots, placement), and a checker can model these exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/actor/actor.h"
#include "runtime/actor/actor_system.h"

namespace orbit::scenarios {

using actor::Json;

// A register: read, write, compare-and-set. State null until first written.
struct RegisterState {
  Json value;  // null or an integer
};
void to_json(Json& j, const RegisterState& s);
void from_json(const Json& j, RegisterState& s);

// Requests: {"f":"read"} | {"f":"write","value":v} | {"f":"cas","expected":e,"value":v}.
// Responses: {"value":...} for read; {"applied":bool} for write and cas.
class RegisterActor : public actor::Actor<RegisterState> {
 public:
  static constexpr std::string_view kKind = "register";
  using Request = Json;
  using Response = Json;
  static actor::PersistencePolicy policy() { return actor::PersistencePolicy::write_through(); }
  Task<Result<Json>> handle(Json request);
};

struct CounterState {
  int64_t value = 0;
};
void to_json(Json& j, const CounterState& s);
void from_json(const Json& j, CounterState& s);

// add n (n = 0 reads); returns the new value. write_through: no acknowledged add may be lost.
class CounterActor : public actor::Actor<CounterState> {
 public:
  static constexpr std::string_view kKind = "counter";
  using Request = int64_t;
  using Response = int64_t;
  static actor::PersistencePolicy policy() { return actor::PersistencePolicy::write_through(); }
  Task<Result<int64_t>> handle(int64_t amount);
};

void register_scenario_kinds(actor::ActorSystem& system);

}  // namespace orbit::scenarios
