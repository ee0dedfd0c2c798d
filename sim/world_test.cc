// The effect of each process, clock and disk fault, seen from node code.
#include "sim/world.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "runtime/env/sleep.h"
#include "sim/test_node.h"

namespace orbit::sim {
namespace {

using testing::make_world;
using testing::scripted;

constexpr int64_t kMs = 1'000'000;

TEST(WorldTest, UnsyncedWriteIsGoneAfterCrashAndSyncedSurvivesRestart) {
  auto world = make_world(1);
  std::vector<std::string> seen;  // what each boot read back
  world->set_boot(scripted([&seen](NodeContext& ctx, TaskScope& scope) {
    scope.spawn([](NodeContext& c, std::vector<std::string>& s) -> Task<void> {
      auto file = co_await c.disk().open("data", env::OpenMode::kCreateIfMissing);
      EXPECT_TRUE(file.ok());
      auto size = (*file)->size();
      auto old = co_await (*file)->read(0, *size);
      s.push_back(orbit::to_string(*old));
      if (c.boot_count() == 1) {
        EXPECT_TRUE((co_await (*file)->append(to_bytes("synced;"))).ok());
        EXPECT_TRUE((co_await (*file)->sync()).ok());
        EXPECT_TRUE((co_await (*file)->append(to_bytes("unsynced"))).ok());
        // Sleep with the file open and the unsynced write pending: the crash comes now.
        co_await sleep(c.executor(), 1h);
      }
    }(ctx, seen));
  }));
  world->start();
  world->run_for(1s);
  EXPECT_EQ(orbit::to_string(*(*world->disk(0))->volatile_contents("data")), "synced;unsynced");
  ASSERT_TRUE(world->crash(0).ok());
  EXPECT_EQ(orbit::to_string(*(*world->disk(0))->volatile_contents("data")), "synced;");
  ASSERT_TRUE(world->restart(0).ok());
  world->run_for(1s);
  EXPECT_EQ(seen, (std::vector<std::string>{"", "synced;"}));
}

struct Witness {
  int* destroyed;
  ~Witness() { ++*destroyed; }
};

TEST(WorldTest, CrashDestroysEveryCoroutineOfTheNode) {
  auto world = make_world(2);
  int destroyed = 0;
  int woke = 0;
  world->set_boot(scripted([&](NodeContext& ctx, TaskScope& scope) {
    for (int i = 0; i < 3; ++i) {
      scope.spawn([](NodeContext& c, int* d, int* w) -> Task<void> {
        Witness witness{d};
        co_await sleep(c.executor(), 10s);
        ++*w;
      }(ctx, &destroyed, &woke));
    }
  }));
  world->start();
  world->run_for(1s);
  ASSERT_TRUE(world->crash(0).ok());
  EXPECT_EQ(destroyed, 3);
  world->run_for(20s);
  EXPECT_EQ(woke, 3) << "node 1's coroutines wake; node 0's are gone";
  EXPECT_EQ(destroyed, 6);  // node 1's finished normally
}

TEST(WorldTest, PauseDelaysTimersByThePauseLength) {
  auto world = make_world(1);
  int64_t fired_at = -1;
  world->set_boot(scripted([&](NodeContext& ctx, TaskScope&) {
    ctx.executor().schedule_after(100ms, [&] { fired_at = world->now_ns(); });
  }));
  world->start();
  world->run_for(50ms);
  ASSERT_TRUE(world->pause(0).ok());
  world->run_for(200ms);  // the timer comes due at 100 ms, during the pause
  EXPECT_EQ(fired_at, -1);
  ASSERT_TRUE(world->resume(0).ok());
  world->run_for(1ms);
  EXPECT_EQ(fired_at, 250 * kMs) << "due at 100 ms, paused from 50 ms to 250 ms";
}

TEST(WorldTest, PausedNodeReceivesNothingUntilResumed) {
  auto world = make_world(2);
  int64_t received_at = -1;
  ASSERT_TRUE(world->set_boot(0, scripted([&](NodeContext& ctx, TaskScope&) {
    ctx.executor().schedule_after(10ms, [&ctx] { ctx.transport().send(1, to_bytes("hi")); });
  })).ok());
  ASSERT_TRUE(world->set_boot(1, scripted([&](NodeContext& ctx, TaskScope&) {
    ctx.transport().set_receive_handler([&](NodeId, Bytes) { received_at = world->now_ns(); });
  })).ok());
  world->start();
  world->run_for(5ms);
  ASSERT_TRUE(world->pause(1).ok());
  world->run_for(1s);
  EXPECT_EQ(received_at, -1);
  ASSERT_TRUE(world->resume(1).ok());
  world->run_for(1ms);
  EXPECT_EQ(received_at, 1005 * kMs);
}

TEST(WorldTest, TimerCancelledWhilePausedNeverFires) {
  auto world = make_world(1);
  bool fired = false;
  env::TimerId timer = 0;
  env::Executor* executor = nullptr;
  world->set_boot(scripted([&](NodeContext& ctx, TaskScope&) {
    executor = &ctx.executor();
    timer = ctx.executor().schedule_after(10ms, [&] { fired = true; });
  }));
  world->start();
  world->run_for(1ms);
  ASSERT_TRUE(world->pause(0).ok());
  world->run_for(100ms);
  EXPECT_TRUE(executor->cancel(timer));
  ASSERT_TRUE(world->resume(0).ok());
  world->run_for(100ms);
  EXPECT_FALSE(fired);
}

TEST(WorldTest, DriftMakesClocksDivergeAtTheConfiguredRate) {
  auto world = make_world(2);
  world->start();
  const MonoTime a0 = (*world->clock(0))->mono_now();
  const MonoTime b0 = (*world->clock(1))->mono_now();
  ASSERT_TRUE(world->set_clock_drift(1, 200).ok());  // 200 ppm fast
  world->run_for(100s);
  const Duration a = (*world->clock(0))->mono_now() - a0;
  const Duration b = (*world->clock(1))->mono_now() - b0;
  EXPECT_EQ(a, 100s);
  EXPECT_EQ(b - a, 20ms);  // 200e-6 * 100 s
}

TEST(WorldTest, TimersRunOnTheNodesOwnClock) {
  auto world = make_world(1);
  ASSERT_TRUE(world->set_clock_drift(0, -500000).ok());  // runs at half speed
  int64_t fired_at = -1;
  world->set_boot(scripted([&](NodeContext& ctx, TaskScope&) {
    ctx.executor().schedule_after(1s, [&] { fired_at = world->now_ns(); });
  }));
  world->start();
  world->run_for(5s);
  EXPECT_EQ(fired_at, 2000 * kMs);
}

TEST(WorldTest, ClockOffsetAndJumpMoveWallTimeOnly) {
  auto world = make_world(2);
  world->start();
  world->run_for(1s);
  const auto* c0 = *world->clock(0);
  const auto* c1 = *world->clock(1);
  EXPECT_EQ(c0->wall_now(), c1->wall_now()) << "accurate clocks agree on wall time";
  const MonoTime mono_before = c1->mono_now();
  ASSERT_TRUE(world->set_clock_offset(1, 5s).ok());
  EXPECT_EQ(c1->wall_now() - c0->wall_now(), 5s);
  ASSERT_TRUE(world->jump_clock(1, -20s).ok());
  EXPECT_EQ(c1->wall_now() - c0->wall_now(), -15s);
  EXPECT_EQ(c1->mono_now(), mono_before);
}

TEST(WorldTest, MonotonicClocksStartAtUnrelatedReadings) {
  auto world = make_world(5);
  std::set<int64_t> starts;
  for (NodeId i = 0; i < 5; ++i) starts.insert(to_nanos((*world->clock(i))->mono_now()));
  EXPECT_GT(starts.size(), 1u);
}

TEST(WorldTest, EnospcSurfacesAsAnErrorValue) {
  auto world = make_world(1);
  DiskConfig small;
  small.capacity_bytes = 10;
  ASSERT_TRUE(world->configure_disk(0, small).ok());
  std::optional<ErrorCode> code;
  world->set_boot(scripted([&](NodeContext& ctx, TaskScope& scope) {
    scope.spawn([](NodeContext& c, std::optional<ErrorCode>& out) -> Task<void> {
      auto file = co_await c.disk().open("f", env::OpenMode::kCreateIfMissing);
      auto r = co_await (*file)->append(Bytes(20, 'x'));
      out = r.ok() ? std::nullopt : std::optional<ErrorCode>(r.code());
    }(ctx, code));
  }));
  world->start();
  world->run_for(1s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, ErrorCode::kNoSpace);
}

TEST(WorldTest, PeerLossIsVisibleToNodesThatTalkedToTheCrashedOne) {
  auto world = make_world(3);
  std::vector<std::pair<NodeId, NodeId>> lost;  // (observer, lost peer)
  world->set_boot(scripted([&](NodeContext& ctx, TaskScope&) {
    NodeContext* c = &ctx;
    ctx.transport().set_peer_lost_handler([&lost, c](NodeId peer) { lost.emplace_back(c->id(), peer); });
    ctx.transport().set_receive_handler([](NodeId, Bytes) {});
    if (ctx.id() == 0) ctx.transport().send(1, to_bytes("hello"));
  }));
  world->start();
  world->run_for(100ms);
  ASSERT_TRUE(world->crash(1).ok());
  world->run_for(100ms);
  EXPECT_EQ(lost, (std::vector<std::pair<NodeId, NodeId>>{{0, 1}})) << "node 2 never talked to 1";
}

TEST(WorldTest, FaultsAreRecordedInTheHistory) {
  auto world = make_world(3);
  world->start();
  world->run_for(1ms);
  ASSERT_TRUE(world->crash(2).ok());
  ASSERT_TRUE(world->partition({0}, {1}).ok());
  ASSERT_TRUE(world->pause(0).ok());
  world->heal();
  ASSERT_TRUE(world->set_clock_drift(1, 50).ok());
  using history::EventKind;
  std::vector<EventKind> kinds;
  for (const auto& e : world->history().events()) {
    if (e.kind() != EventKind::kBoot && e.kind() != EventKind::kDiskCrash) kinds.push_back(e.kind());
  }
  EXPECT_EQ(kinds, (std::vector<EventKind>{EventKind::kCrash, EventKind::kPartition, EventKind::kPause,
                                           EventKind::kHeal, EventKind::kClockDrift}));
  const history::Event& partition = world->history()[world->history().indices_of<history::Partition>().at(0)];
  EXPECT_EQ(partition.node, kWorldNode);
  EXPECT_EQ(*partition.get<history::Partition>(), (history::Partition{{0}, {1}, false}));
  const history::Event& drift = world->history()[world->history().indices_of<history::ClockDrift>().at(0)];
  EXPECT_EQ(drift.node, 1);
  EXPECT_EQ(drift.get<history::ClockDrift>()->ppm, 50);
}

// The trace hash covers an event's content (its canonical bytes), not the Sym numbers its
// names happened to get: two runs that intern in different orders still agree.
TEST(WorldTest, TraceHashDependsOnEventContentNotOnSymIds) {
  auto a = make_world(1);
  auto b = make_world(1);
  b->intern("interned first in b only");
  for (World* w : {a.get(), b.get()}) w->record(kWorldNode, history::FaultSkipped{1, w->intern("crash"), w->intern("why")});
  EXPECT_NE(a->history()[0].get<history::FaultSkipped>()->kind, b->history()[0].get<history::FaultSkipped>()->kind);
  EXPECT_EQ(a->trace_hash(), b->trace_hash());
  b->record(kWorldNode, history::Heal{});
  EXPECT_NE(a->trace_hash(), b->trace_hash());
}

TEST(WorldTest, InvalidFaultArgumentsAreRejectedWithANamedError) {
  auto world = make_world(3);
  auto r = world->crash(7);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown node id 7"), std::string::npos) << r.error().message;
  world->start();
  EXPECT_FALSE(world->restart(0).ok()) << "restart of a node that is up";
  EXPECT_FALSE(world->resume(0).ok()) << "resume of a node that is not paused";
  EXPECT_FALSE(world->partition({0}, {9}).ok());
  EXPECT_FALSE(world->set_clock_drift(0, 9'000'000).ok());
}

TEST(WorldTest, BadConfigurationNamesTheField) {
  WorldConfig config;
  config.network.latency_min = -1ms;
  auto a = World::create(1, config);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("network.latency_min"), std::string::npos) << a.error().message;

  config = {};
  config.network.loss_probability = 1.5;
  auto b = World::create(1, config);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("network.loss_probability"), std::string::npos);

  config = {};
  config.network.duplicate_probability = std::nan("");
  EXPECT_FALSE(World::create(1, config).ok());

  config = {};
  config.nodes = 0;
  auto c = World::create(1, config);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("world.nodes"), std::string::npos);

  config = {};
  config.disk.eio_probability = -0.1;
  auto d = World::create(1, config);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("eio_probability"), std::string::npos);
}

}  // namespace
}  // namespace orbit::sim
