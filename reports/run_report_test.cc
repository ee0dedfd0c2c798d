#include "reports/run_report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "history/canonical.h"
#include "reports/history_jsonl.h"
#include "sim/trace_hash.h"

namespace orbit::reports {
namespace {

using nlohmann::json;

scenarios::RunReport failing_report() {
  auto history = std::make_shared<history::History>();
  history->append(10, 1, history::LeaseAcquired{history->intern("register/r0"), history->intern("n1.b1.a1"), 1, Duration(100)});
  history->append(20, 2, history::LeaseAcquired{history->intern("register/r0"), history->intern("n2.b1.a1"), 2, Duration(100)});
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
  EXPECT_EQ(j["trace_hash_version"], sim::kTraceHashVersion);
  EXPECT_EQ(v["events"][1]["data"]["holder"], "n2.b1.a1");
  EXPECT_EQ(v["events"][1]["data"]["valid_for_ns"], 100);

  auto back = parse_report(j.dump());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->seed, 7u);
  EXPECT_EQ(back->trace_hash, 0xabcdef0123456789u);
  EXPECT_EQ(back->outcome, "safety_violation");
  EXPECT_EQ(back->trace_hash_version, sim::kTraceHashVersion);
  json old = j;
  old.erase("trace_hash_version");
  auto v1 = parse_report(old.dump());
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->trace_hash_version, 1);
  EXPECT_EQ(trace_hash_version_mismatch(1),
            "report trace-hash version 1, this binary 3: re-run the seed instead of replaying");
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

std::string temp_dir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  const auto dir = std::filesystem::path(base != nullptr ? base : "/tmp") / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(RunReportTest, LoadsTheHistoryTheReportNames) {
  const scenarios::RunReport r = failing_report();
  auto written = write_run_report(r, 5, temp_dir("written"));
  ASSERT_TRUE(written.ok()) << written.error().message;
  auto loaded = load_report_with_history(*written);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_TRUE(history::same_history(loaded->history, *r.history));
  EXPECT_NE(loaded->history_source.find("register-seed7.history.jsonl"), std::string::npos) << loaded->history_source;
  EXPECT_EQ(loaded->report["violations"][1]["holders"][1]["holder"], "n2.b1.a1");
}

// Real-mode reports (tools/orbit-cluster) name their merged history as a plain string, and
// cannot be simulated again when it is missing.
TEST(RunReportTest, RealModeHistoryByNameAndNoResimulation) {
  const std::string dir = temp_dir("real");
  json j = to_json(failing_report(), 5, "tools/orbit-cluster run ...");
  j["mode"] = "real";
  j["history"] = "history.jsonl";
  std::ofstream(dir + "/report.json") << j.dump();
  auto missing = load_report_with_history(dir + "/report.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("real-mode run cannot be simulated again"), std::string::npos)
      << missing.error().message;
  std::ofstream(dir + "/history.jsonl") << render_jsonl(*failing_report().history);
  auto loaded = load_report_with_history(dir + "/report.json");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->history.size(), 2u);
}

}  // namespace
}  // namespace orbit::reports
