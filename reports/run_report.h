// report.json: everything needed to understand a run and to replay it bit for bit
// (schema in docs/REPORTS.md). Written for every run that asks, and for every failing seed
// of a campaign.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/env/result.h"
#include "scenarios/scenario.h"

namespace orbit::reports {

inline constexpr int kReportSchemaVersion = 1;

// The command that replays the run exactly (seed, nodes, duration and the plan file).
std::string repro_command(const scenarios::RunReport& report, const std::string& plan_path);

// `wall_ns`: the wall time the run took, measured by the tool (never inside the simulation).
nlohmann::json to_json(const scenarios::RunReport& report, int64_t wall_ns, const std::string& repro);

// What replay needs back from a report.
struct ReplayInput {
  std::string scenario;
  uint64_t seed = 0;
  uint32_t members = 0;
  int64_t safety_phase_ns = 0;
  faults::FaultPlan plan;
  uint64_t trace_hash = 0;
  std::string outcome;
};
Result<ReplayInput> parse_report(std::string_view json_text);

}  // namespace orbit::reports
