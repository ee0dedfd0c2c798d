#include "reports/campaign_summary.h"

#include <gtest/gtest.h>

namespace orbit::reports {
namespace {

using nlohmann::json;

json line(const std::string& outcome, json checkers, json plan_kinds, int64_t wall_ns = 1'000'000'000) {
  return json{{"outcome", outcome},
              {"wall_ns", wall_ns},
              {"sim_ns", 60'000'000'000},
              {"events", 1000},
              {"ops", 500},
              {"faults", json{{"pause", 2}}},
              {"plan_kinds", std::move(plan_kinds)},
              {"fault_points", json{{"store.stall_before_apply", json{{"enabled", true}, {"fired", 3}}}}},
              {outcome == "unknown" ? "checkers_unknown" : "checkers_violated", std::move(checkers)},
              {"violation", outcome == "pass" ? "" : "x: broken"},
              {"report", outcome == "pass" ? "" : "out/r.report.json"}};
}

TEST(CampaignSummaryTest, GroupsFailuresByCheckerAndFaultKind) {
  CampaignSummary s(CampaignSetup{{"register", "counter"}, 1, 2, 2, false, 4});
  EXPECT_FALSE(s.add_run("register", 1, line("pass", json::array(), json{{"pause", 1}})));
  EXPECT_TRUE(s.add_run("register", 2, line("safety_violation", json{"single_activation", "linearizability"}, json{{"pause", 2}, {"partition", 1}})));
  EXPECT_TRUE(s.add_run("counter", 1, line("unknown", json{"linearizability"}, json{{"crash", 1}})));
  s.add_crash("counter", 2, "signal 6");
  s.finish(2'000'000'000, 4);

  EXPECT_EQ(s.runs(), 4u);
  EXPECT_EQ(s.passed(), 1u);
  EXPECT_EQ(s.failed(), 2u);  // the violation and the crash
  EXPECT_EQ(s.unknown(), 1u);
  EXPECT_FALSE(s.ok());

  json j = s.to_json();
  EXPECT_EQ(j["schema_version"], kSummarySchemaVersion);
  EXPECT_EQ(j["runs"]["run"], 4);
  EXPECT_EQ(j["runs"]["crashed"], 1);
  EXPECT_EQ(j["failures_by_checker"]["single_activation"]["runs"], 1);
  EXPECT_EQ(j["failures_by_checker"]["linearizability"]["runs"], 2);
  EXPECT_EQ(j["failures_by_checker"]["crash"]["seeds"][0], (json{{"scenario", "counter"}, {"seed", 2}}));
  EXPECT_EQ(j["failures_by_fault_kind"]["pause"]["runs"], 1);
  EXPECT_EQ(j["failures_by_fault_kind"]["crash"]["runs"], 1);
  EXPECT_EQ(j["fault_kind_coverage"]["plan_kinds"]["pause"]["runs"], 2);
  EXPECT_EQ(j["fault_kind_coverage"]["plan_kinds"]["pause"]["events"], 3);
  // Kinds no plan used are listed, so a coverage gap is visible.
  bool heal_unused = false;
  for (const auto& k : j["fault_kind_coverage"]["never_planned"]) heal_unused |= k == "heal";
  EXPECT_TRUE(heal_unused);
  EXPECT_EQ(j["fault_point_coverage"]["sites"]["store.stall_before_apply"]["runs_enabled"], 3);
  EXPECT_EQ(j["fault_point_coverage"]["sites"]["store.stall_before_apply"]["fired"], 9);
  // 3 readable runs: 180 s simulated, 3 s of worker wall time; the campaign took 2 s.
  EXPECT_DOUBLE_EQ(j["timing"]["sim_per_wall_per_worker"].get<double>(), 60.0);
  EXPECT_DOUBLE_EQ(j["timing"]["seeds_per_s"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["timing"]["actor_calls_per_wall_s"].get<double>(), 750.0);
  EXPECT_EQ(j["failures"].size(), 3u);

  const std::string table = s.table();
  EXPECT_NE(table.find("failures by checker:    crash=1 linearizability=2 single_activation=1"), std::string::npos) << table;
  EXPECT_NE(table.find("safety_violation register seed 2: x: broken\n    repro: tools/orbit-sim replay out/r.report.json"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("CRASH counter seed 2 (signal 6)"), std::string::npos) << table;
  EXPECT_NE(table.find("FAIL: 1 passed, 3 failed"), std::string::npos) << table;
}

TEST(CampaignSummaryTest, AllPassingIsOk) {
  CampaignSummary s(CampaignSetup{{"counter"}, 1, 1, 1, false, 1});
  s.add_run("counter", 1, line("pass", json::array(), json::object()));
  s.finish(1'000'000'000, 1);
  EXPECT_TRUE(s.ok());
  EXPECT_NE(s.table().find("PASS: 1 passed, 0 failed"), std::string::npos) << s.table();
  EXPECT_TRUE(s.to_json()["failures"].empty());
}

}  // namespace
}  // namespace orbit::reports
