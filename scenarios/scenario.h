// Scenarios: a workload (actor kinds + client drivers), a default fault plan, and the
// checkers that judge it. A run has a safety phase (the plan's faults active), then a
// liveness phase (everything healed, clocks resynced): safety checkers judge the whole run,
// the liveness checker only the second phase. Outcomes are typed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faults/fault_plan.h"
#include "faults/generators.h"
#include "scenarios/checkers/checker.h"
#include "history/history.h"
#include "scenarios/judge.h"

namespace orbit::scenarios {

enum class Workload { kRegister, kCounter };

struct ScenarioSpec {
  std::string name;
  std::string description;
  Workload workload = Workload::kRegister;
  uint32_t members = 5;
  uint32_t clients_per_member = 2;
  uint32_t actors = 3;  // distinct actor ids the clients use
  Duration safety_phase = 30s;
  Duration liveness_phase = 25s;
  // The checkers that decide the outcome (registry names, checked when the scenario is
  // defined: a misspelt name stops the program instead of silently dropping a check).
  std::vector<std::string> required_checkers;
  // The plan a seed gets when none is given.
  faults::PlanGenerator default_plan = nullptr;
  bool beyond_model = false;  // the default plan may exceed the design's promises
  // Beyond-model fault sites ("beyond.*") this scenario switches on, with a probability.
  std::vector<std::pair<std::string, double>> forced_sites;
};

const std::vector<ScenarioSpec>& all_scenarios();
const ScenarioSpec* find_scenario(std::string_view name);

struct RunOptions {
  uint64_t seed = 1;
  std::optional<faults::FaultPlan> plan;  // default: the scenario's generator for this seed
  std::optional<uint32_t> members;
  std::optional<Duration> safety_phase;
  bool swarm = false;  // generate a swarm plan instead of the scenario's default
};

struct RunReport {
  std::string scenario;
  uint64_t seed = 0;
  uint32_t members = 0;
  faults::FaultPlan plan;
  bool plan_in_model = true;
  Outcome outcome = Outcome::kPass;
  std::vector<checkers::CheckResult> checks;
  uint64_t trace_hash = 0;
  int64_t sim_time_ns = 0;
  int64_t safety_phase_ns = 0;
  int64_t liveness_start_ns = 0;
  uint64_t events_executed = 0;
  uint64_t ops_invoked = 0;
  uint64_t ops_ok = 0;
  uint64_t ops_failed = 0;
  uint64_t ops_indeterminate = 0;
  std::map<std::string, uint64_t> faults_injected;  // by history kind
  struct FaultPointCount {
    bool enabled = false;
    uint64_t reached = 0;
    uint64_t fired = 0;
  };
  std::map<std::string, FaultPointCount> fault_points;  // by site
  bool swarm = false;
  std::shared_ptr<const history::History> history;
};

// Runs one seed. Errors are for bad options only (an unknown node in the plan...).
// Note: the plan is applied to the cluster's members 0..N-1 and its storage node N.
Result<RunReport> run_scenario(const ScenarioSpec& spec, const RunOptions& options);

}  // namespace orbit::scenarios
