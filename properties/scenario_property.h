// Running scenarios as RapidCheck properties: one case = one scenario run with a generated
// plan (fault_plan_gen.h). A falsified case writes its plan as JSON and fails with the
// `tools/orbit-sim run ... --plan F` command that replays it; RapidCheck shrinks the plan and
// reports the last (minimal) failure, and check_property() adds the RC_PARAMS string that
// regenerates the same case sequence.
#pragma once

#include <rapidcheck.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "properties/fault_plan_gen.h"
#include "scenarios/scenario.h"

namespace orbit::properties {

// Where falsified plans go: $TEST_UNDECLARED_OUTPUTS_DIR under Bazel, else
// <tmp>/orbit-properties. Created on first use.
std::string output_dir();

// Runs `spec` for one case (its seed, members, safety phase and plan). Errors only for a
// case that does not fit the scenario (a bug in the generator): the property fails on them.
Result<scenarios::RunReport> run_case(const scenarios::ScenarioSpec& spec, const PlanCase& c);

// Writes the case's plan to output_dir()/<tag>-<scenario>-seed<seed>-<hash>.plan.json (the
// hash of the plan, so every candidate gets its own file) and returns the path.
std::string write_case_plan(const PlanCase& c, std::string_view tag, const scenarios::RunReport& report);

// "outcome safety_violation: single_activation: <first violation>" for a failing run.
std::string describe_failure(const scenarios::RunReport& report);

// The property "every required checker of `spec` passes": RC_FAIL with the failure, the plan
// file and the replay command (`binary` is the orbit-sim to name in it) unless the run passes.
void require_pass(const scenarios::ScenarioSpec& spec, const PlanCase& c, std::string_view tag,
                  std::string_view binary = "tools/orbit-sim");

// Like rc::detail::checkGTest (what RC_GTEST_PROP runs), with RapidCheck's parameters from
// RC_PARAMS; on falsification the GoogleTest failure also carries the RC_PARAMS string
// (reproduce=...) that replays exactly the shrunk case. `id` must be stable ("Suite/Name").
// `min_cases` raises RC_PARAMS' max_success for a property that needs more cases to mean
// anything.
void check_property(const std::string& id, std::function<void()> property, int min_cases = 0);

// A falsification run done programmatically (planted-bug tests, tools/soak).
struct Falsification {
  bool falsified = false;
  int cases_passed = 0;              // cases that passed before the first failure
  std::string description;           // RapidCheck's failure description (the minimal case's)
  std::string rc_params;             // RC_PARAMS="..." reproducing the minimal case
  std::optional<PlanCase> minimal;   // the last failing case evaluated: the minimal one
  std::optional<PlanCase> first;     // the first failing case (before shrinking)
  int runs = 0;                      // scenario runs, including every shrink attempt
  double find_seconds = 0;           // wall time until the first failure
  double total_seconds = 0;          // wall time including shrinking
};

// Checks "every required checker passes" for `spec` over cases from `gen` with `params`
// (seed, max cases), shrinking a failure. Never fails the calling test itself.
Falsification falsify(const std::string& id, const scenarios::ScenarioSpec& spec, rc::Gen<PlanCase> gen,
                      const rc::detail::TestParams& params, std::string_view tag, std::string_view binary);

}  // namespace orbit::properties
