// The injector on small worlds: each fault takes effect at its time (seen by nodes that ping
// each other, and in the World's state), impossible transitions are recorded as
// fault_skipped, and heal_all ends everything.
#include "faults/injector.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "faults/generators.h"
#include "sim/world.h"

namespace orbit::faults {
namespace {

constexpr int64_t kMs = 1'000'000;

struct Receipt {
  int64_t true_ns;
  NodeId from;
  NodeId to;
};

// A node that sends a frame to every other node every 10ms (of its clock) and logs what
// it receives, in true time.
class Pinger final : public sim::NodeProcess {
 public:
  Pinger(sim::NodeContext& ctx, sim::World& world, std::vector<Receipt>& log, uint32_t nodes)
      : ctx_(ctx), nodes_(nodes) {
    const NodeId self = ctx.id();
    ctx.transport().set_receive_handler(
        [&world, &log, self](NodeId from, Bytes) { log.push_back({world.now_ns(), from, self}); });
    tick();
  }
  ~Pinger() override { ctx_.executor().cancel(timer_); }

 private:
  void tick() {
    timer_ = ctx_.executor().schedule_after(10ms, [this] {
      for (NodeId to = 0; to < nodes_; ++to) {
        if (to != ctx_.id()) ctx_.transport().send(to, to_bytes("ping"));
      }
      tick();
    });
  }

  sim::NodeContext& ctx_;
  uint32_t nodes_;
  env::TimerId timer_ = 0;
};

struct Fixture {
  std::unique_ptr<sim::World> world;
  std::vector<Receipt> log;
};

std::unique_ptr<Fixture> make_fixture(uint32_t nodes, bool ping = false) {
  auto f = std::make_unique<Fixture>();
  sim::WorldConfig config;
  config.nodes = nodes;
  auto world = sim::World::create(7, config);
  if (!world.ok()) std::abort();
  f->world = std::move(*world);
  if (ping) {
    sim::World* w = f->world.get();
    std::vector<Receipt>* log = &f->log;
    f->world->set_boot([w, log, nodes](sim::NodeContext& ctx) -> std::unique_ptr<sim::NodeProcess> {
      return std::make_unique<Pinger>(ctx, *w, *log, nodes);
    });
  }
  f->world->start();
  return f;
}

// Receipts on link from -> to within [lo_ns, hi_ns).
int count(const std::vector<Receipt>& log, NodeId from, NodeId to, int64_t lo_ns, int64_t hi_ns) {
  int n = 0;
  for (const Receipt& r : log) n += r.from == from && r.to == to && r.true_ns >= lo_ns && r.true_ns < hi_ns ? 1 : 0;
  return n;
}

// The events of kind T, in order.
template <class T>
std::vector<const history::Event*> all(const sim::World& world) {
  std::vector<const history::Event*> out;
  for (size_t i : world.history().indices_of<T>()) out.push_back(&world.history()[i]);
  return out;
}

template <class T>
const history::Event* first(const sim::World& world) {
  auto events = all<T>(world);
  return events.empty() ? nullptr : events.front();
}

// A fault_skipped event's payload, and its names as strings.
struct Skip {
  uint64_t event;
  std::string kind;
  std::string reason;
};
Skip skip_of(const sim::World& world, const history::Event* e) {
  const auto& skip = *e->get<history::FaultSkipped>();
  return Skip{skip.event, std::string(world.history().str(skip.kind)), std::string(world.history().str(skip.reason))};
}

FaultPlan plan_of(std::vector<FaultEvent> events) {
  FaultPlan p;
  p.events = std::move(events);
  return p;
}

TEST(InjectorTest, PartitionBlocksLinksAtItsTimeAndHealRestoresThem) {
  auto f = make_fixture(3, /*ping=*/true);
  sim::World& w = *f->world;
  ASSERT_TRUE(schedule_plan(w, plan_of({event::partition(100ms, {0}, {1, 2}), event::heal(300ms)}), {}).ok());
  w.run_until(500 * kMs);

  ASSERT_NE(first<history::Partition>(w), nullptr);
  EXPECT_EQ(first<history::Partition>(w)->time_ns, 100 * kMs);
  ASSERT_NE(first<history::Heal>(w), nullptr);
  EXPECT_EQ(first<history::Heal>(w)->time_ns, 300 * kMs);

  EXPECT_GT(count(f->log, 0, 1, 0, 100 * kMs), 0);
  EXPECT_EQ(count(f->log, 0, 1, 100 * kMs, 300 * kMs), 0);
  EXPECT_EQ(count(f->log, 2, 0, 100 * kMs, 300 * kMs), 0);
  EXPECT_GT(count(f->log, 1, 2, 100 * kMs, 300 * kMs), 0);  // the majority side still talks
  EXPECT_GT(count(f->log, 0, 1, 310 * kMs, 500 * kMs), 0);
  EXPECT_GT(count(f->log, 2, 0, 310 * kMs, 500 * kMs), 0);
}

TEST(InjectorTest, OneWayPartitionBlocksOnlyOneDirection) {
  auto f = make_fixture(2, /*ping=*/true);
  sim::World& w = *f->world;
  ASSERT_TRUE(schedule_plan(w, plan_of({event::partition(100ms, {0}, {1}, /*one_way=*/true)}), {}).ok());
  w.run_until(300 * kMs);
  EXPECT_EQ(count(f->log, 0, 1, 100 * kMs, 300 * kMs), 0);
  EXPECT_GT(count(f->log, 1, 0, 100 * kMs, 300 * kMs), 0);
}

TEST(InjectorTest, ClogHoldsFramesUntilUnclog) {
  auto f = make_fixture(2, /*ping=*/true);
  sim::World& w = *f->world;
  ASSERT_TRUE(schedule_plan(w, plan_of({event::clog(100ms, 0, 1), event::unclog(200ms, 0, 1)}), {}).ok());
  w.run_until(300 * kMs);
  EXPECT_EQ(count(f->log, 0, 1, 106 * kMs, 200 * kMs), 0);
  EXPECT_GE(count(f->log, 0, 1, 200 * kMs, 206 * kMs), 9);  // the held frames, released at once
  EXPECT_GT(count(f->log, 1, 0, 106 * kMs, 200 * kMs), 0);
}

TEST(InjectorTest, PauseResumesAfterItsDuration) {
  auto f = make_fixture(3);
  sim::World& w = *f->world;
  ASSERT_TRUE(schedule_plan(w, plan_of({event::pause(100ms, 1, 2s)}), {}).ok());
  w.run_until(99 * kMs);
  EXPECT_EQ(*w.state(1), sim::NodeState::kUp);
  w.run_until(1000 * kMs);
  EXPECT_EQ(*w.state(1), sim::NodeState::kPaused);
  w.run_until(2099 * kMs);
  EXPECT_EQ(*w.state(1), sim::NodeState::kPaused);
  w.run_until(2100 * kMs);
  EXPECT_EQ(*w.state(1), sim::NodeState::kUp);
  ASSERT_NE(first<history::Resume>(w), nullptr);
  EXPECT_EQ(first<history::Resume>(w)->time_ns, 2100 * kMs);
  EXPECT_EQ(first<history::Resume>(w)->node, 1);
}

TEST(InjectorTest, CrashThenRestart) {
  auto f = make_fixture(3);
  sim::World& w = *f->world;
  ASSERT_TRUE(schedule_plan(w, plan_of({event::crash(100ms, 2), event::restart(500ms, 2)}), {}).ok());
  w.run_until(200 * kMs);
  EXPECT_EQ(*w.state(2), sim::NodeState::kDown);
  w.run_until(600 * kMs);
  EXPECT_EQ(*w.state(2), sim::NodeState::kUp);
  int boots = 0;
  for (const history::Event* e : all<history::Boot>(w)) boots += e->node == 2 ? 1 : 0;
  EXPECT_EQ(boots, 2);
  EXPECT_EQ(all<history::FaultSkipped>(w).size(), 0u);
}

TEST(InjectorTest, ImpossibleTransitionsAreRecordedAsSkipped) {
  auto f = make_fixture(3);
  sim::World& w = *f->world;
  ASSERT_TRUE(schedule_plan(w, plan_of({event::restart(100ms, 1),  // 0: up, not down
                                        event::crash(200ms, 2), event::crash(300ms, 2),  // 2: already down
                                        event::pause(400ms, 2, 1s)}),                   // 3: down, not up
                            {})
                  .ok());
  w.run_until(1000 * kMs);
  const auto skips = all<history::FaultSkipped>(w);
  ASSERT_EQ(skips.size(), 3u);
  EXPECT_EQ(skips[0]->time_ns, 100 * kMs);
  EXPECT_EQ(skips[0]->node, 1);
  EXPECT_EQ(skip_of(w, skips[0]).event, 0u);
  EXPECT_EQ(skip_of(w, skips[0]).kind, "restart");
  EXPECT_EQ(skip_of(w, skips[0]).reason, "restart: node 1 is up, not down");
  EXPECT_EQ(skip_of(w, skips[1]).event, 2u);
  EXPECT_EQ(skip_of(w, skips[1]).kind, "crash");
  EXPECT_EQ(skip_of(w, skips[1]).reason, "crash: node 2 is already down");
  EXPECT_EQ(skip_of(w, skips[2]).event, 3u);
  EXPECT_EQ(skip_of(w, skips[2]).kind, "pause");
  EXPECT_EQ(*w.state(1), sim::NodeState::kUp);
}

TEST(InjectorTest, AnOldPauseNeverEndsANewerOne) {
  auto f = make_fixture(3);
  sim::World& w = *f->world;
  ASSERT_TRUE(schedule_plan(w,
                            plan_of({event::pause(100ms, 1, 1s), event::crash(200ms, 1), event::restart(300ms, 1),
                                     event::pause(400ms, 1, 5s)}),
                            {})
                  .ok());
  w.run_until(2000 * kMs);
  EXPECT_EQ(*w.state(1), sim::NodeState::kPaused);  // the first pause's resume (1.1s) did not end it
  const auto skips = all<history::FaultSkipped>(w);
  ASSERT_EQ(skips.size(), 1u);
  EXPECT_EQ(skips[0]->time_ns, 1100 * kMs);
  EXPECT_EQ(skip_of(w, skips[0]).kind, "resume");
  EXPECT_EQ(skip_of(w, skips[0]).event, 0u);
  w.run_until(5400 * kMs);
  EXPECT_EQ(*w.state(1), sim::NodeState::kUp);
}

TEST(InjectorTest, NetworkWindowsOverrideTheBaseAndResetRestoresIt) {
  auto f = make_fixture(3);
  sim::World& w = *f->world;
  InjectorOptions options;  // base = LinkConfig{} = the world's default network
  ASSERT_TRUE(schedule_plan(w,
                            plan_of({event::network(100ms, NetworkWindow{.loss = 0.3}),
                                     event::network(200ms, NetworkWindow{.latency_min = 20ms, .latency_max = 30ms}),
                                     event::network_reset(300ms)}),
                            options)
                  .ok());
  w.run_until(150 * kMs);
  EXPECT_EQ(w.link_config(0, 2)->loss_probability, 0.3);
  EXPECT_EQ(w.link_config(0, 2)->latency_max, options.base_network.latency_max);
  w.run_until(250 * kMs);
  EXPECT_EQ(w.link_config(2, 1)->loss_probability, 0.0);  // a window replaces the one before
  EXPECT_EQ(w.link_config(2, 1)->latency_min, 20ms);
  w.run_until(350 * kMs);
  EXPECT_EQ(w.link_config(1, 0)->latency_min, options.base_network.latency_min);
  EXPECT_EQ(w.link_config(1, 0)->latency_max, options.base_network.latency_max);
}

TEST(InjectorTest, DiskModesCombineUntilReset) {
  auto f = make_fixture(3);
  sim::World& w = *f->world;
  InjectorOptions options;
  options.base_disk.tear_last_write_on_crash = true;
  ASSERT_TRUE(schedule_plan(w,
                            plan_of({event::disk_latency(100ms, 2, 1ms, 3ms), event::disk_eio(200ms, 2, 0.25),
                                     event::disk_mode(250ms, 2, DiskMode::kLoseUnsynced),
                                     event::disk_full(260ms, 2, 4096), event::disk_read_corruption(270ms, 2, 0.5),
                                     event::disk_mode(300ms, 2, DiskMode::kReset)}),
                            options)
                  .ok());
  w.run_until(280 * kMs);
  const sim::DiskConfig during = (*w.disk(2))->config();
  EXPECT_EQ(during.latency_min, 1ms);
  EXPECT_EQ(during.latency_max, 3ms);
  EXPECT_EQ(during.eio_probability, 0.25);
  EXPECT_FALSE(during.tear_last_write_on_crash);
  EXPECT_EQ(during.capacity_bytes, 4096u);
  EXPECT_EQ(during.read_corruption_probability, 0.5);
  EXPECT_EQ((*w.disk(1))->config().eio_probability, 0.0);  // other disks untouched
  w.run_until(400 * kMs);
  const sim::DiskConfig after = (*w.disk(2))->config();
  EXPECT_EQ(after.latency_max, Duration::zero());
  EXPECT_EQ(after.eio_probability, 0.0);
  EXPECT_TRUE(after.tear_last_write_on_crash);
  EXPECT_EQ(after.capacity_bytes, options.base_disk.capacity_bytes);
}

TEST(InjectorTest, BitFlipOnAnEmptyDiskIsSkipped) {
  auto f = make_fixture(2);
  sim::World& w = *f->world;
  ASSERT_TRUE(schedule_plan(w, plan_of({event::disk_mode(10ms, 1, DiskMode::kBitFlip)}), {}).ok());
  w.run_until(20 * kMs);
  const auto skips = all<history::FaultSkipped>(w);
  ASSERT_EQ(skips.size(), 1u);
  EXPECT_EQ(skips[0]->node, 1);
  EXPECT_EQ(skip_of(w, skips[0]).kind, "disk");
  EXPECT_EQ(skip_of(w, skips[0]).reason, "flip_random_bit_at_rest: no non-empty file");
}

TEST(InjectorTest, ClockFaults) {
  auto f = make_fixture(2);
  sim::World& w = *f->world;
  ASSERT_TRUE(schedule_plan(w,
                            plan_of({event::clock_drift(10ms, 1, 5000), event::clock_offset(20ms, 0, 1h),
                                     event::clock_jump(30ms, 1, -10s)}),
                            {})
                  .ok());
  w.run_until(40 * kMs);
  EXPECT_EQ((*w.clock(1))->drift_ppm(), 5000);
  const Duration wall0 = (*w.clock(0))->wall_now().time_since_epoch();
  const Duration wall1 = (*w.clock(1))->wall_now().time_since_epoch();
  // Node 0 is an hour ahead; node 1 ten seconds behind (plus its drift since 10ms).
  EXPECT_NEAR(static_cast<double>((wall0 - wall1).count()), static_cast<double>(Duration(1h + 10s).count()), 1e6);
  EXPECT_EQ(all<history::ClockJump>(w).size(), 1u);
}

TEST(InjectorTest, RejectsInvalidPlansAndSchedulesNothing) {
  auto f = make_fixture(3);
  sim::World& w = *f->world;
  auto r = schedule_plan(w, plan_of({event::crash(10ms, 0), event::crash(20ms, 9)}), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("events[1].node: node 9 does not exist (nodes 0..2)"), std::string::npos)
      << r.error().message;
  // A window whose latency_max falls below the base latency_min is invalid over the base.
  r = schedule_plan(w, plan_of({event::network(10ms, NetworkWindow{.latency_max = Duration(1)})}), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("events[0] over the base network"), std::string::npos) << r.error().message;
  w.run_until(100 * kMs);
  EXPECT_EQ(*w.state(0), sim::NodeState::kUp);

  InjectorOptions bad;
  bad.base_network.loss_probability = 2;
  r = schedule_plan(w, plan_of({}), bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("injector.base_network"), std::string::npos) << r.error().message;
}

TEST(InjectorTest, RejectsEventsInThePastOrAfterTheSafetyPhase) {
  auto f = make_fixture(2);
  sim::World& w = *f->world;
  w.run_until(50 * kMs);
  auto r = schedule_plan(w, plan_of({event::heal(10ms)}), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("before the world's current time"), std::string::npos);
  InjectorOptions options;
  options.safety_phase_end = 1s;
  r = schedule_plan(w, plan_of({event::heal(1s)}), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("events[0].at_ms: 1000000000ns is not before the end of the safety phase"),
            std::string::npos)
      << r.error().message;
}

TEST(InjectorTest, APauseReachingTheLivenessPhaseIsLeftToHealAll) {
  auto f = make_fixture(2);
  sim::World& w = *f->world;
  InjectorOptions options;
  options.safety_phase_end = 1s;
  ASSERT_TRUE(schedule_plan(w, plan_of({event::pause(500ms, 1, 10s)}), options).ok());
  w.run_until(1000 * kMs);
  EXPECT_EQ(*w.state(1), sim::NodeState::kPaused);
  ASSERT_TRUE(heal_all(w, options).ok());
  EXPECT_EQ(*w.state(1), sim::NodeState::kUp);
  w.run_until(20'000 * kMs);
  EXPECT_EQ(all<history::FaultSkipped>(w).size(), 0u);  // no stray resume at 10.5s
  EXPECT_EQ(all<history::Resume>(w).size(), 1u);
}

TEST(InjectorTest, HealAllRestoresEverything) {
  auto f = make_fixture(4, /*ping=*/true);
  sim::World& w = *f->world;
  InjectorOptions options;
  ASSERT_TRUE(schedule_plan(w,
                            plan_of({event::partition(10ms, {0, 1}, {2, 3}), event::clog(10ms, 3, 0),
                                     event::network(10ms, NetworkWindow{.loss = 0.9}),
                                     event::disk_eio(10ms, 3, 0.5), event::disk_latency(10ms, 2, 5ms, 9ms),
                                     event::clock_drift(10ms, 1, 20000), event::clock_offset(10ms, 2, -5min),
                                     event::clock_jump(10ms, 0, 17s), event::pause(10ms, 1, 1h),
                                     event::crash(10ms, 2)}),
                            options)
                  .ok());
  w.run_until(100 * kMs);
  ASSERT_EQ(*w.state(1), sim::NodeState::kPaused);
  ASSERT_EQ(*w.state(2), sim::NodeState::kDown);

  ASSERT_TRUE(heal_all(w, options).ok());
  const history::Event* start = first<history::LivenessPhaseStart>(w);
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->time_ns, 100 * kMs);
  EXPECT_EQ(start->get<history::LivenessPhaseStart>()->true_ns, 100 * kMs);
  for (NodeId n = 0; n < 4; ++n) {
    EXPECT_EQ(*w.state(n), sim::NodeState::kUp) << n;
    EXPECT_EQ((*w.clock(n))->drift_ppm(), 0) << n;
    EXPECT_EQ((*w.clock(n))->wall_now(), (*w.clock(0))->wall_now()) << n;  // all resynced
    const sim::DiskConfig disk = (*w.disk(n))->config();
    EXPECT_EQ(disk.eio_probability, options.base_disk.eio_probability) << n;
    EXPECT_EQ(disk.latency_max, options.base_disk.latency_max) << n;
    for (NodeId m = 0; m < 4; ++m) {
      EXPECT_EQ(w.link_config(n, m)->loss_probability, options.base_network.loss_probability);
    }
  }
  // Every link carries frames again, the clogged one and the partitioned ones included.
  const size_t before = f->log.size();
  w.run_until(300 * kMs);
  for (NodeId from = 0; from < 4; ++from) {
    for (NodeId to = 0; to < 4; ++to) {
      if (from != to) {
        EXPECT_GT(count(f->log, from, to, 150 * kMs, 300 * kMs), 0) << from << " -> " << to;
      }
    }
  }
  EXPECT_GT(f->log.size(), before);
}

// One seed and one plan give one run: the injector adds no order of its own.
TEST(InjectorTest, SameSeedAndPlanGiveTheSameTraceHash) {
  GenOptions gen;
  gen.members = 3;
  gen.safety_phase = 5s;
  gen.lease_duration = 1s;
  gen.intensity = 1.0;
  auto run = [&](uint64_t seed) {
    auto f = make_fixture(gen.node_count(), /*ping=*/true);
    InjectorOptions options;
    options.safety_phase_end = gen.safety_phase;
    auto plan = random_plan(seed, gen);
    EXPECT_TRUE(plan.ok());
    EXPECT_TRUE(schedule_plan(*f->world, *plan, options).ok());
    f->world->run_until(gen.safety_phase.count());
    EXPECT_TRUE(heal_all(*f->world, options).ok());
    f->world->run_for(1s);
    return std::make_pair(f->world->trace_hash(), f->world->history());
  };
  const auto first_run = run(11);
  const auto second_run = run(11);
  EXPECT_EQ(first_run.first, second_run.first);
  EXPECT_TRUE(history::same_history(first_run.second, second_run.second));
  EXPECT_NE(run(12).first, first_run.first);
}

TEST(InjectorTest, HelpersApplyOverrides) {
  sim::LinkConfig base;
  base.latency_min = 2ms;
  const sim::LinkConfig c = window_config(base, NetworkWindow{.duplicate = 0.5, .reorder_window = 1ms});
  EXPECT_EQ(c.duplicate_probability, 0.5);
  EXPECT_EQ(c.reorder_window, 1ms);
  EXPECT_EQ(c.latency_min, 2ms);
  EXPECT_EQ(c.loss_probability, base.loss_probability);

  sim::DiskConfig disk_base;
  const DiskFault full{.mode = DiskMode::kFull, .capacity_bytes = 7};
  sim::DiskConfig current = disk_config_after(disk_base, disk_base, full);
  EXPECT_EQ(current.capacity_bytes, 7u);
  EXPECT_EQ(disk_config_after(current, disk_base, DiskFault{.mode = DiskMode::kBitFlip}).capacity_bytes, 7u);
  EXPECT_EQ(disk_config_after(current, disk_base, DiskFault{.mode = DiskMode::kReset}).capacity_bytes,
            disk_base.capacity_bytes);
}

}  // namespace
}  // namespace orbit::faults
