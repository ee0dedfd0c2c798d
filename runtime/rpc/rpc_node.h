// RpcNode: request/response over env::Transport. Frames are MessagePack (nlohmann_json):
//   request   {"k":0, "i":<id>, "s":<session>, "m":"<method>", "b":<body>}
//   response  {"k":1, "i":<id>, "s":<session>, "b":<body>}  or  {..., "e":"<error code>", "x":"<message>"}
//   one-way   {"k":2, "m":"<method>", "b":<body>}
// Delivery is what the transport gives (loss, duplicates, reordering): a call either gets
// a reply, times out (kTimeout: the request may or may not have been applied), or fails
// with kUnavailable when the peer is lost. Garbage frames are counted and dropped.
// Requests run at most once: a duplicated request frame is recognised by (sender,
// session, id) and dropped. The session is drawn per RpcNode (per boot), because ids
// restart at 1 after a restart and must not collide with the previous incarnation's.
// A response echoes the request's session and is taken only by a pending call of this
// session to the node it came from: a reply to the previous boot's call with the same id
// (delayed in the network or in a stalled server) is dropped, never handed to a new call.
//
// Lifetimes: the RpcNode must outlive every coroutine that calls it, and its owner calls
// shutdown() before destroying the components its handlers use (served requests run in
// the RpcNode's own scope). Register handlers as plain lambdas returning a member
// coroutine's Task, so no coroutine frame depends on a lambda object.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/env/env.h"
#include "runtime/env/oneshot.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/task_scope.h"

namespace orbit::rpc {

using env::NodeId;
using Json = nlohmann::json;

struct RpcStats {
  uint64_t calls = 0;
  uint64_t replies = 0;
  uint64_t timeouts = 0;
  uint64_t peer_lost_failures = 0;
  uint64_t served = 0;
  uint64_t notifications = 0;
  uint64_t late_replies = 0;      // replies for calls that had already given up
  uint64_t foreign_replies = 0;   // replies for another boot's call or from the wrong peer
  uint64_t malformed_frames = 0;  // undecodable or ill-formed frames
  uint64_t unknown_methods = 0;
  uint64_t duplicate_requests = 0;  // dropped: already served (network duplication)
};

class RpcNode {
 public:
  using Handler = std::function<Task<Result<Json>>(NodeId from, Json body)>;
  using NotifyHandler = std::function<void(NodeId from, Json body)>;

  // Installs itself as the transport's receive and peer-lost handler.
  explicit RpcNode(env::Env& env, size_t max_pending_calls = 100000);
  ~RpcNode();
  RpcNode(const RpcNode&) = delete;
  RpcNode& operator=(const RpcNode&) = delete;

  NodeId self() const { return env_.node; }
  env::Env& env() { return env_; }

  // Serves `method`: each request runs as its own coroutine; its Result is the reply.
  void serve(std::string method, Handler handler);
  // Handles one-way messages for `method` (no reply; run inline on arrival).
  void on_notify(std::string method, NotifyHandler handler);
  // Observers of peer loss (membership), called after pending calls to the peer failed.
  void on_peer_lost(std::function<void(NodeId)> observer);

  // Calls `method` on `to`. Errors: kTimeout (no reply in time; the outcome is unknown),
  // kUnavailable (peer lost, or too many calls pending), or the handler's own error.
  // A call to self runs the handler locally (still asynchronously).
  Task<Result<Json>> call(NodeId to, std::string method, Json body, Duration timeout);

  // Sends a one-way message (best effort).
  void notify(NodeId to, const std::string& method, Json body);

  // Stops serving: destroys every in-flight served request and fails pending calls with
  // kCancelled. Idempotent.
  void shutdown();

  const RpcStats& stats() const { return stats_; }

 private:
  struct Pending {
    explicit Pending(NodeId peer) : to(peer) {}
    NodeId to;
    OneShot<Result<Json>> reply;
  };

  void on_frame(NodeId from, const Bytes& frame);
  void on_peer_lost_internal(NodeId peer);
  void send_frame(NodeId to, const Json& frame);
  void deliver_reply(uint64_t id, Result<Json> reply);
  Task<void> serve_one(NodeId from, uint64_t session, uint64_t id, std::string method, Json body);
  Task<Result<Json>> wait_reply(uint64_t id);

  env::Env& env_;
  const size_t max_pending_calls_;
  std::map<std::string, Handler> handlers_;
  std::map<std::string, NotifyHandler> notify_handlers_;
  std::vector<std::function<void(NodeId)>> peer_lost_observers_;
  std::map<uint64_t, std::unique_ptr<Pending>> pending_;
  uint64_t next_id_ = 1;
  const uint64_t session_;
  // Request ids already served, per (sender, session): ids above `floor` are kept in
  // `ids`; everything at or below `floor` counts as seen. Bounded by kSeenWindow per
  // session and kSessionsPerPeer sessions per sender.
  struct Seen {
    uint64_t floor = 0;
    std::set<uint64_t> ids;
    uint64_t last_use = 0;
  };
  std::map<std::pair<NodeId, uint64_t>, Seen> seen_;
  uint64_t seen_clock_ = 0;
  bool first_time(NodeId from, uint64_t session, uint64_t id);
  RpcStats stats_;
  bool shut_down_ = false;
  TaskScope scope_;  // served requests; destroyed first
};

// Error codes travel by name.
Json error_to_json(const Error& error);
Error error_from_json(const Json& j);

}  // namespace orbit::rpc
