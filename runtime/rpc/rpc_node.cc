#include "runtime/rpc/rpc_node.h"

#include <algorithm>
#include <bitset>
#include <functional>
#include <cassert>

#include "runtime/env/fault_sites.h"
#include "runtime/env/planted_bugs.h"

namespace orbit::rpc {
namespace {

// Requests normally complete long before 4096 newer ones from the same sender; a request
// delayed past that is treated as already seen (dropped), which a caller sees as a timeout.
constexpr uint64_t kSeenWindow = 4096;
constexpr size_t kSessionsPerPeer = 4;

uint32_t slot_of(uint64_t id) { return static_cast<uint32_t>(id); }
uint64_t sequence_of(uint64_t id) { return id >> 32; }

Bytes error_frame(const Error& error) { return encode_message(error.message); }

uint8_t status_of(ErrorCode code) { return static_cast<uint8_t>(1 + static_cast<uint8_t>(code)); }

}  // namespace

struct RpcNode::Seen {
  uint64_t session = 0;
  uint64_t floor = 0;  // every sequence <= floor counts as seen
  uint64_t last_use = 0;
  std::bitset<kSeenWindow> bits;  // sequence s in (floor, floor + window] is bit s % window
};

struct RpcNode::PeerSeen {
  std::vector<Seen> sessions;  // at most kSessionsPerPeer: the sender's latest boots
};

RpcNode::RpcNode(env::Env& env, size_t max_pending_calls)
    : env_(env), max_pending_calls_(max_pending_calls), session_(env.random.next_u64()) {
  env_.transport.set_receive_handler([this](NodeId from, Bytes frame) { on_frame(from, std::move(frame)); });
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
  if (deadline_timer_ != 0) env_.executor.cancel(deadline_timer_);
  deadline_timer_ = 0;
  deadlines_.clear();
  scope_.cancel_all();
  std::vector<uint64_t> ids;
  for (const auto& pending : pending_) {
    if (pending->id != 0) ids.push_back(pending->id);
  }
  for (uint64_t id : ids) deliver_reply(id, Error{ErrorCode::kCancelled, "rpc node shut down"});
}

void RpcNode::serve(Method method, Handler handler) {
  assert(static_cast<size_t>(method) < kMethodSlots);
  handlers_[static_cast<size_t>(method)] = std::move(handler);
}

void RpcNode::on_notify(Method method, NotifyHandler handler) {
  assert(static_cast<size_t>(method) < kMethodSlots);
  notify_handlers_[static_cast<size_t>(method)] = std::move(handler);
}

void RpcNode::on_peer_lost(std::function<void(NodeId)> observer) {
  peer_lost_observers_.push_back(std::move(observer));
}

void RpcNode::send(NodeId to, Bytes frame) {
  if (to == env_.node) {
    // To self: still asynchronous, never inline, like a frame from the network.
    env_.executor.post([this, frame = std::move(frame)]() mutable { on_frame(env_.node, std::move(frame)); });
    return;
  }
  env_.transport.send(to, std::move(frame));
}

void RpcNode::notify(NodeId to, Method method, Bytes message) {
  if (shut_down_) return;
  assert(message.size() >= kHeaderBytes && "notify() takes an encode_message() frame");
  write_header(message, FrameHeader{FrameKind::kOneWay, method, 0, 0, 0});
  send(to, std::move(message));
}

RpcNode::Pending* RpcNode::find_pending(uint64_t id) {
  const uint32_t slot = slot_of(id);
  if (slot >= pending_.size() || pending_[slot]->id != id) return nullptr;
  return pending_[slot].get();
}

void RpcNode::release(uint64_t id) {
  Pending* pending = find_pending(id);
  if (pending == nullptr) return;
  pending->id = 0;
  pending->reply.reset();
  free_slots_.push_back(slot_of(id));
  --pending_count_;
}

Task<Result<Bytes>> RpcNode::call(NodeId to, Method method, Bytes request, Duration timeout) {
  assert(request.size() >= kHeaderBytes && "call() takes an encode_message() frame");
  if (shut_down_) co_return Error{ErrorCode::kCancelled, "rpc node shut down"};
  if (pending_count_ >= max_pending_calls_) {
    co_return Error{ErrorCode::kUnavailable, "too many pending calls (" + std::to_string(pending_count_) + ")"};
  }
  ++stats_.calls;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(pending_.size());
    pending_.push_back(std::make_unique<Pending>());
  }
  const uint64_t id = (next_sequence_++ << 32) | slot;
  Pending& pending = *pending_[slot];
  pending.id = id;
  pending.to = to;
  pending.reply.emplace();
  ++pending_count_;
  // Frees the slot however this frame ends (reply, timeout, or destroyed by a crash).
  struct Release {
    RpcNode* rpc;
    uint64_t id;
    ~Release() { rpc->release(id); }
  } release{this, id};
  add_deadline(env_.executor.clock().mono_now() + timeout, id);
  write_header(request, FrameHeader{FrameKind::kRequest, method, 0, session_, id});
  send(to, std::move(request));
  co_return co_await pending.reply->take();
}

void RpcNode::add_deadline(MonoTime at, uint64_t id) {
  deadlines_.push_back(Deadline{at, id});
  std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
  if (deadline_timer_ == 0 || at < deadline_timer_at_) arm_deadline_timer();
}

void RpcNode::arm_deadline_timer() {
  // Deadlines of calls that already finished are dropped here rather than kept in the heap.
  while (!deadlines_.empty() && find_pending(deadlines_.front().id) == nullptr) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
    deadlines_.pop_back();
  }
  if (deadline_timer_ != 0) env_.executor.cancel(deadline_timer_);
  deadline_timer_ = 0;
  if (deadlines_.empty()) return;
  deadline_timer_at_ = deadlines_.front().at;
  deadline_timer_ = env_.executor.schedule_after(deadline_timer_at_ - env_.executor.clock().mono_now(),
                                                 [this] { on_deadlines(); });
}

void RpcNode::on_deadlines() {
  deadline_timer_ = 0;
  // Only the deadlines due at the time this timer was armed for, not every deadline overdue
  // by now: after a pause, a reply that arrived before a later deadline must still win, as
  // it would against a timer of its own. The next deadline gets a timer of its own turn.
  const MonoTime due = deadline_timer_at_;
  // Collected first: a timed-out caller resumes inline and may start calls of its own.
  std::vector<uint64_t> expired;
  while (!deadlines_.empty() && deadlines_.front().at <= due) {
    expired.push_back(deadlines_.front().id);
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
    deadlines_.pop_back();
  }
  for (uint64_t id : expired) {
    Pending* p = find_pending(id);
    if (p == nullptr || p->reply->is_set()) continue;
    ++stats_.timeouts;
    p->reply->set(Error{ErrorCode::kTimeout, "timed out"});
  }
  if (deadline_timer_ == 0) arm_deadline_timer();
}

void RpcNode::deliver_reply(uint64_t id, Result<Bytes> reply) {
  Pending* pending = find_pending(id);
  if (pending == nullptr || pending->reply->is_set()) {
    ++stats_.late_replies;
    return;
  }
  pending->reply->set(std::move(reply));
}

void RpcNode::on_peer_lost_internal(NodeId peer) {
  std::vector<uint64_t> ids;
  for (const auto& pending : pending_) {
    if (pending->id != 0 && pending->to == peer && !pending->reply->is_set()) ids.push_back(pending->id);
  }
  for (uint64_t id : ids) {
    ++stats_.peer_lost_failures;
    deliver_reply(id, Error{ErrorCode::kUnavailable, "connection to node " + std::to_string(peer) + " lost"});
  }
  for (auto& observer : peer_lost_observers_) observer(peer);
}

void RpcNode::on_reply(NodeId from, const FrameHeader& header, Bytes frame) {
  ++stats_.replies;
  if (header.session != session_) {
    ++stats_.foreign_replies;
    return;
  }
  Pending* pending = find_pending(header.call_id);
  if (pending != nullptr && pending->to != from) {
    ++stats_.foreign_replies;
    return;
  }
  if (header.status == 0) {
    deliver_reply(header.call_id, std::move(frame));
    return;
  }
  const auto code = static_cast<ErrorCode>(header.status - 1);
  Result<std::string> message = wire::decode<std::string>(body_of(frame), "error reply");
  deliver_reply(header.call_id, Error{code, message.ok() ? std::move(*message) : to_string(message.error())});
}

void RpcNode::on_frame(NodeId from, Bytes frame) {
  if (shut_down_) return;
  Result<FrameHeader> header = read_header(frame);
  if (!header.ok()) {
    ++stats_.malformed_frames;
    last_malformed_frame_ = "frame from node " + std::to_string(from) + " dropped: " + header.error().message;
    return;
  }
  switch (header->kind) {
    case FrameKind::kReply:
      on_reply(from, *header, std::move(frame));
      return;
    case FrameKind::kOneWay: {
      ++stats_.notifications;
      const auto slot = static_cast<size_t>(header->method);
      if (slot >= kMethodSlots || !notify_handlers_[slot]) {
        ++stats_.unknown_methods;
        return;
      }
      notify_handlers_[slot](from, body_of(frame));
      return;
    }
    case FrameKind::kRequest:
      if (!first_time(from, header->session, header->call_id) &&
          !env::planted(env::bug_sites::kRpcServesDuplicateFrames)) {
        ++stats_.duplicate_requests;
        return;
      }
      scope_.spawn(serve_one(from, *header, std::move(frame)));
      return;
  }
}

bool RpcNode::first_time(NodeId from, uint64_t session, uint64_t id) {
  std::unique_ptr<PeerSeen>& peer = seen_[from];
  if (!peer) peer = std::make_unique<PeerSeen>();
  Seen* seen = nullptr;
  for (Seen& s : peer->sessions) {
    if (s.session == session) seen = &s;
  }
  if (seen == nullptr) {
    // Keep the few most recently used sessions of this sender (its latest boots).
    if (peer->sessions.size() >= kSessionsPerPeer) {
      size_t oldest = 0;
      for (size_t i = 1; i < peer->sessions.size(); ++i) {
        if (peer->sessions[i].last_use < peer->sessions[oldest].last_use) oldest = i;
      }
      peer->sessions.erase(peer->sessions.begin() + static_cast<ptrdiff_t>(oldest));
    }
    peer->sessions.emplace_back();
    seen = &peer->sessions.back();
    seen->session = session;
  }
  seen->last_use = ++seen_clock_;
  const uint64_t seq = sequence_of(id);
  if (seq <= seen->floor) return false;
  if (seq > seen->floor + kSeenWindow) {
    // Slide the window up to end at `seq`; sequences that fall below it count as seen.
    const uint64_t new_floor = seq - kSeenWindow;
    if (new_floor - seen->floor >= kSeenWindow) {
      seen->bits.reset();
    } else {
      for (uint64_t s = seen->floor + 1; s <= new_floor; ++s) seen->bits.reset(s % kSeenWindow);
    }
    seen->floor = new_floor;
  }
  const size_t bit = seq % kSeenWindow;
  if (seen->bits.test(bit)) return false;
  seen->bits.set(bit);
  return true;
}

Task<void> RpcNode::serve_one(NodeId from, FrameHeader header, Bytes frame) {
  ++stats_.served;
  const auto slot = static_cast<size_t>(header.method);
  Result<Bytes> result = Error{ErrorCode::kInvalidArgument, ""};
  if (slot >= kMethodSlots || !handlers_[slot]) {
    ++stats_.unknown_methods;
    result = Error{ErrorCode::kInvalidArgument,
                   "unknown method " + std::to_string(slot) +
                       (method_name(header.method).empty() ? "" : " (" + std::string(method_name(header.method)) + ")")};
  } else {
    result = co_await handlers_[slot](from, body_of(frame));
  }
  // Fault point: the work is done (and maybe committed) but the reply is lost, so the
  // caller cannot tell whether it happened (Orleans #6128).
  if (env_.faults.fire(env::sites::kDropReplyAfterCommit)) co_return;
  Bytes reply;
  uint8_t status = 0;
  if (result.ok()) {
    reply = std::move(result.value());
    assert(reply.size() >= kHeaderBytes && "a handler replies with an encode_message() frame");
  } else {
    reply = error_frame(result.error());
    status = status_of(result.code());
  }
  write_header(reply, FrameHeader{FrameKind::kReply, header.method, status, header.session, header.call_id});
  send(from, std::move(reply));
}

}  // namespace orbit::rpc
