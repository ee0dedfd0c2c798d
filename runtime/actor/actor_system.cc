#include "runtime/actor/actor_system.h"

#include <algorithm>
#include <cassert>

#include "runtime/env/planted_bugs.h"
#include "runtime/env/sleep.h"

namespace orbit::actor {
namespace {

// Internal replies (inside successful RPCs), one key each:
//   {"ok": value}          the handler's response
//   {"err": code, "msg"}   the handler's (or the runtime's) definite error
//   {"not_applied": why}   the request did not run; safe to retry
//   {"unknown": why}       it may or may not have run
//   {"redirect": node}     the activation lives on `node` (owner-internal)
Json ok_reply(Json value) { return Json{{"ok", std::move(value)}}; }
Json err_reply(const Error& e) { return Json{{"err", std::string(to_string(e.code))}, {"msg", e.message}}; }
Json not_applied(std::string why) { return Json{{"not_applied", std::move(why)}}; }
Json unknown(std::string why) { return Json{{"unknown", std::move(why)}}; }

Json key_json(const ActorKey& key) { return Json{{"kind", key.kind}, {"id", key.id}}; }

std::optional<ActorKey> key_from(const Json& body) {
  if (!body.is_object() || !body.contains("key")) return std::nullopt;
  ActorKey key;
  if (persistence::from_json(body["key"], key)) return std::nullopt;
  return key;
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

Error error_from_reply(const Json& reply) {
  const std::string code = reply.value("err", std::string("io_error"));
  return rpc::error_from_json(Json{{"e", code}, {"x", reply.value("msg", std::string())}});
}

constexpr int kMaxRouteAttempts = 4;

}  // namespace

ActorSystem::ActorSystem(env::Env& env, rpc::RpcNode& rpc, cluster::Membership& membership,
                         persistence::PersistenceProvider& provider, ActorSystemConfig config)
    : env_(env), rpc_(rpc), membership_(membership), provider_(provider), config_(std::move(config)) {
  assert(config_.validate().ok());
  rpc_.serve("actor.route", [this](rpc::NodeId from, Json body) { return on_route(from, std::move(body)); });
  rpc_.serve("actor.invoke", [this](rpc::NodeId from, Json body) { return on_invoke(from, std::move(body)); });
  rpc_.serve("dir.register", [this](rpc::NodeId from, Json body) { return on_register(from, std::move(body)); });
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
  Json body = Json::object();  // not braced inside co_await: GCC 12 miscompiles that
  body["key"] = key_json(key);
  body["node"] = env_.node;
  (void)co_await rpc_.call(*owner, "dir.register", std::move(body), config_.internal_call_timeout);
}

Task<Result<Json>> ActorSystem::on_register(rpc::NodeId from, Json body) {
  auto key = key_from(body);
  if (!key || !body.contains("node") || !body["node"].is_number_unsigned()) {
    co_return Error{ErrorCode::kInvalidArgument, "dir.register: expected {key, node}"};
  }
  directory_[*key] = body["node"].get<rpc::NodeId>();
  co_return Json::object();
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

Task<Result<Json>> ActorSystem::call(ActorKey key, Json request, Duration timeout) {
  if (!kinds_.contains(key.kind)) {
    co_return Error{ErrorCode::kInvalidArgument, "unknown actor kind '" + key.kind + "'"};
  }
  const MonoTime deadline = env_.clock.mono_now() + timeout;
  Duration backoff = config_.retry_backoff_min;
  std::string last_reason = "no member owns the name yet";
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
      Json route_body = Json::object();
      route_body["key"] = key_json(key);
      route_body["req"] = request;
      route_body["budget_ns"] = left.count();
      Result<Json> reply = co_await rpc_.call(*owner, "actor.route", std::move(route_body), left);
      if (!reply.ok()) {
        co_return Error{ErrorCode::kTimeout, "outcome unknown: " + reply.error().message};
      }
      const Json& body = *reply;
      if (body.contains("ok")) co_return body["ok"];
      if (body.contains("err")) co_return error_from_reply(body);
      if (body.contains("unknown")) co_return Error{ErrorCode::kTimeout, "outcome unknown: " + body.value("unknown", "")};
      last_reason = body.value("not_applied", std::string("not applied"));
    }
    // Definitely not applied: back off (with jitter) and try again.
    const Duration jittered = env_.random.duration_between(backoff / 2, backoff);
    co_await sleep(env_.executor, std::min<Duration>(jittered, std::max<Duration>(deadline - env_.clock.mono_now(), Duration(1))));
    backoff = std::min(backoff * 2, config_.retry_backoff_max);
  }
}

Task<Result<Json>> ActorSystem::on_route(rpc::NodeId, Json body) {
  auto key = key_from(body);
  if (!key || !body.contains("req") || !body.contains("budget_ns") || !body["budget_ns"].is_number_integer()) {
    co_return Error{ErrorCode::kInvalidArgument, "actor.route: expected {key, req, budget_ns}"};
  }
  ++metrics_.calls_routed;
  co_return co_await route(std::move(*key), std::move(body["req"]), Duration(body["budget_ns"].get<int64_t>()));
}

Task<Result<Json>> ActorSystem::route(ActorKey key, Json request, Duration budget) {
  const MonoTime deadline = env_.clock.mono_now() + budget;
  std::string last = "not placed";
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
    // Plain if/else: GCC 12 mishandles temporaries of co_await inside a ?: expression.
    Result<Json> reply = Json();
    if (target == env_.node) {
      reply = co_await invoke_local(key, request);
    } else {
      Json invoke = Json::object();
      invoke["key"] = key_json(key);
      invoke["req"] = request;
      reply = co_await rpc_.call(target, "actor.invoke", std::move(invoke), std::min(left, config_.internal_call_timeout));
    }
    if (!reply.ok()) {
      // The activation node did not answer: forget it; whether the call ran is unknown.
      forget(key, target, "no_answer");
      co_return unknown("activation node " + std::to_string(target) + ": " + reply.error().message);
    }
    Json body = std::move(*reply);
    if (body.contains("redirect")) {
      directory_[key] = body["redirect"].get<rpc::NodeId>();
      last = "redirected to node " + std::to_string(directory_[key]);
      continue;
    }
    if (body.contains("not_applied")) forget(key, target, "not_applied");
    co_return body;
  }
  co_return not_applied("routing gave up after " + std::to_string(kMaxRouteAttempts) + " attempts: " + last);
}

Task<Result<Json>> ActorSystem::on_invoke(rpc::NodeId, Json body) {
  auto key = key_from(body);
  if (!key || !body.contains("req")) co_return Error{ErrorCode::kInvalidArgument, "actor.invoke: expected {key, req}"};
  co_return co_await invoke_local(std::move(*key), std::move(body["req"]));
}

Task<Result<Json>> ActorSystem::invoke_local(ActorKey key, Json request) {
  if (shut_down_) co_return not_applied("node shutting down");
  auto kind = kinds_.find(key.kind);
  if (kind == kinds_.end()) co_return err_reply(Error{ErrorCode::kInvalidArgument, "unknown actor kind '" + key.kind + "'"});

  auto it = activations_.find(key);
  if (it == activations_.end()) {
    if (activations_.size() >= config_.max_concurrent_activations) {
      ++metrics_.rejected_at_capacity;
      co_return err_reply(Error{ErrorCode::kRejected, "node " + std::to_string(env_.node) + " is at max_concurrent_activations (" +
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
          co_return Json{{"redirect", *holder_node}};
        }
        co_return not_applied("lease of " + key.to_string() + " held by " + conflict->holder + " until it expires");
      }
      if (activated.code() == ErrorCode::kCorrupt) co_return err_reply(activated.error());
      co_return not_applied("activation failed: " + to_string(activated.error()));
    }
    scope_.spawn(register_with_owner(key));
    it = activations_.find(key);
    if (it == activations_.end()) co_return not_applied("activation of " + key.to_string() + " stopped at once");
  } else if (it->second->state() == ActivationState::kActivating) {
    co_return not_applied("activation of " + key.to_string() + " in progress");
  }
  Result<Json> reply = co_await it->second->invoke(std::move(request));
  if (reply.ok()) co_return ok_reply(std::move(reply.value()));
  if (reply.code() == ErrorCode::kUnavailable) co_return not_applied(reply.error().message);
  if (reply.code() == ErrorCode::kTimeout) co_return unknown(reply.error().message);
  co_return err_reply(reply.error());
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
