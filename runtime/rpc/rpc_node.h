// RpcNode: request/response and one-way messages over env::Transport, in typed binary
// frames (frame.h: a fixed header naming the method, then one MessagePack body; the wire
// format is docs/WIRE.md). The RpcNode never looks inside a body: callers encode with
// encode_message() and decode replies with decode_reply(); handlers decode their request
// from the body view they are given and return an encoded reply.
//
// Delivery is what the transport gives (loss, duplicates, reordering): a call either gets
// a reply, times out (kTimeout: the request may or may not have been applied), or fails
// with kUnavailable when the peer is lost. Malformed frames (truncated, another wire
// version, unknown kind) are counted and dropped, and the last one's problem is kept
// (last_malformed_frame()); the transport delivers whole frames, so a bad frame costs only
// itself and the frames after it from the same sender are served. A request for a method
// nobody serves is answered with kInvalidArgument naming it.
// Requests run at most once: a duplicated request frame is recognised by (sender,
// session, id) and dropped. The session is drawn per RpcNode (per boot), because ids
// restart after a restart and must not collide with the previous incarnation's.
// A response echoes the request's session and is taken only by a pending call of this
// session to the node it came from: a reply to the previous boot's call with the same id
// (delayed in the network or in a stalled server) is dropped, never handed to a new call.
//
// A pending call owns its timeout: its deadline sits in the node's deadline heap, which keeps
// one executor timer armed for the earliest deadline (not a timer per call, and nothing to
// cancel when a reply comes: a deadline of a finished call is skipped when it comes up).
// Pending calls live in a slab indexed by the call id's low bits (no map, no allocation
// per call once warm).
//
// Lifetimes: the RpcNode must outlive every coroutine that calls it, and its owner calls
// shutdown() before destroying the components its handlers use (served requests run in
// the RpcNode's own scope). Register handlers as plain lambdas returning a member
// coroutine's Task, so no coroutine frame depends on a lambda object.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/env/env.h"
#include "runtime/env/oneshot.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/task_scope.h"
#include "runtime/rpc/frame.h"

namespace orbit::rpc {

using env::NodeId;

struct RpcStats {
  uint64_t calls = 0;
  uint64_t replies = 0;
  uint64_t timeouts = 0;
  uint64_t peer_lost_failures = 0;
  uint64_t served = 0;
  uint64_t notifications = 0;
  uint64_t late_replies = 0;      // replies for calls that had already given up
  uint64_t foreign_replies = 0;   // replies for another boot's call or from the wrong peer
  uint64_t malformed_frames = 0;  // truncated, another wire version, unknown kind or status
  uint64_t unknown_methods = 0;
  uint64_t duplicate_requests = 0;  // dropped: already served (network duplication)
};

class RpcNode {
 public:
  // `body` stays valid until the handler's task has finished.
  using Handler = std::function<Task<Result<Bytes>>(NodeId from, ByteView body)>;
  using NotifyHandler = std::function<void(NodeId from, ByteView body)>;

  // Installs itself as the transport's receive and peer-lost handler.
  explicit RpcNode(env::Env& env, size_t max_pending_calls = 100000);
  ~RpcNode();
  RpcNode(const RpcNode&) = delete;
  RpcNode& operator=(const RpcNode&) = delete;

  NodeId self() const { return env_.node; }
  env::Env& env() { return env_; }

  // Serves `method`: each request runs as its own coroutine; its Result is the reply (an
  // encode_message() frame, or an error that travels as code + message).
  void serve(Method method, Handler handler);
  // Handles one-way messages for `method` (no reply; run inline on arrival).
  void on_notify(Method method, NotifyHandler handler);
  // Observers of peer loss (membership), called after pending calls to the peer failed.
  void on_peer_lost(std::function<void(NodeId)> observer);

  // Calls `method` on `to` with `request` (from encode_message()). The reply is the whole
  // reply frame: decode it with decode_reply(). Errors: kTimeout (no reply in time; the
  // outcome is unknown), kUnavailable (peer lost, or too many calls pending), or the
  // handler's own error. A call to self runs the handler locally (still asynchronously).
  Task<Result<Bytes>> call(NodeId to, Method method, Bytes request, Duration timeout);

  // Sends a one-way message (best effort).
  void notify(NodeId to, Method method, Bytes message);

  // Stops serving: destroys every in-flight served request and fails pending calls with
  // kCancelled. Idempotent.
  void shutdown();

  const RpcStats& stats() const { return stats_; }
  // The last frame dropped as malformed: its sender and read_header()'s error naming the
  // problem ("" while there was none). For logs and tests.
  const std::string& last_malformed_frame() const { return last_malformed_frame_; }

 private:
  struct Pending {
    uint64_t id = 0;  // 0: free
    NodeId to = 0;
    std::optional<OneShot<Result<Bytes>>> reply;
  };
  struct Deadline {
    MonoTime at;
    uint64_t id;
    // A min-heap by time, then by id (the call order): equal deadlines expire in call order.
    friend bool operator>(const Deadline& a, const Deadline& b) { return a.at != b.at ? a.at > b.at : a.id > b.id; }
  };
  // The request ids already served for one (sender, session): a window of kSeenWindow
  // sequence numbers above `floor`; anything at or below `floor` counts as seen.
  struct Seen;
  struct PeerSeen;

  void on_frame(NodeId from, Bytes frame);
  void on_reply(NodeId from, const FrameHeader& header, Bytes frame);
  void on_peer_lost_internal(NodeId peer);
  void send(NodeId to, Bytes frame);
  Pending* find_pending(uint64_t id);
  void deliver_reply(uint64_t id, Result<Bytes> reply);
  void release(uint64_t id);
  Task<void> serve_one(NodeId from, FrameHeader header, Bytes frame);
  void add_deadline(MonoTime at, uint64_t id);
  void on_deadlines();
  void arm_deadline_timer();
  bool first_time(NodeId from, uint64_t session, uint64_t id);

  env::Env& env_;
  const size_t max_pending_calls_;
  std::array<Handler, kMethodSlots> handlers_;
  std::array<NotifyHandler, kMethodSlots> notify_handlers_;
  std::vector<std::function<void(NodeId)>> peer_lost_observers_;
  // Slab of pending calls; a call id is (sequence << 32) | slot, so ids grow with the
  // sequence (the receiver's duplicate window relies on it) and a stale reply never
  // matches a reused slot.
  std::vector<std::unique_ptr<Pending>> pending_;
  std::vector<uint32_t> free_slots_;
  size_t pending_count_ = 0;
  std::vector<Deadline> deadlines_;  // a heap (std::push_heap with greater<>)
  env::TimerId deadline_timer_ = 0;
  MonoTime deadline_timer_at_{};
  uint64_t next_sequence_ = 1;
  const uint64_t session_;
  std::unordered_map<NodeId, std::unique_ptr<PeerSeen>> seen_;  // looked up only, never iterated
  uint64_t seen_clock_ = 0;
  RpcStats stats_;
  std::string last_malformed_frame_;
  bool shut_down_ = false;
  TaskScope scope_;  // served requests; destroyed first
};

// A reply frame's body as a T; kCorrupt naming the method when it does not decode.
template <typename T>
Result<T> decode_reply(const Result<Bytes>& reply, Method method) {
  if (!reply.ok()) return reply.error();
  return wire::decode<T>(body_of(*reply), method_name(method));
}

}  // namespace orbit::rpc
