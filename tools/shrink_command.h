// `orbit-sim shrink <report.json> [-o DIR]`: minimises the fault plan of a failing run
// without RapidCheck. Delta debugging (Zeller's ddmin) over the plan's events, then over
// episode lengths and pause durations, then over intensities (faults/shrink_steps.h); each
// candidate re-runs the scenario with the same seed, members and safety phase, and is kept
// only if one of the checkers that failed originally still reports a violation (the SAME
// failure, not just any). Writes the minimal plan and a new report.json into DIR and prints
// the command that replays it.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "reports/run_report.h"
#include "runtime/env/result.h"
#include "scenarios/scenario.h"

namespace orbit::tools {

struct ShrinkResult {
  scenarios::RunReport original;
  scenarios::RunReport minimal;
  std::set<std::string> target_checkers;  // the checkers that failed originally
  uint64_t runs = 0;                      // scenario runs, the original included
};

// Minimises `input`'s plan. Errors: an unknown scenario, a plan that does not fit, or an
// original run that does not fail (kInvalidArgument, naming the outcome). `progress` (may be
// empty) gets one line per kept step.
Result<ShrinkResult> shrink_run(const reports::ReplayInput& input, const std::function<void(const std::string&)>& progress);

// The subcommand: exit 0 when a minimal plan was written, 2 for bad input (unreadable or
// malformed report, a run that does not fail).
int cmd_shrink(const std::string& report_path, const std::string& out_dir);

}  // namespace orbit::tools
