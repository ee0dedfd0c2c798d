#include "reports/run_report.h"

#include <gtest/gtest.h>

namespace orbit::reports {
namespace {

using nlohmann::json;

scenarios::RunReport failing_report() {
  auto history = std::make_shared<sim::History>();
  history->record(10, 1, "lease_acquired", json{{"actor", "register/r0"}, {"holder", "n1.b1.a1"}, {"valid_for_ns", 100}, {"version", 1}});
  history->record(20, 2, "lease_acquired", json{{"actor", "register/r0"}, {"holder", "n2.b1.a1"}, {"valid_for_ns", 100}, {"version", 2}});
  scenarios::RunReport r;
  r.scenario = "register";
  r.seed = 7;
  r.members = 5;
  r.safety_phase_ns = 30'000'000'000;
  r.outcome = scenarios::Outcome::kSafetyViolation;
  r.trace_hash = 0xabcdef0123456789;
  r.history = history;
  checkers::CheckResult liveness;
  liveness.checker = "liveness";
  liveness.verdict = checkers::Verdict::kViolation;
  liveness.violations.push_back(checkers::Violation{"late", {1}, "register/r0", {}, std::nullopt});
  checkers::CheckResult lease;
  lease.checker = "lease_exclusivity";
  lease.verdict = checkers::Verdict::kViolation;
  checkers::Violation v;
  v.explanation = "two holders";
  v.events = {0, 1};
  v.actor = "register/r0";
  v.holders = {checkers::HolderRef{"n1.b1.a1", 1, 1, 0}, checkers::HolderRef{"n2.b1.a1", 2, 2, 1}};
  lease.violations.push_back(v);
  r.checks = {liveness, lease};
  return r;
}

TEST(RunReportTest, ViolationsCarryTheirEventsHoldersAndTheDecidingOne) {
  const json j = to_json(failing_report(), 5, "tools/orbit-sim replay x.report.json", ReportFiles{"x.plan.json", "x.history.jsonl"});
  EXPECT_EQ(j["schema_version"], kReportSchemaVersion);
  ASSERT_EQ(j["violations"].size(), 2u);
  const json& v = j["violations"][1];
  EXPECT_EQ(v["id"], 1);
  EXPECT_EQ(v["checker"], "lease_exclusivity");
  EXPECT_EQ(v["actor"], "register/r0");
  EXPECT_EQ(v["event_indices"], (json{0, 1}));
  EXPECT_EQ(v["events"][1]["kind"], "lease_acquired");
  EXPECT_EQ(v["events"][1]["index"], 1);
  EXPECT_EQ(v["t_ns"], 10);
  EXPECT_EQ(v["holders"][0], (json{{"holder", "n1.b1.a1"}, {"node", 1}, {"lease_version", 1}, {"event", 0}}));
  EXPECT_EQ(v["holders"][1]["lease_version"], 2);
  EXPECT_TRUE(v["snapshot"].is_null());
  EXPECT_EQ(j["primary_violation"], 1);  // the safety violation, not the liveness one listed first
  EXPECT_EQ(j["history"], (json{{"file", "x.history.jsonl"}, {"events", 2}}));
  EXPECT_EQ(j["plan_file"], "x.plan.json");
  EXPECT_EQ(j["repro"], "tools/orbit-sim replay x.report.json");
  EXPECT_EQ(j["run_command"], "tools/orbit-sim run --scenario register --seed 7 --nodes 5 --duration 30000ms --plan x.plan.json");
  EXPECT_EQ(j["trace_hash"], "abcdef0123456789");

  auto back = parse_report(j.dump());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->seed, 7u);
  EXPECT_EQ(back->trace_hash, 0xabcdef0123456789u);
  EXPECT_EQ(back->outcome, "safety_violation");
}

TEST(RunReportTest, ReadsSchemaOneAndRejectsUnknownVersionsClearly) {
  json j = to_json(failing_report(), 5, "r");
  j["schema_version"] = 1;
  EXPECT_TRUE(parse_report(j.dump()).ok());
  j["schema_version"] = 3;
  auto r = parse_report(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("schema_version 3 is not supported (this build reads 1 to 2)"), std::string::npos)
      << r.error().message;
  j["schema_version"] = 2;
  j["trace_hash"] = "zz";
  r = parse_report(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("trace_hash"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace orbit::reports
