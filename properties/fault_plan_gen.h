// RapidCheck generators for fault plans, cluster configurations and workload parameters, so
// that "every checker passes for every plan from this generator" can be a property (docs/
// PROPERTIES.md shows how to use them for your own actor kinds and scenarios).
//
// A plan comes from one of the faults/ generators (random, swarm, a preset) at a random seed
// and intensity, so a generated plan is exactly what a campaign would run. What RapidCheck
// adds is shrinking, on the plan's events: a failing plan is reduced by removing whole fault
// episodes (a crash with its restart, a partition with its heal), then single events, then
// cluster members, then by shortening episodes and pauses and lowering intensities
// (probabilities, latencies, drift, clock steps, partition sizes). Every candidate is
// validated for its node count, and an in-model case only ever shrinks to in-model plans.
// The run's seed never shrinks: the same seed with a smaller plan is what a replay needs.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "faults/fault_plan.h"
#include "faults/generators.h"
#include "runtime/config/actor_management.h"
#include "runtime/env/time.h"

namespace orbit::properties {

// One property case: a cluster (members + a storage node with id `members`), the safety
// phase the plan runs in, the run's seed, and the plan. `generator`, `plan_seed` and
// `intensity` say where the unshrunk plan came from (for the report only).
struct PlanCase {
  uint64_t seed = 1;
  uint32_t members = 5;
  Duration safety_phase = std::chrono::seconds(30);
  faults::FaultPlan plan;
  std::string generator;
  uint64_t plan_seed = 0;
  double intensity = 0.0;
  size_t original_events = 0;  // events before shrinking
};
void showValue(const PlanCase& c, std::ostream& os);

struct CaseConfig {
  uint32_t min_members = 3;  // members are drawn from [min_members, max_members] and shrink
  uint32_t max_members = 5;  // towards min_members
  Duration safety_phase = std::chrono::seconds(20);
  // The node settings the plan must fit (faults::GenOptions): leases and the drift bound.
  Duration lease_duration = std::chrono::seconds(3);
  int64_t max_drift_ppm = config::drift_ppm(config::kDefaultMaxClockDrift);  // the scenarios' bound
  // false: every plan (and every shrink of it) is in model. true: the generators may add
  // beyond-model events (bit rot, read corruption, EIO, a full disk on the store, drift
  // past the bound).
  bool beyond_model = false;
  // The faults/ generators to draw from (list_presets() names them); one is picked per case.
  std::vector<std::pair<std::string, faults::PlanGenerator>> generators = {{"random", faults::random_plan},
                                                                           {"swarm", faults::swarm_plan}};
  double min_intensity = 0.3;
  double max_intensity = 1.0;
  // Run seeds are drawn from [1, max_seed].
  uint64_t max_seed = 1'000'000;
};

// The run seeds, members and plans of property cases, shrinking as described above.
rc::Gen<PlanCase> gen_plan_case(CaseConfig config);

// Only the plan, for a fixed cluster: `members` members and the store node `members`.
rc::Gen<faults::FaultPlan> gen_fault_plan(uint32_t members, CaseConfig config);
// The two variants the issue names, with a scenario-like default configuration.
rc::Gen<faults::FaultPlan> gen_in_model_plan(uint32_t members, Duration safety_phase = std::chrono::seconds(20));
rc::Gen<faults::FaultPlan> gen_beyond_model_plan(uint32_t members, Duration safety_phase = std::chrono::seconds(20));

// A cluster shape: members shrink towards the minimum, the safety phase towards the shortest.
struct ClusterConfig {
  uint32_t members = 5;
  Duration safety_phase = std::chrono::seconds(30);
};
void showValue(const ClusterConfig& c, std::ostream& os);
rc::Gen<ClusterConfig> gen_cluster_config(uint32_t min_members = 3, uint32_t max_members = 5,
                                          Duration min_safety = std::chrono::seconds(10),
                                          Duration max_safety = std::chrono::seconds(30));

// Workload knobs shared by the scenario clients (scenarios/workload/clients.h): how many
// clients per member, how many distinct actors they use, how long they think between calls
// and the register op mix. Shrinks towards one client on one actor.
struct WorkloadParams {
  uint32_t clients_per_member = 1;
  uint32_t actors = 1;
  Duration think_min = std::chrono::milliseconds(5);
  Duration think_max = std::chrono::milliseconds(50);
  double read_share = 0.5;
  double cas_share = 0.2;
};
void showValue(const WorkloadParams& w, std::ostream& os);
rc::Gen<WorkloadParams> gen_workload(uint32_t max_clients_per_member = 3, uint32_t max_actors = 6);

// The shrink steps of a case, in the order RapidCheck tries them (exposed for tests and for
// tools that minimise by hand). Every candidate validates for its node count and, when
// `in_model_only`, classifies in model.
rc::Seq<PlanCase> shrink_plan_case(const PlanCase& c, const CaseConfig& config);

// Groups of event indices that form one fault episode (a start event and the event that
// ends it: crash/restart, partition/heal, clog/unclog, network/network_reset, drift/drift 0,
// disk mode/disk reset); every other event is an episode of its own. In plan order.
std::vector<std::vector<size_t>> episodes(const faults::FaultPlan& plan);

}  // namespace orbit::properties
