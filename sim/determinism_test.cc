// One seed decides the whole run.
#include "sim/determinism.h"

#include <gtest/gtest.h>

#include "sim/demo/ping_pong.h"
#include "sim/test_node.h"

namespace orbit::sim {
namespace {

using demo::PingPongConfig;

PingPongConfig short_demo() {
  PingPongConfig config;
  config.duration = 3s;
  return config;
}

TEST(DeterminismTest, SameSeedSameTraceHashAndHistory) {
  auto a = demo::run_ping_pong(7, short_demo());
  auto b = demo::run_ping_pong(7, short_demo());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->world->trace_hash(), b->world->trace_hash());
  EXPECT_TRUE(history::same_history(a->world->history(), b->world->history()));
  EXPECT_GT(a->world->history().size(), 0u);
  EXPECT_GT(a->counts->pongs_received, 100u);
  EXPECT_GT(a->counts->timeouts, 0u) << "loss, a crash and a partition must cost some pings";
}

TEST(DeterminismTest, AnotherSeedGivesAnotherHash) {
  auto a = demo::run_ping_pong(7, short_demo());
  auto b = demo::run_ping_pong(8, short_demo());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->world->trace_hash(), b->world->trace_hash());
}

TEST(DeterminismTest, CheckDeterminismPassesForTheDemo) {
  const PingPongConfig config = short_demo();
  auto report = check_determinism(11, demo::ping_pong_world_config(config),
                                  [&](World& w) { (void)demo::drive_ping_pong(w, config); });
  EXPECT_TRUE(report.deterministic) << report.divergence;
  EXPECT_EQ(report.hash_first, report.hash_second);
}

TEST(DeterminismTest, CheckDeterminismNamesTheFirstDivergentEvent) {
  // A deliberately non-deterministic drive: state that outlives one run (like a static
  // counter or an address) changes what the second run does.
  int runs = 0;
  WorldConfig config;
  config.nodes = 2;
  auto report = check_determinism(3, config, [&](World& w) {
    const int this_run = runs++;
    w.set_boot(testing::scripted([this_run](NodeContext& ctx, TaskScope&) {
      ctx.executor().schedule_after(std::chrono::milliseconds(10 + this_run), [] {});
    }));
    w.start();
    w.run_for(1s);
  });
  EXPECT_FALSE(report.deterministic);
  EXPECT_NE(report.divergence.find("executed event #"), std::string::npos) << report.divergence;
  EXPECT_NE(report.divergence.find("timer on node"), std::string::npos) << report.divergence;
}

TEST(DeterminismTest, HistoryDivergenceIsReportedWithBothRecords) {
  int runs = 0;
  WorldConfig config;
  config.nodes = 1;
  auto report = check_determinism(3, config, [&](World& w) {
    w.record(kWorldNode, history::FaultSkipped{static_cast<uint64_t>(runs++), w.intern("note"), {}});
  });
  EXPECT_FALSE(report.deterministic);
  EXPECT_NE(report.divergence.find("history event #0"), std::string::npos) << report.divergence;
  EXPECT_NE(report.divergence.find("fault_skipped on world at t=0ns"), std::string::npos) << report.divergence;
}

}  // namespace
}  // namespace orbit::sim
