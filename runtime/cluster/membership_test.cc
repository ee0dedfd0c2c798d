// Membership under the simulator: five nodes, each with an RpcNode and a Membership, driven
// through joins, crashes, restarts, partitions, pauses and graceful leaves.
#include "runtime/cluster/membership.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cluster/placement_ring.h"
#include "sim/determinism.h"
#include "sim/world.h"

namespace orbit::cluster {
namespace {

using sim::NodeContext;
using sim::World;

class MemberProcess;
using Slots = std::vector<MemberProcess*>;
using ConfigFor = std::function<MembershipConfig(NodeId)>;

// One node: its RpcNode and Membership (the name is "node-<id>", the incarnation the boot
// count). The slot lets the test reach the live process, and is cleared by a crash.
class MemberProcess final : public sim::NodeProcess {
 public:
  MemberProcess(NodeContext& ctx, const MembershipConfig& config, MemberProcess** slot)
      : env_(ctx.env()),
        rpc(env_),
        membership(rpc, config, Member{ctx.id(), "node-" + std::to_string(ctx.id()), ctx.boot_count()}),
        slot_(slot) {
    *slot_ = this;
    membership.on_change([this](const MembershipView& view) {
      EXPECT_EQ(&view, &membership.view());
      versions.push_back(view.version);
    });
    membership.start();
  }
  ~MemberProcess() override { *slot_ = nullptr; }

  env::Env env_;
  rpc::RpcNode rpc;
  std::vector<uint64_t> versions;  // every version on_change reported, in order
  Membership membership;

 private:
  MemberProcess** slot_;
};

MembershipConfig seeds_zero(NodeId) {
  MembershipConfig config;
  config.seeds = {0};
  return config;
}

sim::BootFn member_boot(std::shared_ptr<Slots> slots, ConfigFor config_for) {
  return [slots, config_for](NodeContext& ctx) -> std::unique_ptr<sim::NodeProcess> {
    return std::make_unique<MemberProcess>(ctx, config_for(ctx.id()), &(*slots)[ctx.id()]);
  };
}

// id -> incarnation of every member a view must hold, all Alive.
using Expected = std::map<NodeId, uint64_t>;

Expected all_at(uint32_t n, uint64_t incarnation = 1) {
  Expected out;
  for (NodeId i = 0; i < n; ++i) out[i] = incarnation;
  return out;
}

bool view_is(const MembershipView& view, const Expected& expected) {
  if (view.members.size() != expected.size()) return false;
  for (const MemberInfo& info : view.members) {
    auto it = expected.find(info.member.id);
    if (it == expected.end() || it->second != info.member.incarnation) return false;
    if (info.status != MemberStatus::kAlive) return false;
    if (info.member.name != "node-" + std::to_string(info.member.id)) return false;
  }
  return true;
}

std::string describe(const MembershipView& view) {
  std::string out = "v" + std::to_string(view.version) + " [";
  for (const MemberInfo& info : view.members) {
    out += " " + to_string(info.member);
    if (info.status == MemberStatus::kSuspect) out += "(suspect)";
  }
  return out + " ]";
}

struct Cluster {
  std::shared_ptr<Slots> slots;
  std::unique_ptr<World> world;

  explicit Cluster(uint32_t n = 5, uint64_t seed = 1, ConfigFor config_for = seeds_zero,
                   sim::LinkConfig network = {}) {
    sim::WorldConfig config;
    config.nodes = n;
    config.network = network;
    slots = std::make_shared<Slots>(n, nullptr);
    world = std::move(*World::create(seed, config));
    world->set_boot(member_boot(slots, config_for));
    world->start();
    world->run_for(1ms);
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  MemberProcess* proc(NodeId id) const { return (*slots)[id]; }
  const MembershipView& view(NodeId id) const { return proc(id)->membership.view(); }

  bool converged(const std::vector<NodeId>& nodes, const Expected& expected) const {
    for (NodeId id : nodes) {
      if (proc(id) == nullptr || !view_is(view(id), expected)) return false;
    }
    return true;
  }
  bool converged(const Expected& expected) const {
    std::vector<NodeId> nodes;
    for (const auto& [id, inc] : expected) nodes.push_back(id);
    return converged(nodes, expected);
  }

  // Runs until `done` holds (checked every 10ms) or `limit` passes; true when it held.
  bool run_until(const std::function<bool()>& done, Duration limit) {
    const int64_t end = world->now_ns() + limit.count();
    while (!done()) {
      if (world->now_ns() >= end) return false;
      world->run_for(10ms);
    }
    return true;
  }

  // Runs `fn` as a world event now (node code is called from inside the simulation).
  void now(std::function<void()> fn) {
    world->at(world->now_ns(), std::move(fn));
    world->run_for(Duration::zero());
  }

  std::string dump() const {
    std::string out;
    for (NodeId id = 0; id < slots->size(); ++id) {
      out += "\n  node " + std::to_string(id) + ": " + (proc(id) ? describe(view(id)) : std::string("down"));
    }
    return out;
  }
};

// A history's membership_view events of one node.
std::vector<const history::MembershipView*> view_events(const World& world, NodeId node) {
  std::vector<const history::MembershipView*> out;
  for (size_t i : world.history().indices_of<history::MembershipView>()) {
    const history::Event& e = world.history()[i];
    if (e.node == node) out.push_back(e.get<history::MembershipView>());
  }
  return out;
}

// The names of a Sym list, as strings.
std::vector<std::string> names(const World& world, const history::SymList& syms) {
  std::vector<std::string> out;
  for (history::Sym s : syms) out.emplace_back(world.history().str(s));
  return out;
}

TEST(MembershipTest, AllMembersConvergeFromOneSeed) {
  Cluster c;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  c.world->run_for(10s);
  ASSERT_TRUE(c.converged(all_at(5))) << "stable once converged" << c.dump();
  for (NodeId id = 0; id < 5; ++id) {
    const MemberProcess* p = c.proc(id);
    EXPECT_EQ(p->membership.view().members, c.view(0).members);
    EXPECT_EQ(p->membership.live_members(), c.proc(0)->membership.live_members());
    // Each change is one version step, reported to on_change and recorded.
    ASSERT_FALSE(p->versions.empty());
    for (size_t i = 0; i < p->versions.size(); ++i) EXPECT_EQ(p->versions[i], i + 1);
    EXPECT_EQ(p->membership.view().version, p->versions.back());
    const auto events = view_events(*c.world, id);
    ASSERT_EQ(events.size(), p->versions.size());
    EXPECT_EQ(events.back()->version, p->versions.back());
    EXPECT_EQ(names(*c.world, events.back()->members),
              (std::vector<std::string>{"node-0@1", "node-1@1", "node-2@1", "node-3@1", "node-4@1"}));
    EXPECT_TRUE(events.back()->suspect.empty());
    EXPECT_EQ(p->membership.stats().members_removed, 0u);
  }
  // The ring built from any member's view places alike.
  PlacementRing a(c.proc(1)->membership.live_members());
  PlacementRing b(c.proc(4)->membership.live_members());
  EXPECT_EQ(a.size(), 5u);
  EXPECT_EQ(a.owner("counter", "7"), b.owner("counter", "7"));
}

TEST(MembershipTest, GossipReachesMembersNoSeedNamed) {
  // Node i knows only node i-1: everything beyond that is learned by gossip.
  Cluster c(5, 2, [](NodeId id) {
    MembershipConfig config;
    if (id > 0) config.seeds = {id - 1};
    return config;
  });
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 3s)) << c.dump();
}

TEST(MembershipTest, CrashedMemberIsSuspectedThenRemovedAndRejoinsWithAHigherIncarnation) {
  Cluster c;
  const MembershipConfig config;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  const std::vector<NodeId> others = {0, 1, 2, 3};
  const int64_t crashed_at = c.world->now_ns();
  ASSERT_TRUE(c.world->crash(4).ok());

  // Peer loss makes it Suspect about one network delay later, long before suspect_after.
  auto all_suspect = [&] {
    for (NodeId id : others) {
      const MemberInfo* info = c.view(id).find(4);
      if (info == nullptr || info->status != MemberStatus::kSuspect) return false;
    }
    return true;
  };
  ASSERT_TRUE(c.run_until(all_suspect, 100ms)) << c.dump();

  // Not removed before remove_after (less the heartbeat interval it may have been silent).
  c.world->run_until(crashed_at + (config.remove_after - config.heartbeat_interval - 100ms).count());
  EXPECT_TRUE(all_suspect()) << c.dump();

  Expected without_4 = all_at(4);
  ASSERT_TRUE(c.run_until([&] { return c.converged(others, without_4); },
                          config.remove_after + 2 * config.heartbeat_interval))
      << c.dump();
  EXPECT_LE(c.world->now_ns() - crashed_at, (config.remove_after + 2 * config.heartbeat_interval).count());

  ASSERT_TRUE(c.world->restart(4).ok());
  Expected rejoined = all_at(5);
  rejoined[4] = 2;
  ASSERT_TRUE(c.run_until([&] { return c.converged(rejoined); }, 1s)) << c.dump();
  for (NodeId id : others) EXPECT_EQ(c.proc(id)->membership.stats().members_removed, 1u);
}

TEST(MembershipTest, RestartBeforeRemovalReplacesTheOldIncarnationAtOnce) {
  Cluster c;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  ASSERT_TRUE(c.world->crash(2).ok());
  c.world->run_for(100ms);
  ASSERT_TRUE(c.world->restart(2).ok());
  Expected restarted = all_at(5);
  restarted[2] = 2;
  ASSERT_TRUE(c.run_until([&] { return c.converged(restarted); }, 1s)) << c.dump();
  for (NodeId id : {0u, 1u, 3u, 4u}) EXPECT_EQ(c.proc(id)->membership.stats().members_removed, 0u);
}

TEST(MembershipTest, PartitionedSidesRemoveEachOtherAndHealReconverges) {
  Cluster c;
  const MembershipConfig config;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  ASSERT_TRUE(c.world->partition({0, 1}, {2, 3, 4}).ok());
  const Expected side_a = {{0, 1}, {1, 1}};
  const Expected side_b = {{2, 1}, {3, 1}, {4, 1}};
  ASSERT_TRUE(c.run_until([&] { return c.converged(side_a) && c.converged(side_b); },
                          config.remove_after + 2 * config.heartbeat_interval))
      << c.dump();
  c.world->run_for(5s);
  ASSERT_TRUE(c.converged(side_a) && c.converged(side_b)) << "stable while partitioned" << c.dump();

  c.world->heal();
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  // Each side learns that the other had removed it.
  for (NodeId id = 0; id < 5; ++id) EXPECT_GE(c.proc(id)->membership.stats().self_removals_noticed, 1u) << id;
}

TEST(MembershipTest, HealedSidesFindEachOtherWithoutASeed) {
  // The only seed is down: the sides meet again through probes of removed members.
  Cluster c;
  const MembershipConfig config;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  ASSERT_TRUE(c.world->crash(0).ok());
  ASSERT_TRUE(c.world->partition({1, 2}, {3, 4}).ok());
  const Expected side_a = {{1, 1}, {2, 1}};
  const Expected side_b = {{3, 1}, {4, 1}};
  ASSERT_TRUE(c.run_until([&] { return c.converged(side_a) && c.converged(side_b); },
                          config.remove_after + 2 * config.heartbeat_interval))
      << c.dump();
  c.world->heal();
  const Expected four = {{1, 1}, {2, 1}, {3, 1}, {4, 1}};
  ASSERT_TRUE(c.run_until([&] { return c.converged(four); },
                          config.probe_every_ticks * config.heartbeat_interval + 1s))
      << c.dump();
}

TEST(MembershipTest, PausedMemberIsRemovedAndRejoinsOnResume) {
  Cluster c;
  const MembershipConfig config;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  const size_t events_before = view_events(*c.world, 4).size();
  ASSERT_TRUE(c.world->pause(4).ok());
  const std::vector<NodeId> others = {0, 1, 2, 3};
  ASSERT_TRUE(c.run_until([&] { return c.converged(others, all_at(4)); },
                          config.remove_after + 2 * config.heartbeat_interval))
      << c.dump();
  c.world->run_for(2s);
  ASSERT_TRUE(c.world->resume(4).ok());
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 1s)) << c.dump();

  const MembershipStats& stats = c.proc(4)->membership.stats();
  EXPECT_GE(stats.stalls_detected, 1u) << "it noticed its own pause";
  EXPECT_GE(stats.self_removals_noticed, 1u) << "it learned that the others had removed it";
  EXPECT_EQ(stats.members_removed, 0u) << "its blind time did not count against the others";
  // Its own view never lost anyone.
  const auto events = view_events(*c.world, 4);
  for (size_t i = events_before; i < events.size(); ++i) EXPECT_EQ(events[i]->members.size(), 5u);
  bool recorded = false;
  for (size_t i : c.world->history().indices_of<history::MembershipSelfRemoved>()) {
    recorded = recorded || c.world->history()[i].node == 4;
  }
  EXPECT_TRUE(recorded);
}

TEST(MembershipTest, GracefulLeaveIsImmediate) {
  Cluster c;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  c.now([&] { c.proc(3)->membership.leave(); });
  c.world->run_for(20ms);
  const Expected rest = {{0, 1}, {1, 1}, {2, 1}, {4, 1}};
  EXPECT_TRUE(c.converged(rest)) << c.dump();
  EXPECT_TRUE(c.proc(3)->membership.has_left());
  EXPECT_TRUE(c.view(3).members.empty());
  c.world->run_for(10s);
  EXPECT_TRUE(c.converged(rest)) << "a member that left stays out" << c.dump();
  for (NodeId id : {0u, 1u, 2u, 4u}) {
    EXPECT_EQ(c.proc(id)->membership.stats().members_left, 1u);
    EXPECT_EQ(c.proc(id)->membership.stats().members_removed, 0u);
  }
}

TEST(MembershipTest, LeaveSpreadsByGossipWhenTheNoticeIsLost) {
  Cluster c;
  const MembershipConfig config;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  ASSERT_TRUE(c.world->block_link(3, 1).ok());
  c.now([&] { c.proc(3)->membership.leave(); });
  const Expected rest = {{0, 1}, {1, 1}, {2, 1}, {4, 1}};
  ASSERT_TRUE(c.run_until([&] { return c.converged(rest); }, 2 * config.heartbeat_interval)) << c.dump();
  EXPECT_EQ(c.proc(1)->membership.stats().members_removed, 0u) << "learned from gossip, not from silence";
}

TEST(MembershipTest, LeftMemberComesBackOnlyWithAHigherIncarnation) {
  Cluster c;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  c.now([&] { c.proc(3)->membership.leave(); });
  c.world->run_for(1s);
  ASSERT_TRUE(c.world->crash(3).ok());
  ASSERT_TRUE(c.world->restart(3).ok());
  Expected back = all_at(5);
  back[3] = 2;
  ASSERT_TRUE(c.run_until([&] { return c.converged(back); }, 1s)) << c.dump();
}

TEST(MembershipTest, StableUnderMessageLoss) {
  sim::LinkConfig lossy;
  lossy.loss_probability = 0.1;
  Cluster c(5, 3, seeds_zero, lossy);
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 3s)) << c.dump();
  c.world->run_for(20s);
  for (NodeId id = 0; id < 5; ++id) {
    EXPECT_EQ(c.view(id).members.size(), 5u) << c.dump();
    EXPECT_EQ(c.proc(id)->membership.stats().members_removed, 0u);
  }
}

TEST(MembershipTest, StaleAndMalformedMessagesAreIgnored) {
  Cluster c;
  ASSERT_TRUE(c.run_until([&] { return c.converged(all_at(5)); }, 2s)) << c.dump();
  const uint64_t version = c.view(0).version;
  const MembershipStats before = c.proc(0)->membership.stats();
  c.now([&] {
    rpc::RpcNode& from = c.proc(1)->rpc;
    // An older incarnation of node 1 (as if a frame from before a restart arrived late).
    using rpc::Method;
    using Pairs = std::vector<std::pair<NodeId, uint64_t>>;
    auto message = [](auto... fields) { return rpc::encode_message(std::make_tuple(fields...)); };
    const std::string name = "node-1";
    from.notify(0, Method::kHeartbeat, message(name, uint64_t{0}, uint64_t{999}, Pairs{}, Pairs{}));
    // A replayed frame of the current incarnation.
    from.notify(0, Method::kHeartbeat, message(name, uint64_t{1}, uint64_t{1}, Pairs{}, Pairs{}));
    from.notify(0, Method::kHeartbeat, message(5, 1, 2));
    from.notify(0, Method::kHeartbeat, message(name, uint64_t{1}, uint64_t{10'000}, std::vector<int>{1}, Pairs{}));
    from.notify(0, Method::kHeartbeat, rpc::encode_message(std::string("garbage")));
    from.notify(0, Method::kLeave, message(std::string("one")));
    // A leave of an incarnation that is not the current one.
    from.notify(0, Method::kLeave, message(uint64_t{0}));
    // A readmission notice for another incarnation of node 0.
    from.notify(0, Method::kReadmitted, message(uint64_t{7}));
  });
  c.world->run_for(50ms);
  const MembershipStats& after = c.proc(0)->membership.stats();
  EXPECT_EQ(after.stale_messages - before.stale_messages, 3u);
  EXPECT_EQ(after.malformed_messages - before.malformed_messages, 4u);
  EXPECT_EQ(after.self_removals_noticed, 0u);
  EXPECT_EQ(c.view(0).version, version);
  EXPECT_TRUE(c.converged(all_at(5))) << c.dump();
}

TEST(MembershipTest, ConfigValidationNamesTheBadField) {
  MembershipConfig config;
  EXPECT_TRUE(config.validate().ok());
  config.remove_after = config.suspect_after;
  ASSERT_FALSE(config.validate().ok());
  EXPECT_NE(config.validate().error().message.find("remove_after"), std::string::npos);
  config = MembershipConfig{};
  config.heartbeat_interval = Duration::zero();
  EXPECT_NE(config.validate().error().message.find("heartbeat_interval"), std::string::npos);
  config = MembershipConfig{};
  config.suspect_after = 100ms;
  EXPECT_NE(config.validate().error().message.find("suspect_after"), std::string::npos);
  config = MembershipConfig{};
  config.max_members = 0;
  EXPECT_NE(config.validate().error().message.find("max_members"), std::string::npos);
}

// A run with every fault this component reacts to, under message loss.
void churn(World& world, std::shared_ptr<Slots> slots) {
  world.set_boot(member_boot(slots, seeds_zero));
  world.start();
  world.run_for(3s);
  (void)world.crash(4);
  world.run_for(4s);
  (void)world.restart(4);
  world.run_for(2s);
  (void)world.partition({0, 1}, {2, 3, 4});
  world.run_for(4s);
  world.heal();
  world.run_for(2s);
  (void)world.pause(2);
  world.run_for(4s);
  (void)world.resume(2);
  world.run_for(1s);
  world.at(world.now_ns(), [slots] { (*slots)[1]->membership.leave(); });
  world.run_for(2s);
}

TEST(MembershipTest, ViewsAreDeterministicForASeed) {
  sim::WorldConfig config;
  config.nodes = 5;
  config.network.loss_probability = 0.05;
  config.network.reorder_probability = 0.05;
  config.network.duplicate_probability = 0.05;
  for (uint64_t seed : {1u, 7u, 42u}) {
    size_t view_changes = 0;
    const sim::DeterminismReport report = sim::check_determinism(seed, config, [&](World& world) {
      churn(world, std::make_shared<Slots>(config.nodes, nullptr));
      view_changes = world.history().indices_of<history::MembershipView>().size();
    });
    EXPECT_TRUE(report.deterministic) << "seed " << seed << ": " << report.divergence;
    EXPECT_GT(view_changes, 20u) << "seed " << seed;
  }
}

}  // namespace
}  // namespace orbit::cluster
