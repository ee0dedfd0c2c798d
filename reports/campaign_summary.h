// The campaign summary: one tally over every run of a campaign, printed as a table in the
// terminal and written as summary.json (schema in docs/REPORTS.md). Each run reports itself
// as one JSON line (campaign_run_line) from its worker process; the parent adds the lines.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/scenario.h"

namespace orbit::reports {

inline constexpr int kSummarySchemaVersion = 1;

// A worker's JSON line for one run: outcome, timing, faults (by history kind and by plan
// kind), fault points, and for a failing run the checkers that decided it.
nlohmann::json campaign_run_line(const scenarios::RunReport& report, int64_t wall_ns);

struct CampaignSetup {
  std::vector<std::string> scenarios;
  uint64_t first_seed = 1;
  uint64_t seeds = 0;  // per scenario
  size_t jobs = 1;
  bool swarm = false;
  size_t runs_planned = 0;
};

class CampaignSummary {
 public:
  explicit CampaignSummary(CampaignSetup setup);

  // A run whose worker printed a line. Returns true when the run failed (not a pass).
  bool add_run(const std::string& scenario, uint64_t seed, const nlohmann::json& line);
  // A run whose worker died (a signal) or printed nothing readable.
  void add_crash(const std::string& scenario, uint64_t seed, const std::string& why);
  // The campaign's own wall time and how many runs it started (fewer with --max-failures).
  void finish(int64_t wall_ns, size_t runs_started);

  uint64_t runs() const { return runs_; }
  uint64_t passed() const { return passed_; }
  // Violations and crashes; unknowns are counted apart.
  uint64_t failed() const { return failed_; }
  uint64_t unknown() const { return unknown_; }
  // A fault point was switched on in some run but never fired: the campaign did not exercise it.
  bool silent_fault_point() const;
  // Every run passed and every enabled fault point fired.
  bool ok() const { return failed_ == 0 && unknown_ == 0 && !silent_fault_point(); }

  nlohmann::json to_json() const;
  // The terminal table, ending with "PASS: N passed, M failed" (or FAIL).
  std::string table() const;

 private:
  struct ScenarioTally {
    uint64_t runs = 0, passed = 0, failed = 0, unknown = 0, crashed = 0;
    int64_t wall_ns = 0, sim_ns = 0;
    uint64_t events = 0, ops = 0;
  };
  struct Failure {
    std::string scenario;
    uint64_t seed = 0;
    std::string outcome;  // safety_violation, liveness_violation, unknown, crash
    std::vector<std::string> checkers;
    std::vector<std::string> fault_kinds;
    std::string violation;
    std::string report;
    std::string repro;
  };
  struct KindTally {
    uint64_t runs = 0;
    uint64_t events = 0;
  };
  struct PointTally {
    uint64_t runs_enabled = 0;
    uint64_t runs_fired = 0;
    uint64_t fired = 0;
  };

  CampaignSetup setup_;
  std::map<std::string, ScenarioTally> by_scenario_;
  std::map<std::string, KindTally> plan_kinds_;     // fault kinds of the plans run
  std::map<std::string, KindTally> history_kinds_;  // fault events recorded in the histories
  std::map<std::string, PointTally> points_;
  std::vector<Failure> failures_;
  uint64_t runs_ = 0, passed_ = 0, failed_ = 0, unknown_ = 0, crashed_ = 0;
  int64_t wall_ns_ = 0;
  size_t runs_started_ = 0;
};

}  // namespace orbit::reports
