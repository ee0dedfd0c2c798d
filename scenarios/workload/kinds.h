// The actor kinds the scenarios drive. Small on purpose: the subject under test is the
// runtime (leases, fencing, snapshots, placement), and a checker can model these exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/actor/actor.h"
#include "runtime/actor/actor_system.h"

namespace orbit::scenarios {

// A register: read, write, compare-and-set. Empty until first written.
struct RegisterState {
  std::optional<int64_t> value;
  MSGPACK_DEFINE_MAP(value);  // a map, so tools show the field names
};

enum class RegisterOp : uint8_t { kRead = 0, kWrite = 1, kCas = 2 };

struct RegisterRequest {
  RegisterOp op = RegisterOp::kRead;
  int64_t value = 0;                // write, cas: the new value
  std::optional<int64_t> expected;  // cas: the value it must hold (empty: never written)
  MSGPACK_DEFINE_ARRAY(op, value, expected);
};

struct RegisterReply {
  std::optional<int64_t> value;  // read
  bool applied = false;          // write, cas
  MSGPACK_DEFINE_ARRAY(value, applied);
};

class RegisterActor : public actor::Actor<RegisterState> {
 public:
  static constexpr std::string_view kKind = "register";
  using Request = RegisterRequest;
  using Response = RegisterReply;
  static actor::PersistencePolicy policy() { return actor::PersistencePolicy::write_through(); }
  Task<Result<RegisterReply>> handle(RegisterRequest request);
};

struct CounterState {
  int64_t value = 0;
  MSGPACK_DEFINE_MAP(value);  // a map, so tools show the field names
};

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

MSGPACK_ADD_ENUM(orbit::scenarios::RegisterOp);
