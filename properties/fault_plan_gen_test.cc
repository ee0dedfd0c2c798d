// The generators: every case validates for its node count and stays in model when asked,
// every shrink candidate does too, beyond-model cases do leave the model, and shrinking a
// falsified case reaches a minimal plan.
#include "properties/fault_plan_gen.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <optional>

namespace orbit::properties {
namespace {

bool in_model(const PlanCase& c, const CaseConfig& config) {
  return faults::classify(c.plan, faults::ModelLimits::for_cluster(c.members, config.max_drift_ppm)) ==
         faults::Model::kInModel;
}

RC_GTEST_PROP(FaultPlanGen, InModelCasesAreValidAndInModel, ()) {
  const CaseConfig config;
  const PlanCase c = *gen_plan_case(config);
  RC_ASSERT(c.members >= config.min_members);
  RC_ASSERT(c.members <= config.max_members);
  RC_ASSERT(faults::validate_plan(c.plan, c.members + 1).ok());
  RC_ASSERT(in_model(c, config));
  for (const auto& e : c.plan.events) RC_ASSERT(e.at() < config.safety_phase);
}

RC_GTEST_PROP(FaultPlanGen, EveryShrinkCandidateIsValidAndInModel, ()) {
  const CaseConfig config;
  const PlanCase c = *gen_plan_case(config);
  int seen = 0;
  for (const PlanCase& candidate : rc::seq::take(60, shrink_plan_case(c, config))) {
    RC_ASSERT(faults::validate_plan(candidate.plan, candidate.members + 1).ok());
    RC_ASSERT(in_model(candidate, config));
    RC_ASSERT(candidate.seed == c.seed);
    ++seen;
  }
  RC_ASSERT(c.plan.events.empty() || seen > 0);
}

TEST(FaultPlanGen, BeyondModelCasesLeaveTheModel) {
  CaseConfig config;
  config.beyond_model = true;
  config.generators = {{"storage_node_crash", faults::storage_node_crash}, {"random", faults::random_plan}};
  int beyond = 0, total = 0;
  // A fixed seed and count (not RC_PARAMS'): the share is a statistic, not a property.
  rc::detail::TestParams params;
  params.seed = 1;
  params.maxSuccess = 200;
  const auto result = rc::detail::checkProperty(rc::detail::toProperty([&] {
                                                  const PlanCase c = *gen_plan_case(config);
                                                  RC_ASSERT(faults::validate_plan(c.plan, c.members + 1).ok());
                                                  ++total;
                                                  if (!in_model(c, config)) ++beyond;
                                                }),
                                                rc::detail::TestMetadata{}, params);
  EXPECT_TRUE(result.is<rc::detail::SuccessResult>());
  EXPECT_GT(beyond, total / 10) << beyond << " of " << total;
}

TEST(FaultPlanGen, EpisodesPairStartsWithTheirEnds) {
  using namespace faults::event;
  faults::FaultPlan plan;
  plan.events = {crash(1s, 1), partition(2s, {0}, {1, 2}), restart(3s, 1), heal(4s), pause(5s, 2, 1s)};
  const auto groups = episodes(plan);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0], (std::vector<size_t>{0, 2}));
  EXPECT_EQ(groups[1], (std::vector<size_t>{1, 3}));
  EXPECT_EQ(groups[2], (std::vector<size_t>{4}));
}

// A property that fails whenever member 1 crashes: RapidCheck must shrink the plan to that
// single crash (its restart, every other event and every extra member gone).
TEST(FaultPlanGen, ShrinkingReachesTheMinimalPlan) {
  CaseConfig config;
  config.generators = {{"rolling_restarts", faults::rolling_restarts}};
  std::optional<PlanCase> last_failure;
  rc::detail::TestParams params;
  params.seed = 7;
  params.maxSuccess = 100;
  const auto result = rc::detail::checkProperty(rc::detail::toProperty([&] {
                                                  const PlanCase c = *gen_plan_case(config);
                                                  for (const auto& e : c.plan.events) {
                                                    if (e.kind == faults::FaultKind::kCrash && e.node == 1) {
                                                      last_failure = c;
                                                      RC_FAIL("member 1 crashed");
                                                    }
                                                  }
                                                }),
                                                rc::detail::TestMetadata{}, params);
  ASSERT_TRUE(result.is<rc::detail::FailureResult>());
  ASSERT_TRUE(last_failure.has_value());
  EXPECT_GT(last_failure->original_events, 1u);
  ASSERT_EQ(last_failure->plan.events.size(), 1u) << faults::to_json(last_failure->plan);
  EXPECT_EQ(last_failure->plan.events[0].kind, faults::FaultKind::kCrash);
  EXPECT_EQ(last_failure->members, config.min_members);
}

// Intensities shrink too: a property that fails on any network loss ends with a window whose
// loss is as low as still fails (> 0), alone in the plan.
TEST(FaultPlanGen, ShrinkingLowersIntensities) {
  faults::FaultPlan plan;
  faults::NetworkWindow w;
  w.loss = 0.8;
  w.latency_max = std::chrono::milliseconds(400);
  plan.events = {faults::event::network(1s, w), faults::event::network_reset(9s), faults::event::crash(2s, 0),
                 faults::event::restart(3s, 0)};
  faults::sort_events(plan);
  PlanCase c;
  c.members = 3;
  c.plan = plan;
  const CaseConfig config;
  // Greedy descent over the shrink sequence, as RapidCheck does.
  auto fails = [](const PlanCase& x) {
    for (const auto& e : x.plan.events) {
      if (e.kind == faults::FaultKind::kNetwork && e.network.loss && *e.network.loss > 0) return true;
    }
    return false;
  };
  for (bool progress = true; progress;) {
    progress = false;
    for (const PlanCase& candidate : shrink_plan_case(c, config)) {
      if (fails(candidate)) {
        c = candidate;
        progress = true;
        break;
      }
    }
  }
  ASSERT_EQ(c.plan.events.size(), 1u) << faults::to_json(c.plan);
  EXPECT_LT(*c.plan.events[0].network.loss, 0.01);
  EXPECT_EQ(*c.plan.events[0].network.latency_max, std::chrono::milliseconds(0));
}

RC_GTEST_PROP(FaultPlanGen, ClusterAndWorkloadParametersStayInRange, ()) {
  const ClusterConfig cluster = *gen_cluster_config(3, 5, std::chrono::seconds(10), std::chrono::seconds(30));
  RC_ASSERT(cluster.members >= 3u && cluster.members <= 5u);
  RC_ASSERT(cluster.safety_phase >= std::chrono::seconds(10) && cluster.safety_phase <= std::chrono::seconds(30));
  const WorkloadParams w = *gen_workload(3, 6);
  RC_ASSERT(w.clients_per_member >= 1u && w.clients_per_member <= 3u);
  RC_ASSERT(w.actors >= 1u && w.actors <= 6u);
  RC_ASSERT(w.think_min <= w.think_max);
  RC_ASSERT(w.read_share >= 0.0 && w.read_share + 2 * w.cas_share <= 1.0 + 1e-9);
}

// Workload and cluster shapes shrink towards the smallest that still fails.
TEST(FaultPlanGen, WorkloadAndClusterShrinkTowardsTheSmallest) {
  std::optional<std::pair<ClusterConfig, WorkloadParams>> last;
  rc::detail::TestParams params;
  params.seed = 3;
  const auto result = rc::detail::checkProperty(rc::detail::toProperty([&] {
                                                  const ClusterConfig c = *gen_cluster_config(3, 5);
                                                  const WorkloadParams w = *gen_workload(3, 6);
                                                  if (w.actors >= 2 && c.members >= 4) {
                                                    last = std::make_pair(c, w);
                                                    RC_FAIL("big enough");
                                                  }
                                                }),
                                                rc::detail::TestMetadata{}, params);
  ASSERT_TRUE(result.is<rc::detail::FailureResult>());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->first.members, 4u);
  EXPECT_EQ(last->first.safety_phase, std::chrono::seconds(10));
  EXPECT_EQ(last->second.actors, 2u);
  EXPECT_EQ(last->second.clients_per_member, 1u);
}

}  // namespace
}  // namespace orbit::properties
