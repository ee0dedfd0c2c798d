// The actor API. An actor kind is a class deriving from Actor<State> with
//   - a state struct, serializable with nlohmann_json (to_json/from_json); its canonical
//     bytes (sorted-key JSON) are what snapshots store and hash;
//   - Request and Response types, also nlohmann_json-serializable;
//   - `static constexpr std::string_view kKind`;
//   - `static PersistencePolicy policy()`;
//   - `Task<Result<Response>> handle(Request request)`: a coroutine run one message at a
//     time per activation.
// Handlers change `state()` freely. Under write_through the runtime persists a changed
// state before the reply leaves; under periodic it persists every interval and on
// deactivation. A handler may also persist explicitly with update_state(expected_version)
// (optimistic concurrency: kConflict when the stored version moved on).
//
//   struct CounterState { int64_t value = 0; };
//   NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CounterState, value)
//   class Counter : public Actor<CounterState> {
//    public:
//     static constexpr std::string_view kKind = "counter";
//     using Request = int64_t;   // amount to add
//     using Response = int64_t;  // new value
//     static PersistencePolicy policy() { return PersistencePolicy::write_through(); }
//     Task<Result<int64_t>> handle(int64_t amount) { co_return state().value += amount; }
//   };
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/env/bytes.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/time.h"
#include "runtime/persistence/types.h"

namespace orbit::actor {

using Json = nlohmann::json;
using persistence::ActorKey;

struct PersistencePolicy {
  enum class Mode { kWriteThrough, kPeriodic };
  Mode mode = Mode::kWriteThrough;
  Duration interval{0};  // periodic only

  // Durable before the reply: no acknowledged update may be lost.
  static PersistencePolicy write_through() { return {Mode::kWriteThrough, Duration{0}}; }
  // Snapshot every `every` (default: actor_management.snapshot_interval) and on
  // deactivation: updates after the last snapshot may be lost.
  static PersistencePolicy periodic(Duration every = Duration{0}) { return {Mode::kPeriodic, every}; }
  bool is_write_through() const { return mode == Mode::kWriteThrough; }
};

// What the runtime offers an actor while it runs (implemented by the activation).
class ActorServices {
 public:
  virtual ~ActorServices() = default;
  virtual const ActorKey& key() const = 0;
  // The version of the last state persisted or loaded (0: never persisted).
  virtual uint64_t state_version() const = 0;
  // Persists the current state as version expected_version + 1. kConflict when the
  // store's latest version is not expected_version; kRejected when this activation lost
  // its lease (it is then deactivated). Returns the new version.
  virtual Task<Result<uint64_t>> persist_state(uint64_t expected_version) = 0;
};

// Type-erased actor, as the runtime drives it.
class ActorInstance {
 public:
  virtual ~ActorInstance() = default;
  virtual Task<Result<Json>> handle_json(Json request) = 0;
  virtual Bytes canonical_state() const = 0;
  // Replaces the state from canonical bytes; an error says why they do not parse.
  virtual Result<void> load_state(ByteView bytes) = 0;
  void attach(ActorServices* services) { services_ = services; }

 protected:
  ActorServices& services() const {
    assert(services_ != nullptr);
    return *services_;
  }

 private:
  ActorServices* services_ = nullptr;
};

// Canonical bytes of a JSON value: sorted keys (nlohmann::json objects are std::map),
// no whitespace.
inline Bytes canonical_bytes(const Json& j) { return to_bytes(j.dump()); }

template <typename State>
class Actor : public ActorInstance {
 public:
  using StateType = State;

  State& state() { return state_; }
  const State& state() const { return state_; }
  const ActorKey& key() const { return services().key(); }
  uint64_t state_version() const { return services().state_version(); }
  Task<Result<uint64_t>> update_state(uint64_t expected_version) {
    return services().persist_state(expected_version);
  }

  Bytes canonical_state() const final { return canonical_bytes(Json(state_)); }

  Result<void> load_state(ByteView bytes) final {
    Json j = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Error{ErrorCode::kCorrupt, "state is not valid JSON"};
    try {
      state_ = j.get<State>();
    } catch (const Json::exception& e) {
      return Error{ErrorCode::kCorrupt, std::string("state does not match the kind's schema: ") + e.what()};
    }
    return {};
  }

 private:
  State state_{};
};

// Adapts a kind's typed handle() to the runtime's JSON one.
template <typename Kind>
class TypedInstance final : public Kind {
 public:
  Task<Result<Json>> handle_json(Json request) override {
    typename Kind::Request typed;
    try {
      typed = request.get<typename Kind::Request>();
    } catch (const Json::exception& e) {
      co_return Error{ErrorCode::kInvalidArgument, std::string("malformed request: ") + e.what()};
    }
    Result<typename Kind::Response> response = co_await this->handle(std::move(typed));
    if (!response.ok()) co_return response.error();
    co_return Json(std::move(response.value()));
  }
};

}  // namespace orbit::actor
