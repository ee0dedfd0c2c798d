// report.json: everything needed to understand a run and to replay it bit for bit
// (schema in docs/REPORTS.md). Written for every run that asks, and for every failing seed
// of a campaign, next to the run's plan and its history (JSON Lines).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/env/result.h"
#include "scenarios/scenario.h"
#include "history/history.h"

namespace orbit::reports {

// 2: violations carry ids, event indices, holders and snapshots; "history", "plan_file" and
// "run_command" fields. parse_report still reads version 1 (same replay fields).
inline constexpr int kReportSchemaVersion = 2;
inline constexpr int kOldestReadableSchemaVersion = 1;

// "report trace-hash version V, this binary W: re-run the seed instead of replaying".
std::string trace_hash_version_mismatch(int report_version);

// The `run` command that repeats the run (seed, nodes, duration and the plan file).
std::string repro_command(const scenarios::RunReport& report, const std::string& plan_path);

// Files written beside report.json, named relative to its directory ("" when not written).
struct ReportFiles {
  std::string plan;
  std::string history;
};

// `wall_ns`: the wall time the run took, measured by the tool (never inside the simulation).
// `repro`: the command that reproduces the run (a replay of this report when it is a file).
nlohmann::json to_json(const scenarios::RunReport& report, int64_t wall_ns, const std::string& repro,
                       const ReportFiles& files = {});

// Writes <dir>/<scenario>-seed<seed>.{report.json,plan.json,history.jsonl}; returns the
// report's path, or an error naming the file that could not be written.
Result<std::string> write_run_report(const scenarios::RunReport& report, int64_t wall_ns, const std::string& dir);

// What replay needs back from a report.
struct ReplayInput {
  std::string scenario;
  uint64_t seed = 0;
  uint32_t members = 0;
  int64_t safety_phase_ns = 0;
  faults::FaultPlan plan;
  uint64_t trace_hash = 0;
  // The canonical encoding the trace hash was computed over (sim::kTraceHashVersion);
  // 1 when the report does not say (reports before the typed history hashed JSON text).
  int trace_hash_version = 1;
  std::string outcome;
};
Result<ReplayInput> parse_report(std::string_view json_text);

// A report read from disk with its history: the history file it names (relative to the
// report), or, when that file is missing, the run simulated again from the report and
// accepted only if its trace hash matches (a run is a function of scenario, seed and plan).
struct LoadedReport {
  nlohmann::json report;
  history::History history;
  std::string history_source;  // the file read, or "re-simulated"
};
Result<LoadedReport> load_report_with_history(const std::string& report_path);

}  // namespace orbit::reports
