#include "runtime/actor/actor_system.h"

#include <algorithm>
#include <cassert>

#include "runtime/env/planted_bugs.h"
#include "runtime/env/sleep.h"

namespace orbit::actor {
namespace {

Error malformed(rpc::Method method, const Error& e) {
  return Error{ErrorCode::kInvalidArgument, std::string(rpc::method_name(method)) + ": " + e.message};
}

// Holders are named "n<node>.b<boot>.a<seq>": unique per activation, and they name the
// node, so a lease conflict tells the owner where the live activation is.
std::optional<rpc::NodeId> node_of_holder(const std::string& holder) {
  if (holder.size() < 2 || holder[0] != 'n') return std::nullopt;
  const size_t dot = holder.find('.');
  if (dot == std::string::npos || dot == 1) return std::nullopt;
  rpc::NodeId node = 0;
  for (size_t i = 1; i < dot; ++i) {
    if (holder[i] < '0' || holder[i] > '9') return std::nullopt;
    node = node * 10 + static_cast<rpc::NodeId>(holder[i] - '0');
  }
  return node;
}

constexpr int kMaxRouteAttempts = 4;

}  // namespace

ActorSystem::ActorSystem(env::Env& env, rpc::RpcNode& rpc, cluster::Membership& membership,
                         persistence::PersistenceProvider& provider, ActorSystemConfig config)
    : env_(env), rpc_(rpc), membership_(membership), provider_(provider), config_(std::move(config)) {
  assert(config_.validate().ok());
  rpc_.serve(rpc::Method::kActorRoute, [this](rpc::NodeId from, ByteView body) { return on_route(from, body); });
  rpc_.serve(rpc::Method::kActorInvoke, [this](rpc::NodeId from, ByteView body) { return on_invoke(from, body); });
  rpc_.serve(rpc::Method::kDirRegister, [this](rpc::NodeId from, ByteView body) { return on_register(from, body); });
  membership_.on_change([this](const cluster::MembershipView& view) { on_view_change(view); });
  on_view_change(membership_.view());
}

ActorSystem::~ActorSystem() { shutdown(); }

void ActorSystem::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  scope_.cancel_all();
  activations_.clear();
  retired_.clear();
}

void ActorSystem::register_kind(KindInfo info) {
  assert(!kinds_.contains(info.kind) && "actor kind registered twice");
  std::string name = info.kind;
  kinds_.emplace(std::move(name), std::move(info));
}

std::vector<ActorKey> ActorSystem::active_keys() const {
  std::vector<ActorKey> keys;
  for (const auto& [key, activation] : activations_) keys.push_back(key);
  return keys;
}

void ActorSystem::record_forget(const ActorKey& key, rpc::NodeId node, std::string_view reason) {
  env_.recorder.record(history::DirectoryForget{env_.recorder.intern(key.to_string()), static_cast<int64_t>(node),
                                                env_.recorder.intern(reason)});
}

void ActorSystem::observe_store_call(std::string_view operation, bool ok, Duration latency) {
  registry_.histogram("orbit_store_call_duration", {{"op", std::string(operation)}}).record(latency);
  if (!ok) registry_.counter("orbit_store_call_errors_total", {{"op", std::string(operation)}}).inc();
  store_health_.record_call(ok, latency);
}

const metrics::MetricsRegistry& ActorSystem::export_metrics() {
  const std::pair<const char*, uint64_t> counters[] = {
      {"orbit_activations_total", metrics_.activations},
      {"orbit_deactivations_total", metrics_.deactivations},
      {"orbit_activation_failures_total", metrics_.activation_failures},
      {"orbit_duplicate_activations_detected_total", metrics_.duplicate_activations_detected},
      {"orbit_lease_acquires_total", metrics_.lease_acquires},
      {"orbit_lease_renewals_total", metrics_.lease_renewals},
      {"orbit_lease_conflicts_total", metrics_.lease_conflicts},
      {"orbit_lease_lapses_total", metrics_.lease_lapses},
      {"orbit_snapshot_writes_total", metrics_.snapshot_writes},
      {"orbit_snapshot_loads_total", metrics_.snapshot_loads},
      {"orbit_snapshot_integrity_failures_total", metrics_.snapshot_integrity_failures},
      {"orbit_snapshot_bytes_written_total", metrics_.snapshot_bytes_written},
      {"orbit_snapshot_bytes_read_total", metrics_.snapshot_bytes_read},
      {"orbit_calls_routed_total", metrics_.calls_routed},
      {"orbit_calls_invoked_total", metrics_.calls_invoked},
      {"orbit_rejected_at_capacity_total", metrics_.rejected_at_capacity},
      {"orbit_rejected_overloaded_total", metrics_.rejected_overloaded},
  };
  for (const auto& [name, value] : counters) registry_.counter(name).set_total(value);
  registry_.counter("orbit_active_activations").set_total(activations_.size());
  return registry_;
}

std::string ActorSystem::next_holder() {
  return "n" + std::to_string(env_.node) + ".b" + std::to_string(membership_.self().incarnation) + ".a" +
         std::to_string(next_activation_seq_++);
}

void ActorSystem::retire(Activation* activation) {
  auto it = activations_.find(activation->key());
  if (it == activations_.end() || it->second.get() != activation) return;
  retired_.push_back(std::move(it->second));
  activations_.erase(it);
  // Destroy it only once none of its code is on the stack.
  env_.executor.post([this] { retired_.clear(); });
}

// --- Membership and the directory -------------------------------------------------------

std::optional<rpc::NodeId> ActorSystem::owner_of(const ActorKey& key) const {
  if (!ring_) return std::nullopt;
  auto owner = ring_->owner(key.kind, key.id);
  if (!owner) return std::nullopt;
  return owner->id;
}

void ActorSystem::on_view_change(const cluster::MembershipView& view) {
  std::vector<cluster::Member> members;
  live_nodes_.clear();
  for (const auto& info : view.members) {
    members.push_back(info.member);
    live_nodes_.push_back(info.member.id);
  }
  ring_ = std::make_unique<cluster::PlacementRing>(std::move(members), config_.vnodes_per_member);
  // Entries pointing at members that left the view are stale.
  for (auto it = directory_.begin(); it != directory_.end();) {
    if (std::find(live_nodes_.begin(), live_nodes_.end(), it->second) == live_nodes_.end()) {
      record_forget(it->first, it->second, "left_view");
      it = directory_.erase(it);
    } else {
      ++it;
    }
  }
  // Names move with the ring: tell each (possibly new) owner where our activations are.
  if (shut_down_) return;
  for (const auto& [key, activation] : activations_) {
    if (activation->state() == ActivationState::kActive && !env::planted(env::bug_sites::kDirectoryNotReregistered)) {
      scope_.spawn(register_with_owner(key));
    }
  }
}

Task<void> ActorSystem::register_with_owner(ActorKey key) {
  const auto owner = owner_of(key);
  if (!owner) co_return;
  if (*owner == env_.node) {
    directory_[key] = env_.node;
    co_return;
  }
  Bytes request = rpc::encode_message(RegisterRequest{key.kind, key.id, env_.node});
  (void)co_await rpc_.call(*owner, rpc::Method::kDirRegister, std::move(request), config_.internal_call_timeout);
}

Task<Result<Bytes>> ActorSystem::on_register(rpc::NodeId from, ByteView body) {
  Result<RegisterRequest> request = wire::decode<RegisterRequest>(body, "dir.register");
  if (!request.ok()) co_return malformed(rpc::Method::kDirRegister, request.error());
  directory_[ActorKey{std::move(request->kind), std::move(request->id)}] = request->node;
  co_return rpc::encode_message(rpc::Empty{});
}

void ActorSystem::forget(const ActorKey& key, rpc::NodeId node, std::string_view reason) {
  auto it = directory_.find(key);
  if (it == directory_.end() || it->second != node) return;
  directory_.erase(it);
  record_forget(key, node, reason);
}

rpc::NodeId ActorSystem::place(const ActorKey& key) {
  if (live_nodes_.empty()) return env_.node;
  switch (config_.placement) {
    case PlacementPolicy::kLocal:
      return env_.node;
    case PlacementPolicy::kRandom:
      return live_nodes_[env_.random.below(live_nodes_.size())];
    case PlacementPolicy::kLeastLoaded: {
      // The owner's own directory is its view of the load: fewest entries wins, ties by id.
      std::map<rpc::NodeId, size_t> load;
      for (rpc::NodeId node : live_nodes_) load[node] = 0;
      for (const auto& [k, node] : directory_) {
        if (load.contains(node)) ++load[node];
      }
      rpc::NodeId best = live_nodes_.front();
      for (const auto& [node, count] : load) {
        if (count < load[best]) best = node;
      }
      return best;
    }
  }
  return env_.node;
}

// --- The call path ---------------------------------------------------------------------

Task<Result<Payload>> ActorSystem::call(ActorKey key, Payload request, Duration timeout) {
  if (!kinds_.contains(key.kind)) {
    co_return Error{ErrorCode::kInvalidArgument, "unknown actor kind '" + key.kind + "'"};
  }
  const MonoTime deadline = env_.clock.mono_now() + timeout;
  Duration backoff = config_.retry_backoff_min;
  std::string last_reason = "no member owns the name yet";
  // The request's bytes, once it has had to leave the process (encoded at most once).
  std::optional<Bytes> encoded;
  for (;;) {
    const Duration left = deadline - env_.clock.mono_now();
    if (left <= Duration::zero()) {
      co_return Error{ErrorCode::kUnavailable, "not applied before the deadline: " + last_reason};
    }
    const auto owner = owner_of(key);
    const cluster::MemberInfo* info = owner ? membership_.view().find(*owner) : nullptr;
    if (info != nullptr && info->status == cluster::MemberStatus::kSuspect) {
      // A request sent to a member that may be dead has an unknowable outcome; waiting
      // until it is alive again or removed costs less than an indeterminate call.
      last_reason = "the owner of " + key.to_string() + " (node " + std::to_string(*owner) + ") is suspect";
    } else if (owner) {
      Result<Outcome> reply = Error{ErrorCode::kIo, ""};
      if (*owner == env_.node) {
        // Built before the co_await: GCC 12 mishandles temporaries of a ?: inside one.
        Payload attempt = encoded ? Payload::from_bytes(*encoded) : request.clone();
        reply = co_await route_here(key, std::move(attempt), left);
      } else {
        if (!encoded) encoded = std::move(request).to_bytes();
        Bytes route = encode_route_request(key, left.count(), *encoded);
        Result<Bytes> frame = co_await rpc_.call(*owner, rpc::Method::kActorRoute, std::move(route), left);
        Result<CallReply> decoded = rpc::decode_reply<CallReply>(frame, rpc::Method::kActorRoute);
        if (decoded.ok()) {
          reply = Outcome::from_wire(std::move(*decoded));
        } else {
          reply = decoded.error();
        }
      }
      if (!reply.ok()) {
        co_return Error{ErrorCode::kTimeout, "outcome unknown: " + reply.error().message};
      }
      Outcome& outcome = *reply;
      switch (outcome.kind) {
        case Outcome::Kind::kOk:
          co_return std::move(outcome.response);
        case Outcome::Kind::kError:
          co_return std::move(outcome.error);
        case Outcome::Kind::kUnknown:
          co_return Error{ErrorCode::kTimeout, "outcome unknown: " + outcome.error.message};
        case Outcome::Kind::kNotApplied:
          last_reason = std::move(outcome.error.message);
          break;
        case Outcome::Kind::kRedirect:
          last_reason = "redirected to node " + std::to_string(outcome.node);
          break;
      }
    }
    // Definitely not applied: back off (with jitter) and try again.
    const Duration jittered = env_.random.duration_between(backoff / 2, backoff);
    co_await sleep(env_.executor, std::min<Duration>(jittered, std::max<Duration>(deadline - env_.clock.mono_now(), Duration(1))));
    backoff = std::min(backoff * 2, config_.retry_backoff_max);
  }
}

// A route on this node, as its own task under the caller's deadline: as with a call to a
// remote owner, the caller gives up (outcome unknown) when the deadline passes, while the
// routed call may still run. The request stays typed, but it goes through the executor
// like a frame to self: a caller looping on calls that never leave the node must still let
// the node's other work (I/O, heartbeats, timers) run between them.
struct ActorSystem::LocalRoute {
  ActorKey key;
  Payload request;
  Duration budget{};
  OneShot<Result<Outcome>> done;
};

Task<Result<Outcome>> ActorSystem::route_here(ActorKey key, Payload request, Duration budget) {
  auto local = std::make_shared<LocalRoute>();
  local->key = std::move(key);
  local->request = std::move(request);
  local->budget = budget;
  const env::TimerId timer = env_.executor.schedule_after(budget, [local] { local->done.set(Error{ErrorCode::kTimeout, "timed out"}); });
  env_.executor.post([this, local] {
    if (shut_down_) {
      local->done.set(Error{ErrorCode::kCancelled, "node shutting down"});
      return;
    }
    scope_.spawn(run_route(local));
  });
  Result<Outcome> outcome = co_await local->done.take();
  env_.executor.cancel(timer);
  co_return outcome;
}

Task<void> ActorSystem::run_route(std::shared_ptr<LocalRoute> local) {
  ++metrics_.calls_routed;
  Outcome outcome = co_await route(std::move(local->key), std::move(local->request), local->budget);
  local->done.set(std::move(outcome));
}

Task<Result<Bytes>> ActorSystem::on_route(rpc::NodeId, ByteView body) {
  Result<RouteRequest> request = wire::decode<RouteRequest>(body, "actor.route");
  if (!request.ok()) co_return malformed(rpc::Method::kActorRoute, request.error());
  ++metrics_.calls_routed;
  // Arguments built before the co_await: GCC 12 destroys class temporaries inside one twice.
  ActorKey key{std::move(request->kind), std::move(request->id)};
  Payload payload = Payload::from_bytes(std::move(request->request));
  Outcome outcome = co_await route(std::move(key), std::move(payload), Duration(request->budget_ns));
  co_return rpc::encode_message(std::move(outcome).to_wire());
}

Task<Outcome> ActorSystem::route(ActorKey key, Payload request, Duration budget) {
  const MonoTime deadline = env_.clock.mono_now() + budget;
  std::string last = "not placed";
  std::optional<Bytes> encoded;  // the request's bytes once it had to leave the process
  for (int attempt = 0; attempt < kMaxRouteAttempts; ++attempt) {
    auto entry = directory_.find(key);
    const bool known = entry != directory_.end();
    const rpc::NodeId target = known ? entry->second : place(key);
    if (!known) {
      // The hand-off checker's evidence: an owner placing a name it should already know.
      const auto owner = owner_of(key);
      env_.recorder.record(history::DirectoryPlace{env_.recorder.intern(key.to_string()), static_cast<int64_t>(target),
                                                   owner && *owner == env_.node});
    }
    directory_[key] = target;
    const Duration left = deadline - env_.clock.mono_now();
    if (left <= Duration::zero()) break;
    Result<Outcome> reply = Error{ErrorCode::kIo, ""};
    if (target == env_.node) {
      if (encoded) request = Payload::from_bytes(*encoded);
      reply = co_await invoke_local(key, request);
    } else {
      if (!encoded) encoded = std::move(request).to_bytes();
      Bytes invoke = rpc::encode_message(InvokeRequest{key.kind, key.id, *encoded});
      Result<Bytes> frame =
          co_await rpc_.call(target, rpc::Method::kActorInvoke, std::move(invoke), std::min(left, config_.internal_call_timeout));
      Result<CallReply> decoded = rpc::decode_reply<CallReply>(frame, rpc::Method::kActorInvoke);
      if (decoded.ok()) {
        reply = Outcome::from_wire(std::move(*decoded));
      } else {
        reply = decoded.error();
      }
    }
    if (!reply.ok()) {
      // The activation node did not answer: forget it; whether the call ran is unknown.
      forget(key, target, "no_answer");
      co_return Outcome::unknown("activation node " + std::to_string(target) + ": " + reply.error().message);
    }
    Outcome& outcome = *reply;
    if (outcome.kind == Outcome::Kind::kRedirect) {
      directory_[key] = outcome.node;
      last = "redirected to node " + std::to_string(outcome.node);
      continue;
    }
    if (outcome.kind == Outcome::Kind::kNotApplied) forget(key, target, "not_applied");
    co_return std::move(outcome);
  }
  co_return Outcome::not_applied("routing gave up after " + std::to_string(kMaxRouteAttempts) + " attempts: " + last);
}

Task<Result<Bytes>> ActorSystem::on_invoke(rpc::NodeId, ByteView body) {
  Result<InvokeRequest> request = wire::decode<InvokeRequest>(body, "actor.invoke");
  if (!request.ok()) co_return malformed(rpc::Method::kActorInvoke, request.error());
  Payload payload = Payload::from_bytes(std::move(request->request));
  ActorKey key{std::move(request->kind), std::move(request->id)};
  Outcome outcome = co_await invoke_local(std::move(key), payload);
  co_return rpc::encode_message(std::move(outcome).to_wire());
}

Task<Outcome> ActorSystem::invoke_local(ActorKey key, Payload& request) {
  if (shut_down_) co_return Outcome::not_applied("node shutting down");
  auto kind = kinds_.find(key.kind);
  if (kind == kinds_.end()) co_return Outcome::failed(Error{ErrorCode::kInvalidArgument, "unknown actor kind '" + key.kind + "'"});

  auto it = activations_.find(key);
  if (it == activations_.end()) {
    if (activations_.size() >= config_.max_concurrent_activations) {
      ++metrics_.rejected_at_capacity;
      co_return Outcome::failed(Error{ErrorCode::kRejected, "node " + std::to_string(env_.node) + " is at max_concurrent_activations (" +
                                                                std::to_string(config_.max_concurrent_activations) + ")"});
    }
    auto created = std::make_unique<Activation>(*this, key, kind->second, next_holder());
    Activation* activation = created.get();
    activations_.emplace(key, std::move(created));
    Result<void> activated = co_await activation->activate();
    if (!activated.ok()) {
      std::optional<persistence::LeaseRecord> conflict = activation->conflicting_lease();
      retire(activation);
      if (conflict) {
        const auto holder_node = node_of_holder(conflict->holder);
        if (holder_node && *holder_node != env_.node &&
            std::find(live_nodes_.begin(), live_nodes_.end(), *holder_node) != live_nodes_.end()) {
          co_return Outcome::redirect(*holder_node);
        }
        co_return Outcome::not_applied("lease of " + key.to_string() + " held by " + conflict->holder + " until it expires");
      }
      if (activated.code() == ErrorCode::kCorrupt) co_return Outcome::failed(activated.error());
      co_return Outcome::not_applied("activation failed: " + to_string(activated.error()));
    }
    scope_.spawn(register_with_owner(key));
    it = activations_.find(key);
    if (it == activations_.end()) co_return Outcome::not_applied("activation of " + key.to_string() + " stopped at once");
  } else if (it->second->state() == ActivationState::kActivating) {
    co_return Outcome::not_applied("activation of " + key.to_string() + " in progress");
  }
  Result<Payload> reply = co_await it->second->invoke(std::move(request));
  if (reply.ok()) co_return Outcome::ok(std::move(reply.value()));
  if (reply.code() == ErrorCode::kUnavailable) co_return Outcome::not_applied(reply.error().message);
  if (reply.code() == ErrorCode::kTimeout) co_return Outcome::unknown(reply.error().message);
  co_return Outcome::failed(reply.error());
}

Task<void> ActorSystem::deactivate_all() {
  std::vector<ActorKey> keys = active_keys();
  for (const ActorKey& key : keys) {
    auto it = activations_.find(key);
    if (it == activations_.end()) continue;
    co_await it->second->deactivate(DeactivationReason::kShutdown);
  }
}

}  // namespace orbit::actor
