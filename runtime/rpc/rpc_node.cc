#include "runtime/rpc/rpc_node.h"

#include <array>
#include <cassert>
#include <vector>

#include "runtime/env/planted_bugs.h"
#include "runtime/env/fault_sites.h"
#include "runtime/env/when.h"

namespace orbit::rpc {
namespace {

constexpr int kRequest = 0;
constexpr int kResponse = 1;
constexpr int kOneWay = 2;

// Requests normally complete long before 4096 newer ones from the same sender; a request
// delayed past that is treated as already seen (dropped), which a caller sees as a timeout.
constexpr size_t kSeenWindow = 4096;
constexpr size_t kSessionsPerPeer = 4;

constexpr std::array<ErrorCode, 11> kAllCodes = {
    ErrorCode::kNotFound,    ErrorCode::kAlreadyExists, ErrorCode::kNoSpace,  ErrorCode::kIo,
    ErrorCode::kInvalidArgument, ErrorCode::kCorrupt,   ErrorCode::kTimeout,  ErrorCode::kUnavailable,
    ErrorCode::kConflict,    ErrorCode::kRejected,      ErrorCode::kCancelled};

}  // namespace

Json error_to_json(const Error& error) {
  return Json{{"e", std::string(to_string(error.code))}, {"x", error.message}};
}

Error error_from_json(const Json& j) {
  const std::string name = j.value("e", std::string());
  for (ErrorCode code : kAllCodes) {
    if (to_string(code) == name) return Error{code, j.value("x", std::string())};
  }
  return Error{ErrorCode::kIo, "unknown error code '" + name + "' in reply: " + j.value("x", std::string())};
}

RpcNode::RpcNode(env::Env& env, size_t max_pending_calls)
    : env_(env), max_pending_calls_(max_pending_calls), session_(env.random.next_u64()) {
  env_.transport.set_receive_handler([this](NodeId from, Bytes frame) { on_frame(from, frame); });
  env_.transport.set_peer_lost_handler([this](NodeId peer) { on_peer_lost_internal(peer); });
}

RpcNode::~RpcNode() {
  shutdown();
  env_.transport.set_receive_handler(nullptr);
  env_.transport.set_peer_lost_handler(nullptr);
}

void RpcNode::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  scope_.cancel_all();
  std::vector<uint64_t> ids;
  for (const auto& [id, pending] : pending_) ids.push_back(id);
  for (uint64_t id : ids) deliver_reply(id, Error{ErrorCode::kCancelled, "rpc node shut down"});
}

void RpcNode::serve(std::string method, Handler handler) { handlers_[std::move(method)] = std::move(handler); }

void RpcNode::on_notify(std::string method, NotifyHandler handler) {
  notify_handlers_[std::move(method)] = std::move(handler);
}

void RpcNode::on_peer_lost(std::function<void(NodeId)> observer) {
  peer_lost_observers_.push_back(std::move(observer));
}

void RpcNode::send_frame(NodeId to, const Json& frame) {
  std::vector<uint8_t> bytes = Json::to_msgpack(frame);
  env_.transport.send(to, std::move(bytes));
}

void RpcNode::notify(NodeId to, const std::string& method, Json body) {
  if (shut_down_) return;
  Json frame{{"k", kOneWay}, {"m", method}, {"b", std::move(body)}};
  if (to == env_.node) {
    env_.executor.post([this, frame = std::move(frame)] { on_frame(env_.node, Json::to_msgpack(frame)); });
    return;
  }
  send_frame(to, frame);
}

Task<Result<Json>> RpcNode::wait_reply(uint64_t id) {
  auto it = pending_.find(id);
  assert(it != pending_.end());
  co_return co_await it->second->reply.wait();
}

Task<Result<Json>> RpcNode::call(NodeId to, std::string method, Json body, Duration timeout) {
  if (shut_down_) co_return Error{ErrorCode::kCancelled, "rpc node shut down"};
  if (pending_.size() >= max_pending_calls_) {
    co_return Error{ErrorCode::kUnavailable, "too many pending calls (" + std::to_string(pending_.size()) + ")"};
  }
  ++stats_.calls;
  const uint64_t id = next_id_++;
  pending_.emplace(id, std::make_unique<Pending>(to));
  // Erases the entry however this frame ends (reply, timeout, or destroyed by a crash).
  struct Erase {
    RpcNode* rpc;
    uint64_t id;
    ~Erase() { rpc->pending_.erase(id); }
  } erase{this, id};

  Json frame{{"k", kRequest}, {"i", id}, {"s", session_}, {"m", std::move(method)}, {"b", std::move(body)}};
  if (to == env_.node) {
    env_.executor.post([this, frame = std::move(frame)] { on_frame(env_.node, Json::to_msgpack(frame)); });
  } else {
    send_frame(to, frame);
  }
  Result<Json> reply = co_await with_timeout(env_.executor, wait_reply(id), timeout);
  if (!reply.ok() && reply.code() == ErrorCode::kTimeout) ++stats_.timeouts;
  co_return reply;
}

void RpcNode::deliver_reply(uint64_t id, Result<Json> reply) {
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    ++stats_.late_replies;
    return;
  }
  it->second->reply.set(std::move(reply));
}

void RpcNode::on_peer_lost_internal(NodeId peer) {
  std::vector<uint64_t> ids;
  for (const auto& [id, pending] : pending_) {
    if (pending->to == peer) ids.push_back(id);
  }
  for (uint64_t id : ids) {
    ++stats_.peer_lost_failures;
    deliver_reply(id, Error{ErrorCode::kUnavailable, "connection to node " + std::to_string(peer) + " lost"});
  }
  for (auto& observer : peer_lost_observers_) observer(peer);
}

void RpcNode::on_frame(NodeId from, const Bytes& bytes) {
  if (shut_down_) return;
  Json frame = Json::from_msgpack(bytes, /*strict=*/true, /*allow_exceptions=*/false);
  if (frame.is_discarded() || !frame.is_object() || !frame.contains("k") || !frame["k"].is_number_integer()) {
    ++stats_.malformed_frames;
    return;
  }
  const int kind = frame["k"].get<int>();
  if (kind == kResponse) {
    if (!frame.contains("i") || !frame["i"].is_number_unsigned() || !frame.contains("s") || !frame["s"].is_number_unsigned()) {
      ++stats_.malformed_frames;
      return;
    }
    ++stats_.replies;
    const uint64_t id = frame["i"].get<uint64_t>();
    if (frame["s"].get<uint64_t>() != session_) {
      ++stats_.foreign_replies;
      return;
    }
    if (auto it = pending_.find(id); it != pending_.end() && it->second->to != from) {
      ++stats_.foreign_replies;
      return;
    }
    if (frame.contains("e")) {
      deliver_reply(id, error_from_json(frame));
    } else {
      deliver_reply(id, frame.contains("b") ? std::move(frame["b"]) : Json());
    }
    return;
  }
  if (!frame.contains("m") || !frame["m"].is_string()) {
    ++stats_.malformed_frames;
    return;
  }
  std::string method = frame["m"].get<std::string>();
  Json body = frame.contains("b") ? std::move(frame["b"]) : Json();
  if (kind == kOneWay) {
    ++stats_.notifications;
    auto it = notify_handlers_.find(method);
    if (it == notify_handlers_.end()) {
      ++stats_.unknown_methods;
      return;
    }
    it->second(from, std::move(body));
    return;
  }
  if (kind != kRequest || !frame.contains("i") || !frame["i"].is_number_unsigned() || !frame.contains("s") ||
      !frame["s"].is_number_unsigned()) {
    ++stats_.malformed_frames;
    return;
  }
  if (!first_time(from, frame["s"].get<uint64_t>(), frame["i"].get<uint64_t>()) &&
      !env::planted(env::bug_sites::kRpcServesDuplicateFrames)) {
    ++stats_.duplicate_requests;
    return;
  }
  scope_.spawn(serve_one(from, frame["s"].get<uint64_t>(), frame["i"].get<uint64_t>(), std::move(method), std::move(body)));
}

bool RpcNode::first_time(NodeId from, uint64_t session, uint64_t id) {
  Seen& seen = seen_[{from, session}];
  seen.last_use = ++seen_clock_;
  if (id <= seen.floor || !seen.ids.insert(id).second) return false;
  while (seen.ids.size() > kSeenWindow) {
    seen.floor = *seen.ids.begin();
    seen.ids.erase(seen.ids.begin());
  }
  // Keep the few most recently used sessions of this sender (its latest boots).
  size_t sessions = 0;
  std::pair<NodeId, uint64_t> oldest{};
  uint64_t oldest_use = UINT64_MAX;
  for (auto it = seen_.lower_bound({from, 0}); it != seen_.end() && it->first.first == from; ++it) {
    ++sessions;
    if (it->second.last_use < oldest_use) {
      oldest_use = it->second.last_use;
      oldest = it->first;
    }
  }
  if (sessions > kSessionsPerPeer) seen_.erase(oldest);
  return true;
}

Task<void> RpcNode::serve_one(NodeId from, uint64_t session, uint64_t id, std::string method, Json body) {
  ++stats_.served;
  Result<Json> result = Error{ErrorCode::kInvalidArgument, "unknown method '" + method + "'"};
  auto it = handlers_.find(method);
  if (it == handlers_.end()) {
    ++stats_.unknown_methods;
  } else {
    result = co_await it->second(from, std::move(body));
  }
  // Fault point: the work is done (and maybe committed) but the reply is lost, so the
  // caller cannot tell whether it happened (Orleans #6128).
  if (env_.faults.fire(env::sites::kDropReplyAfterCommit)) co_return;
  Json reply{{"k", kResponse}, {"i", id}, {"s", session}};
  if (result.ok()) {
    reply["b"] = std::move(result.value());
  } else {
    reply["e"] = std::string(to_string(result.code()));
    reply["x"] = result.error().message;
  }
  if (from == env_.node) {
    env_.executor.post([this, reply = std::move(reply)] { on_frame(env_.node, Json::to_msgpack(reply)); });
  } else {
    send_frame(from, reply);
  }
}

}  // namespace orbit::rpc
