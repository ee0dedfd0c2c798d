// Membership: which members are in the cluster, as this node sees it. Every node runs one.
//
// Protocol (one-way RpcNode notifications; delivery is best effort):
//   - "membership.heartbeat"  every heartbeat_interval, to every member in the view, every
//     seed, and every node learned of by gossip but not heard from yet; also once,
//     immediately, to a member heard from for the first time (so a join takes one round
//     trip, not an interval). Body:
//       {"n": name, "i": incarnation, "s": seq,
//        "m": [[id, incarnation], ...],   the sender's view (its gossip summary)
//        "l": [[id, incarnation], ...]}   members that left gracefully recently (optional)
//     `seq` increases with every heartbeat an incarnation sends, so duplicated or reordered
//     old frames never count as fresh evidence of life.
//   - "membership.leave"      {"i": incarnation}: the sender leaves now; remove it at once.
//   - "membership.readmitted" {"i": incarnation}: "I had removed you (you were silent for
//     remove_after) and just took you back": how a paused or partitioned member learns that
//     it was out of others' views, which upper layers must treat as lost ownership.
//
// Failure detection uses fixed timeouts (no phi accrual): a member not heard from directly
// for suspect_after is Suspect; for remove_after it is removed. Silence is checked once per
// heartbeat interval, so removal comes between remove_after and remove_after +
// heartbeat_interval after the member's last heartbeat arrived. Liveness is judged only from
// a member's own heartbeats, never from gossip about it, so a dead member cannot be kept
// alive (or resurrected) by stale gossip; gossip only tells a node whom to heartbeat, which
// is how a node that knows only the seeds learns the whole cluster. The cost is that every
// member heartbeats every other (n^2 small messages per interval): fine for tens of
// members; a large cluster would want SWIM-style indirect probing instead.
//
// Other rules:
//   - A heartbeat with a higher incarnation replaces the older incarnation of that id at
//     once (a restart); frames of an older incarnation are ignored.
//   - RpcNode peer loss (a crashed peer's connection reset) marks a member Suspect early;
//     only silence removes it.
//   - A removed member leaves a tombstone (incarnation, last seq). Removed-for-silence
//     members are still probed every probe_every_ticks heartbeats for probe_removed_for, so
//     the two sides of a healed partition find each other even when no seed is on one side.
//     Members that left gracefully are never re-admitted with the same incarnation.
//   - Stall detection: if this node's own heartbeat timer fires much later than asked (the
//     process was paused, as in a GC pause or SIGSTOP), the time it could not observe is
//     not held against others: their silence clocks are moved forward by the blind time.
//     Otherwise a paused node would, on resume, wrongly remove the whole cluster.
//   - Tables are bounded by max_members (ids beyond it are dropped and counted).
//
// Limits: views are not agreed on (no consensus, unlike a membership table in a store):
// under one-way or partial partitions two nodes may see different members, so their rings
// may name different owners for a while. Safety therefore rests on leases and fencing,
// never on membership. The incarnation must strictly increase across restarts of a node:
// a restart that reused one would be ignored as stale until its tombstone expires.
//
// View: sorted by id, only non-removed members (this node included, always Alive), each
// Alive or Suspect. `version` is local to this node and increases by one whenever the view's
// content changes (members, incarnations or statuses); several changes from one event are
// one step. Views on different nodes are compared by content, never by version.
//
// History: every view change records history::MembershipView {version, members
// ["node-0@1", ...], suspect [...]} (suspect empty when none; "name@incarnation").
// Also MembershipSelfRemoved {by}, MembershipStall {blind} and MembershipLeave.
//
// Lifetimes: the RpcNode must outlive the Membership. Observers are called synchronously on
// the executor and must not destroy the Membership.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/cluster/member.h"
#include "runtime/env/env.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/task_scope.h"
#include "runtime/env/time.h"
#include "runtime/rpc/rpc_node.h"

namespace orbit::cluster {

enum class MemberStatus {
  kAlive,    // heard from within suspect_after
  kSuspect,  // silent for suspect_after (or its connection was lost), not yet removed
};
std::string_view to_string(MemberStatus status);

struct MemberInfo {
  Member member;
  MemberStatus status = MemberStatus::kAlive;

  friend bool operator==(const MemberInfo&, const MemberInfo&) = default;
};

struct MembershipView {
  uint64_t version = 0;
  std::vector<MemberInfo> members;  // sorted by member.id; removed members never appear

  // The entry for `id`, or nullptr.
  const MemberInfo* find(NodeId id) const;
  bool contains(NodeId id) const { return find(id) != nullptr; }
};

struct MembershipConfig {
  // Nodes contacted to join, and always heartbeated (a restarted or partitioned-away node
  // finds its way back through them). This node's own id may be among them.
  std::vector<NodeId> seeds;
  Duration heartbeat_interval = 200ms;
  Duration suspect_after = 1s;  // silence before Suspect; must be >= heartbeat_interval
  Duration remove_after = 3s;   // silence before removal; must be > suspect_after
  // How long removed-for-silence members keep being probed, and how often (in heartbeat
  // intervals). Also how long tombstones are kept.
  Duration probe_removed_for = 30s;
  uint32_t probe_every_ticks = 5;
  // Bound on the member table, the gossip candidates and the tombstones (each).
  size_t max_members = 1024;

  // An error naming the first bad field.
  Result<void> validate() const;
};

struct MembershipStats {
  uint64_t heartbeats_sent = 0;
  uint64_t heartbeats_received = 0;
  uint64_t stale_messages = 0;       // older incarnation, old seq, or a left incarnation
  uint64_t malformed_messages = 0;   // undecodable bodies, dropped
  uint64_t rejected_table_full = 0;  // members or candidates beyond max_members
  uint64_t members_removed = 0;      // removed for silence
  uint64_t members_left = 0;         // removed because they left gracefully
  uint64_t self_removals_noticed = 0;
  uint64_t stalls_detected = 0;
};

class Membership {
 public:
  using ChangeObserver = std::function<void(const MembershipView&)>;
  using SelfRemovedObserver = std::function<void(NodeId by)>;

  // `self.id` must be rpc.self(); `config` must validate. Both are checked here and throw
  // std::invalid_argument (bad configuration at start-up). Registers the notification
  // handlers on `rpc`, but ignores everything until start().
  Membership(rpc::RpcNode& rpc, MembershipConfig config, Member self);
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Puts this member in its own view, heartbeats the seeds, and starts the heartbeat loop.
  // Idempotent.
  void start();

  // Graceful leave: tells every known member (they remove this one at once and pass the
  // news on by gossip), stops heartbeating and ignores membership traffic from now on. The
  // view becomes empty (this node is in no cluster). Final: to come back, a node restarts
  // with a higher incarnation. Idempotent.
  void leave();

  const MembershipView& view() const { return view_; }
  // The members of the view, Alive and Suspect alike, sorted by id. This is what the
  // placement ring should be built from: a suspicion (a lost connection, a late heartbeat)
  // must not move names; only removal does.
  std::vector<Member> live_members() const;

  // Called after every view change with the new view.
  void on_change(ChangeObserver observer);
  // Called when a peer reports that it had removed this member and re-admitted it.
  void on_self_removed(SelfRemovedObserver observer);

  const Member& self() const { return self_; }
  const MembershipConfig& config() const { return config_; }
  bool started() const { return started_; }
  bool has_left() const { return left_; }
  const MembershipStats& stats() const { return stats_; }

 private:
  struct Entry {
    Member member;
    MemberStatus status = MemberStatus::kAlive;
    MonoTime last_heard;    // local monotonic time of the last fresh heartbeat
    uint64_t last_seq = 0;  // highest heartbeat seq seen from this incarnation
  };
  struct Tombstone {
    uint64_t incarnation = 0;
    uint64_t last_seq = 0;
    bool left = false;  // left gracefully (final for that incarnation) vs removed for silence
    MonoTime since;
  };
  struct Candidate {
    uint64_t incarnation = 0;
    MonoTime last_mentioned;
  };
  // Lets the peer-lost observer (which RpcNode cannot unregister) outlive this object.
  struct Alive {
    Membership* self;
  };

  Task<void> heartbeat_loop(Duration first_delay);
  void tick();
  void handle_heartbeat(NodeId from, ByteView body);
  void handle_leave(NodeId from, ByteView body);
  void handle_readmitted(NodeId from, ByteView body);
  void handle_peer_lost(NodeId peer);
  void learn_of(NodeId id, uint64_t incarnation, MonoTime now);
  void learn_left(NodeId id, uint64_t incarnation, MonoTime now);
  void remove(NodeId id, bool left, MonoTime now);
  Bytes heartbeat_body();
  void send_heartbeat(NodeId to, const Bytes& body);
  MonoTime now() const;
  // Rebuilds the view from the table; on a change bumps the version, records it and calls
  // the observers.
  void publish();
  // Records the current view (publish's history event).
  void record_view();

  rpc::RpcNode& rpc_;
  env::Env& env_;
  const MembershipConfig config_;
  const Member self_;
  bool started_ = false;
  bool left_ = false;
  uint64_t seq_ = 0;         // last heartbeat seq sent
  uint64_t tick_count_ = 0;
  MonoTime last_tick_;

  std::map<NodeId, Entry> table_;           // the view's source, self included
  std::map<NodeId, Tombstone> tombstones_;  // removed members, not in table_
  std::map<NodeId, Candidate> candidates_;  // gossiped about, not in table_
  MembershipView view_;
  MembershipStats stats_;

  std::vector<ChangeObserver> change_observers_;
  std::vector<SelfRemovedObserver> self_removed_observers_;
  bool publishing_ = false;
  bool republish_ = false;

  std::shared_ptr<Alive> alive_;
  TaskScope scope_;  // the heartbeat loop; declared last so it is destroyed first
};

}  // namespace orbit::cluster
