// Scenarios as properties. Per scenario: "every required checker passes for every in-model
// plan". For the snapshot-corruption scenario under beyond-model plans (bit rot, read
// corruption, EIO, a full disk on the store, forced corrupt reads): "every injected
// corruption is detected, none is loaded silently". Cases per property and the RapidCheck
// seed come from RC_PARAMS (BUILD sets a small fixed budget; tools/soak runs many more).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <string>

#include "properties/fault_plan_gen.h"
#include "properties/scenario_property.h"
#include "scenarios/scenario.h"

namespace orbit::properties {
namespace {

const scenarios::ScenarioSpec& scenario(const std::string& name) {
  const scenarios::ScenarioSpec* spec = scenarios::find_scenario(name);
  if (spec == nullptr) throw std::invalid_argument("no scenario " + name);
  return *spec;
}

// The scenario's own generator plus the general ones, on 3-5 members and a 10 s safety phase
// (short runs keep the CI budget; the plan generators scale their episodes to the phase).
CaseConfig in_model_config(const scenarios::ScenarioSpec& spec) {
  CaseConfig config;
  config.safety_phase = std::chrono::seconds(10);
  config.generators = {{"default", spec.default_plan}, {"random", faults::random_plan}, {"swarm", faults::swarm_plan}};
  return config;
}

void in_model_property(const std::string& name, const std::string& id) {
  const scenarios::ScenarioSpec& spec = scenario(name);
  const CaseConfig config = in_model_config(spec);
  check_property(id, [&spec, config] {
    const PlanCase c = *gen_plan_case(config);
    RC_ASSERT(faults::classify(c.plan, faults::ModelLimits::for_cluster(c.members, config.max_drift_ppm)) ==
              faults::Model::kInModel);
    require_pass(spec, c, "in-model");
  });
}

TEST(ScenarioProperties, RegisterPassesEveryInModelPlan) {
  in_model_property("register", "ScenarioProperties/RegisterPassesEveryInModelPlan");
}
TEST(ScenarioProperties, CounterPassesEveryInModelPlan) {
  in_model_property("counter", "ScenarioProperties/CounterPassesEveryInModelPlan");
}
TEST(ScenarioProperties, LeaseStormPassesEveryInModelPlan) {
  in_model_property("lease-storm", "ScenarioProperties/LeaseStormPassesEveryInModelPlan");
}
TEST(ScenarioProperties, StaleWriterPassesEveryInModelPlan) {
  in_model_property("stale-writer", "ScenarioProperties/StaleWriterPassesEveryInModelPlan");
}
TEST(ScenarioProperties, SnapshotCorruptionPassesEveryInModelPlan) {
  in_model_property("snapshot-corruption", "ScenarioProperties/SnapshotCorruptionPassesEveryInModelPlan");
}

// Beyond the model the promise is detection. Besides the scenario's checkers (snapshot_
// integrity: every loaded snapshot's bytes were written at that version), the history itself
// must show that every load's bytes hash to the snapshot's recorded SHA-256 and that every
// reported integrity failure is a real mismatch. Across the cases, corruption must actually
// have been injected and detected, or the property says nothing.
TEST(ScenarioProperties, SnapshotCorruptionDetectsEveryBeyondModelCorruption) {
  const scenarios::ScenarioSpec& spec = scenario("snapshot-corruption");
  // Snapshots are loaded only when actors activate (a few times per run), so corruption
  // reaches a reader in about one run in three: full-size runs, at least 12 cases.
  CaseConfig config;
  config.min_members = config.max_members = 5;
  config.safety_phase = std::chrono::seconds(30);
  config.beyond_model = true;
  config.generators = {{"storage_node_crash", faults::storage_node_crash},
                       {"random", faults::random_plan},
                       {"swarm", faults::swarm_plan}};
  int detections = 0;
  check_property("ScenarioProperties/SnapshotCorruptionDetectsEveryBeyondModelCorruption", [&] {
    const PlanCase c = *gen_plan_case(config);
    auto report = run_case(spec, c);
    RC_ASSERT(report.ok());
    int failures = 0;
    const history::History& h = *report->history;
    for (const auto& e : h.events()) {
      if (const auto* load = e.get<history::SnapshotLoad>()) {
        RC_ASSERT(load->loaded_sha256 == load->sha256);
        RC_ASSERT(load->verified);
      }
      if (const auto* failure = e.get<history::SnapshotIntegrityFailure>()) {
        ++failures;
        // A digest mismatch, unless the bytes did not decode at all (error set).
        if (h.str(failure->error).empty()) RC_ASSERT(failure->actual_sha256 != failure->expected_sha256);
      }
    }
    RC_TAG(failures > 0 ? "corruption detected" : "no corruption reached a load");
    detections += failures;
    require_pass(spec, c, "beyond-model");
  }, 12);
  EXPECT_GT(detections, 0) << "no case injected a corruption that reached a reader: the property was vacuous";
}

}  // namespace
}  // namespace orbit::properties
