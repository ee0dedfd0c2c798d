#include "runtime/cluster/membership.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "runtime/env/sleep.h"

namespace orbit::cluster {
namespace {

// Heartbeats gossip the sender's table and recent departures; the other two messages
// carry the incarnation they are about. docs/WIRE.md lists their layouts.
struct HeartbeatMessage {
  std::string name;
  uint64_t incarnation = 0;
  uint64_t seq = 0;
  std::vector<std::pair<NodeId, uint64_t>> members;   // [id, incarnation]
  std::vector<std::pair<NodeId, uint64_t>> departed;  // [id, incarnation] of recent leaves
  MSGPACK_DEFINE_ARRAY(name, incarnation, seq, members, departed);
};

struct IncarnationMessage {
  uint64_t incarnation = 0;
  MSGPACK_DEFINE_ARRAY(incarnation);
};

// Observers that keep changing the view from inside on_change would otherwise loop forever.
constexpr int kMaxPublishRounds = 8;

}  // namespace

std::string_view to_string(MemberStatus status) {
  switch (status) {
    case MemberStatus::kAlive:
      return "alive";
    case MemberStatus::kSuspect:
      return "suspect";
  }
  return "unknown";
}

const MemberInfo* MembershipView::find(NodeId id) const {
  auto it = std::lower_bound(members.begin(), members.end(), id,
                             [](const MemberInfo& m, NodeId key) { return m.member.id < key; });
  if (it == members.end() || it->member.id != id) return nullptr;
  return &*it;
}

Result<void> MembershipConfig::validate() const {
  auto bad = [](std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; };
  if (heartbeat_interval <= Duration::zero()) return bad("membership.heartbeat_interval must be > 0");
  if (suspect_after < heartbeat_interval) return bad("membership.suspect_after must be >= heartbeat_interval");
  if (remove_after <= suspect_after) return bad("membership.remove_after must be > suspect_after");
  if (probe_removed_for < Duration::zero()) return bad("membership.probe_removed_for must be >= 0");
  if (probe_every_ticks == 0) return bad("membership.probe_every_ticks must be >= 1");
  if (max_members == 0) return bad("membership.max_members must be >= 1");
  return {};
}

Membership::Membership(rpc::RpcNode& rpc, MembershipConfig config, Member self)
    : rpc_(rpc),
      env_(rpc.env()),
      config_(std::move(config)),
      self_(std::move(self)),
      alive_(std::make_shared<Alive>(Alive{this})) {
  if (auto valid = config_.validate(); !valid) throw std::invalid_argument(valid.error().message);
  if (self_.id != rpc_.self()) {
    throw std::invalid_argument("membership: self.id " + std::to_string(self_.id) + " is not the rpc node's id " +
                                std::to_string(rpc_.self()));
  }
  if (self_.name.empty()) throw std::invalid_argument("membership: self.name must not be empty");
  rpc_.on_notify(rpc::Method::kHeartbeat, [this](NodeId from, ByteView body) { handle_heartbeat(from, body); });
  rpc_.on_notify(rpc::Method::kLeave, [this](NodeId from, ByteView body) { handle_leave(from, body); });
  rpc_.on_notify(rpc::Method::kReadmitted, [this](NodeId from, ByteView body) { handle_readmitted(from, body); });
  rpc_.on_peer_lost([alive = alive_](NodeId peer) {
    if (alive->self != nullptr) alive->self->handle_peer_lost(peer);
  });
}

Membership::~Membership() {
  scope_.cancel_all();
  // RpcNode cannot unregister handlers: replace ours with no-ops, and disarm the peer-lost
  // observer, so nothing reaches this object once it is gone.
  alive_->self = nullptr;
  auto ignore = [](NodeId, ByteView) {};
  rpc_.on_notify(rpc::Method::kHeartbeat, ignore);
  rpc_.on_notify(rpc::Method::kLeave, ignore);
  rpc_.on_notify(rpc::Method::kReadmitted, ignore);
}

MonoTime Membership::now() const { return env_.executor.clock().mono_now(); }

void Membership::start() {
  if (started_ || left_) return;
  started_ = true;
  const MonoTime t = now();
  last_tick_ = t;
  table_.emplace(self_.id, Entry{self_, MemberStatus::kAlive, t, 0});
  publish();
  // Join at once rather than a heartbeat interval from now.
  const Bytes body = heartbeat_body();
  std::set<NodeId> seeds(config_.seeds.begin(), config_.seeds.end());
  seeds.erase(self_.id);
  for (NodeId seed : seeds) send_heartbeat(seed, body);
  // A random phase, so that nodes booted together do not heartbeat in lockstep.
  const Duration first_delay = env_.random.duration_between(Duration::zero(), config_.heartbeat_interval);
  scope_.spawn(heartbeat_loop(first_delay));
}

void Membership::leave() {
  if (left_) return;
  if (!started_) {
    left_ = true;
    return;
  }
  env_.recorder.record(history::MembershipLeave{});
  std::set<NodeId> targets(config_.seeds.begin(), config_.seeds.end());
  for (const auto& [id, entry] : table_) targets.insert(id);
  for (const auto& [id, candidate] : candidates_) targets.insert(id);
  targets.erase(self_.id);
  const Bytes message = rpc::encode_message(IncarnationMessage{self_.incarnation});
  for (NodeId to : targets) rpc_.notify(to, rpc::Method::kLeave, message);
  // The loop sees left_ and ends at its next wake-up; it is not cancelled here because
  // leave() may be called from inside it (an on_change observer).
  left_ = true;
  table_.clear();
  candidates_.clear();
  tombstones_.clear();
  publish();
}

std::vector<Member> Membership::live_members() const {
  std::vector<Member> members;
  members.reserve(view_.members.size());
  for (const MemberInfo& info : view_.members) members.push_back(info.member);
  return members;
}

void Membership::on_change(ChangeObserver observer) { change_observers_.push_back(std::move(observer)); }

void Membership::on_self_removed(SelfRemovedObserver observer) {
  self_removed_observers_.push_back(std::move(observer));
}

Task<void> Membership::heartbeat_loop(Duration first_delay) {
  co_await sleep(env_.executor, first_delay);
  // Runs for the life of the membership: each round is bounded by the table sizes.
  while (!left_) {
    tick();
    co_await sleep(env_.executor, config_.heartbeat_interval);
  }
}

void Membership::tick() {
  const MonoTime t = now();
  const Duration gap = t - last_tick_;
  last_tick_ = t;
  if (gap > 2 * config_.heartbeat_interval) {
    // This node did not run for a while (paused): it could not have heard anyone then, so
    // that blind time does not count as their silence.
    const Duration blind = gap - config_.heartbeat_interval;
    for (auto& [id, entry] : table_) entry.last_heard = std::min(t, entry.last_heard + blind);
    for (auto& [id, candidate] : candidates_) candidate.last_mentioned = std::min(t, candidate.last_mentioned + blind);
    ++stats_.stalls_detected;
    env_.recorder.record(history::MembershipStall{blind});
  }

  std::vector<NodeId> silent;
  for (auto& [id, entry] : table_) {
    if (id == self_.id) continue;
    const Duration silence = t - entry.last_heard;
    if (silence >= config_.remove_after) {
      silent.push_back(id);
    } else if (silence >= config_.suspect_after) {
      entry.status = MemberStatus::kSuspect;
    }
  }
  for (NodeId id : silent) remove(id, /*left=*/false, t);

  std::erase_if(candidates_, [&](const auto& kv) { return t - kv.second.last_mentioned >= config_.remove_after; });
  std::erase_if(tombstones_, [&](const auto& kv) { return t - kv.second.since >= config_.probe_removed_for; });

  std::set<NodeId> targets(config_.seeds.begin(), config_.seeds.end());
  for (const auto& [id, entry] : table_) targets.insert(id);
  for (const auto& [id, candidate] : candidates_) targets.insert(id);
  if (tick_count_ % config_.probe_every_ticks == 0) {
    for (const auto& [id, tombstone] : tombstones_) {
      if (!tombstone.left) targets.insert(id);
    }
  }
  targets.erase(self_.id);
  ++tick_count_;
  const Bytes body = heartbeat_body();
  for (NodeId to : targets) send_heartbeat(to, body);
  publish();
}

Bytes Membership::heartbeat_body() {
  const MonoTime t = now();
  HeartbeatMessage message;
  message.name = self_.name;
  message.incarnation = self_.incarnation;
  message.seq = ++seq_;
  message.members.reserve(table_.size());
  for (const auto& [id, entry] : table_) message.members.emplace_back(id, entry.member.incarnation);
  for (const auto& [id, tombstone] : tombstones_) {
    // Recent departures only: each node passes a leave on for remove_after after it learned
    // of it, so the news spreads and then dies out.
    if (tombstone.left && t - tombstone.since < config_.remove_after) {
      message.departed.emplace_back(id, tombstone.incarnation);
    }
  }
  return rpc::encode_message(message);
}

void Membership::send_heartbeat(NodeId to, const Bytes& body) {
  ++stats_.heartbeats_sent;
  rpc_.notify(to, rpc::Method::kHeartbeat, body);
}

void Membership::handle_heartbeat(NodeId from, ByteView body) {
  if (!started_ || left_ || from == self_.id) return;
  Result<HeartbeatMessage> decoded = wire::decode<HeartbeatMessage>(body, "member.heartbeat");
  if (!decoded.ok() || decoded->name.empty()) {
    ++stats_.malformed_messages;
    return;
  }
  HeartbeatMessage& message = *decoded;
  // At most max_members entries of each list are kept: the rest of an oversized list is ignored.
  if (message.members.size() > config_.max_members) message.members.resize(config_.max_members);
  if (message.departed.size() > config_.max_members) message.departed.resize(config_.max_members);
  const uint64_t seq = message.seq;
  const std::vector<std::pair<NodeId, uint64_t>>& summary = message.members;
  const std::vector<std::pair<NodeId, uint64_t>>& departed = message.departed;
  ++stats_.heartbeats_received;
  const MonoTime t = now();
  const Member sender{from, std::move(message.name), message.incarnation};
  bool first_contact = false;
  bool readmitted = false;

  auto it = table_.find(from);
  if (it != table_.end()) {
    Entry& entry = it->second;
    if (sender.incarnation < entry.member.incarnation) {
      ++stats_.stale_messages;
      return;
    }
    if (sender.incarnation > entry.member.incarnation) {
      // The node restarted: its new incarnation replaces the old one at once.
      entry = Entry{sender, MemberStatus::kAlive, t, seq};
      first_contact = true;
    } else {
      if (seq <= entry.last_seq) {
        ++stats_.stale_messages;  // a duplicate or a reordered older frame
        return;
      }
      entry.last_seq = seq;
      entry.last_heard = t;
      entry.status = MemberStatus::kAlive;
    }
  } else {
    auto tomb = tombstones_.find(from);
    if (tomb != tombstones_.end()) {
      const Tombstone& stone = tomb->second;
      if (sender.incarnation < stone.incarnation ||
          (sender.incarnation == stone.incarnation && (stone.left || seq <= stone.last_seq))) {
        ++stats_.stale_messages;
        return;
      }
    }
    if (table_.size() >= config_.max_members) {
      ++stats_.rejected_table_full;
      return;
    }
    if (tomb != tombstones_.end()) {
      // Same incarnation, newer heartbeat: it was removed for silence yet is alive (a pause,
      // a partition). It is taken back, and told, since it lost its place meanwhile.
      readmitted = tomb->second.incarnation == sender.incarnation;
      tombstones_.erase(tomb);
    }
    table_.emplace(from, Entry{sender, MemberStatus::kAlive, t, seq});
    candidates_.erase(from);
    first_contact = true;
  }

  for (const auto& [id, inc] : summary) learn_of(id, inc, t);
  for (const auto& [id, inc] : departed) learn_left(id, inc, t);
  if (readmitted) rpc_.notify(from, rpc::Method::kReadmitted, rpc::encode_message(IncarnationMessage{sender.incarnation}));
  // Answer a newcomer at once, so a join (or rejoin) takes a round trip, not an interval.
  if (first_contact) send_heartbeat(from, heartbeat_body());
  publish();
}

void Membership::learn_of(NodeId id, uint64_t incarnation, MonoTime t) {
  if (id == self_.id || table_.contains(id)) return;
  auto tomb = tombstones_.find(id);
  if (tomb != tombstones_.end() && tomb->second.left && incarnation <= tomb->second.incarnation) return;
  auto it = candidates_.find(id);
  if (it == candidates_.end()) {
    if (candidates_.size() >= config_.max_members) {
      ++stats_.rejected_table_full;
      return;
    }
    candidates_.emplace(id, Candidate{incarnation, t});
    return;
  }
  it->second.incarnation = std::max(it->second.incarnation, incarnation);
  it->second.last_mentioned = t;
}

void Membership::learn_left(NodeId id, uint64_t incarnation, MonoTime t) {
  if (id == self_.id) return;
  auto cand = candidates_.find(id);
  if (cand != candidates_.end() && cand->second.incarnation <= incarnation) candidates_.erase(cand);
  auto it = table_.find(id);
  if (it != table_.end()) {
    if (it->second.member.incarnation > incarnation) return;  // an older incarnation left
    remove(id, /*left=*/true, t);
    Tombstone& stone = tombstones_[id];
    stone.incarnation = std::max(stone.incarnation, incarnation);
    return;
  }
  auto tomb = tombstones_.find(id);
  if (tomb != tombstones_.end()) {
    Tombstone& stone = tomb->second;
    if (stone.incarnation > incarnation) return;
    // Already known: keep `since`, so that re-hearing the news does not keep it in gossip.
    if (stone.left && stone.incarnation == incarnation) return;
    if (stone.incarnation < incarnation) stone.last_seq = 0;
    stone.incarnation = incarnation;
    stone.left = true;
    stone.since = t;
    return;
  }
  if (tombstones_.size() >= config_.max_members) {
    ++stats_.rejected_table_full;
    return;
  }
  tombstones_.emplace(id, Tombstone{incarnation, 0, true, t});
}

void Membership::remove(NodeId id, bool left, MonoTime t) {
  auto it = table_.find(id);
  assert(it != table_.end());
  assert(id != self_.id);
  if (!tombstones_.contains(id) && tombstones_.size() >= config_.max_members) {
    // Evict the oldest tombstone (lowest id among equals): deterministic and bounded.
    auto oldest = tombstones_.begin();
    for (auto t_it = tombstones_.begin(); t_it != tombstones_.end(); ++t_it) {
      if (t_it->second.since < oldest->second.since) oldest = t_it;
    }
    tombstones_.erase(oldest);
  }
  tombstones_[id] = Tombstone{it->second.member.incarnation, it->second.last_seq, left, t};
  table_.erase(it);
  if (left) {
    ++stats_.members_left;
  } else {
    ++stats_.members_removed;
  }
}

void Membership::handle_leave(NodeId from, ByteView body) {
  if (!started_ || left_ || from == self_.id) return;
  Result<IncarnationMessage> incarnation = wire::decode<IncarnationMessage>(body, "member.leave");
  if (!incarnation.ok()) {
    ++stats_.malformed_messages;
    return;
  }
  learn_left(from, incarnation->incarnation, now());
  publish();
}

void Membership::handle_readmitted(NodeId from, ByteView body) {
  if (!started_ || left_ || from == self_.id) return;
  Result<IncarnationMessage> incarnation = wire::decode<IncarnationMessage>(body, "member.readmitted");
  if (!incarnation.ok()) {
    ++stats_.malformed_messages;
    return;
  }
  if (incarnation->incarnation != self_.incarnation) {
    ++stats_.stale_messages;
    return;
  }
  ++stats_.self_removals_noticed;
  env_.recorder.record(history::MembershipSelfRemoved{static_cast<int64_t>(from)});
  for (size_t i = 0; i < self_removed_observers_.size(); ++i) {
    SelfRemovedObserver observer = self_removed_observers_[i];  // a copy: it may register more
    observer(from);
  }
}

void Membership::handle_peer_lost(NodeId peer) {
  if (!started_ || left_ || peer == self_.id) return;
  auto it = table_.find(peer);
  if (it == table_.end() || it->second.status == MemberStatus::kSuspect) return;
  it->second.status = MemberStatus::kSuspect;
  publish();
}

void Membership::record_view() {
  history::MembershipView event{.version = view_.version};
  for (const MemberInfo& info : view_.members) {
    const history::Sym name = env_.recorder.intern(to_string(info.member));
    event.members.push_back(name);
    if (info.status == MemberStatus::kSuspect) event.suspect.push_back(name);
  }
  env_.recorder.record(std::move(event));
}

void Membership::publish() {
  if (publishing_) {
    republish_ = true;  // an observer changed the table: the outer call publishes again
    return;
  }
  publishing_ = true;
  for (int round = 0; round < kMaxPublishRounds; ++round) {
    republish_ = false;
    // Most heartbeats change nothing: compare in place before building a new view.
    bool same = table_.size() == view_.members.size();
    if (same) {
      auto v = view_.members.begin();
      for (const auto& [id, entry] : table_) {
        if (!(v->member == entry.member) || v->status != entry.status) {
          same = false;
          break;
        }
        ++v;
      }
    }
    if (same) break;
    std::vector<MemberInfo> members;
    members.reserve(table_.size());
    for (const auto& [id, entry] : table_) members.push_back(MemberInfo{entry.member, entry.status});
    view_.members = std::move(members);
    ++view_.version;

    record_view();

    for (size_t i = 0; i < change_observers_.size(); ++i) {
      ChangeObserver observer = change_observers_[i];  // a copy: it may register more
      observer(view_);
    }
    if (!republish_) break;
  }
  publishing_ = false;
}

}  // namespace orbit::cluster
