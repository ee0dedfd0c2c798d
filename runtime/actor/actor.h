// The actor API. An actor kind is a class deriving from Actor<State> with
//   - a state struct with a codec (payload.h: MSGPACK_DEFINE_ARRAY, or nlohmann_json's
//     to_json/from_json); its canonical bytes (MessagePack, or sorted-key JSON text for a
//     JSON-only state) are what snapshots store and hash;
//   - Request and Response types with a codec, encoded only when a call crosses nodes;
//   - `static constexpr std::string_view kKind`;
//   - `static PersistencePolicy policy()`;
//   - `Task<Result<Response>> handle(Request request)`: a coroutine run one message at a
//     time per activation.
// Handlers change `state()` freely. Under write_through the runtime persists a changed
// state before the reply leaves; under periodic it persists every interval and on
// deactivation. A handler may also persist explicitly with update_state(expected_version)
// (optimistic concurrency: kConflict when the stored version moved on).
//
//   struct CounterState { int64_t value = 0; MSGPACK_DEFINE_MAP(value); };  // a map: tools show names
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

#include "runtime/actor/payload.h"
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
  virtual Task<Result<Payload>> handle_payload(Payload request) = 0;
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

// A state's canonical bytes: MessagePack when the state has a msgpack-cxx adaptor (one
// encoding, no tree), sorted-key JSON text otherwise.
template <typename State>
Bytes canonical_state_bytes(const State& state) {
  if constexpr (MsgpackNative<State>) {
    return wire::encode(state);
  } else {
    return canonical_bytes(Json(state));
  }
}

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

  Bytes canonical_state() const final { return canonical_state_bytes(state_); }

  Result<void> load_state(ByteView bytes) final {
    if constexpr (MsgpackNative<State>) {
      Result<State> loaded = wire::decode<State>(bytes, "state");
      if (!loaded.ok()) return Error{ErrorCode::kCorrupt, "state does not match the kind's schema: " + loaded.error().message};
      state_ = std::move(*loaded);
      return {};
    } else {
      Json j = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) return Error{ErrorCode::kCorrupt, "state is not valid JSON"};
      try {
        state_ = j.get<State>();
      } catch (const Json::exception& e) {
        return Error{ErrorCode::kCorrupt, std::string("state does not match the kind's schema: ") + e.what()};
      }
      return {};
    }
  }

 private:
  State state_{};
};

// Adapts a kind's typed handle() to the runtime's Payload one.
template <typename Kind>
class TypedInstance final : public Kind {
 public:
  Task<Result<Payload>> handle_payload(Payload request) override {
    Result<typename Kind::Request> typed = std::move(request).template take<typename Kind::Request>("request");
    if (!typed.ok()) co_return Error{ErrorCode::kInvalidArgument, "malformed request: " + typed.error().message};
    Result<typename Kind::Response> response = co_await this->handle(std::move(*typed));
    if (!response.ok()) co_return response.error();
    co_return Payload::typed(std::move(response.value()));
  }
};

}  // namespace orbit::actor
