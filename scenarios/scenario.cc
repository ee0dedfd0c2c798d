#include "scenarios/scenario.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "faults/injector.h"
#include "runtime/config/actor_management.h"
#include "runtime/env/fault_sites.h"
#include "scenarios/workload/clients.h"
#include "scenarios/workload/kinds.h"
#include "sim/cluster_world.h"

namespace orbit::scenarios {
namespace {

// Settings chosen to find bugs: short leases (many expiries and hand-overs under faults),
// fast failure detection (frequent topology change), a short idle timeout (activations
// come and go), and clocks allowed 1000 ppm of drift.
node::NodeConfig scenario_node_config() {
  node::NodeConfig config;
  config.actors.lease_duration = 3s;
  config.actors.lease_renewal_fraction = 0.5;
  config.actors.max_clock_drift = config::kDefaultMaxClockDrift;  // 0.001 = 1000 ppm
  config.actors.safety_margin = 200ms;
  config.actors.idle_timeout = 10s;
  config.actors.internal_call_timeout = 2s;
  config.membership.heartbeat_interval = 200ms;
  config.membership.suspect_after = 1s;
  config.membership.remove_after = 3s;
  config.store.call_timeout = 1s;
  return config;
}

const int64_t kMaxDriftPpm = config::drift_ppm(scenario_node_config().actors.max_clock_drift);  // 1000
constexpr Duration kOpTimeout = 6s;
constexpr uint64_t kSearchSteps = 100'000'000;
constexpr uint64_t kSearchStepsAfterViolation = 2'000'000;

faults::GenOptions gen_options(uint32_t members, Duration safety_phase, bool beyond_model) {
  faults::GenOptions options;
  options.members = members;
  options.safety_phase = safety_phase;
  options.lease_duration = scenario_node_config().actors.lease_duration;
  options.allow_beyond_model = beyond_model;
  options.max_drift_ppm = kMaxDriftPpm;
  options.intensity = 0.5;
  return options;
}

std::vector<std::string> safety_checkers() {
  return {"directory_handoff", "lease_exclusivity", "single_activation", "snapshot_integrity"};
}

std::vector<ScenarioSpec> make_scenarios() {
  std::vector<ScenarioSpec> specs;
  {
    ScenarioSpec s;
    s.name = "register";
    s.description = "read/write/CAS registers from clients on every member; linearizability per register";
    s.workload = Workload::kRegister;
    s.required_checkers = safety_checkers();
    s.required_checkers.push_back("linearizability");
    s.required_checkers.push_back("liveness");
    s.default_plan = faults::random_plan;
    specs.push_back(std::move(s));
  }
  {
    ScenarioSpec s;
    s.name = "counter";
    s.description = "write_through increments and reads: no acknowledged increment may be lost";
    s.workload = Workload::kCounter;
    s.actors = 2;
    s.required_checkers = safety_checkers();
    s.required_checkers.push_back("durability");
    s.required_checkers.push_back("liveness");
    s.default_plan = faults::random_plan;
    specs.push_back(std::move(s));
  }
  {
    ScenarioSpec s;
    s.name = "lease-storm";
    s.description = "many actors, pauses longer than leases, rolling restarts: lease hand-overs everywhere";
    s.workload = Workload::kCounter;
    s.actors = 24;
    s.clients_per_member = 3;
    s.required_checkers = safety_checkers();
    s.required_checkers.push_back("durability");
    s.required_checkers.push_back("liveness");
    s.default_plan = [](uint64_t seed, const faults::GenOptions& o) {
      return (seed % 2 == 0) ? faults::pause_storm(seed, o) : faults::rolling_restarts(seed, o);
    };
    specs.push_back(std::move(s));
  }
  {
    ScenarioSpec s;
    s.name = "stale-writer";
    s.description = "writers stall between their lease check and the write while pauses move leases: fencing must stop them";
    s.workload = Workload::kRegister;
    s.required_checkers = safety_checkers();
    s.required_checkers.push_back("linearizability");
    s.required_checkers.push_back("liveness");
    // In model: a stall (a GC pause) between a check and a write is exactly what fencing
    // tokens exist for (Kleppmann, "How to do distributed locking"; Jepsen's etcd locks).
    s.forced_sites = {{std::string(env::sites::kStallBeforeSnapshotWrite), 0.3}};
    s.default_plan = faults::pause_storm;
    specs.push_back(std::move(s));
  }
  {
    ScenarioSpec s;
    s.name = "snapshot-corruption";
    s.description = "storage node crashes, torn writes and bit rot: corrupt state is never loaded, loss is detected";
    s.workload = Workload::kCounter;
    s.actors = 4;
    // Beyond the model, the promise is detection: no corrupt state loaded, no two writers.
    s.required_checkers = safety_checkers();
    s.beyond_model = true;
    s.forced_sites = {{std::string(env::sites::kCorruptSnapshotRead), 0.05}};
    s.default_plan = faults::storage_node_crash;
    specs.push_back(std::move(s));
  }
  return specs;
}

}  // namespace

static std::vector<ScenarioSpec> validated(std::vector<ScenarioSpec> specs) {
  for (const ScenarioSpec& spec : specs) {
    if (auto unknown = checkers::validate_checker_names(spec.required_checkers)) {
      std::fprintf(stderr, "scenario %s: %s\n", spec.name.c_str(), unknown->c_str());
      std::abort();
    }
  }
  return specs;
}

const std::vector<ScenarioSpec>& all_scenarios() {
  static const std::vector<ScenarioSpec> specs = validated(make_scenarios());
  return specs;
}

const ScenarioSpec* find_scenario(std::string_view name) {
  for (const auto& spec : all_scenarios()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

Result<RunReport> run_scenario(const ScenarioSpec& spec, const RunOptions& options) {
  RunReport report;
  report.scenario = spec.name;
  report.seed = options.seed;
  report.swarm = options.swarm && !options.plan;
  report.members = options.members.value_or(spec.members);
  const Duration safety_phase = options.safety_phase.value_or(spec.safety_phase);
  report.safety_phase_ns = safety_phase.count();
  if (report.members < 3 || report.members > 64) {
    return Error{ErrorCode::kInvalidArgument, "--nodes must be in [3, 64], got " + std::to_string(report.members)};
  }
  if (safety_phase <= Duration::zero()) return Error{ErrorCode::kInvalidArgument, "--duration must be positive"};

  const faults::GenOptions gen = gen_options(report.members, safety_phase, spec.beyond_model);
  if (options.plan) {
    report.plan = *options.plan;
  } else {
    Result<faults::FaultPlan> generated =
        options.swarm ? faults::swarm_plan(options.seed, gen) : spec.default_plan(options.seed, gen);
    if (!generated) return generated.error();
    report.plan = std::move(*generated);
  }
  report.plan_in_model =
      faults::classify(report.plan, faults::ModelLimits::for_cluster(report.members, kMaxDriftPpm)) == faults::Model::kInModel;

  auto shared = std::make_shared<ClientShared>();
  sim::ClusterOptions cluster_options;
  cluster_options.seed = options.seed;
  cluster_options.members = report.members;
  cluster_options.node = scenario_node_config();
  cluster_options.register_kinds = register_scenario_kinds;
  ClientOptions client;
  for (uint32_t i = 0; i < spec.actors; ++i) client.ids.push_back((spec.workload == Workload::kRegister ? "r" : "c") + std::to_string(i));
  client.op_timeout = kOpTimeout;
  const Workload workload = spec.workload;
  const uint32_t clients = spec.clients_per_member;
  cluster_options.on_member_boot = [shared, client, workload, clients](node::OrbitNode& node, TaskScope& scope) {
    for (uint32_t i = 0; i < clients; ++i) {
      std::string process = "n" + std::to_string(node.env().node) + ".b" + std::to_string(node.membership().self().incarnation) +
                            ".c" + std::to_string(i);
      if (workload == Workload::kRegister) {
        scope.spawn(register_client(node, std::move(process), client, shared));
      } else {
        scope.spawn(counter_client(node, std::move(process), client, shared));
      }
    }
  };
  auto created = sim::ClusterWorld::create(std::move(cluster_options));
  if (!created) return created.error();
  std::unique_ptr<sim::ClusterWorld> cluster = std::move(*created);
  sim::World& world = cluster->world();
  if (auto r = world.fault_points().set_defaults({true, 0.25, 0.05}); !r) return r.error();
  for (const auto& [site, probability] : spec.forced_sites) {
    if (auto r = world.fault_points().force(site, probability); !r) return r.error();
  }

  faults::InjectorOptions injector;
  injector.base_network = sim::LinkConfig{};
  injector.base_disk = sim::DiskConfig{};
  injector.safety_phase_end = safety_phase;
  if (auto scheduled = faults::schedule_plan(world, report.plan, injector); !scheduled) return scheduled.error();

  // Safety phase, then heal everything and let the cluster settle before liveness counts.
  world.run_for(safety_phase);
  if (auto healed = faults::heal_all(world, injector); !healed) return healed.error();
  world.fault_points().disable_all();
  const Duration settle = scenario_node_config().membership.remove_after + scenario_node_config().actors.lease_duration + 2s;
  world.run_for(settle);
  report.liveness_start_ns = world.now_ns();
  // The history describes its own liveness window, so a judge reading the file later
  // (orbit-sim judge, orbit-cluster judge) sees the run exactly as this one does.
  world.record(history::kWorldNode,
               history::LivenessWindowStart{report.liveness_start_ns, kOpTimeout + 2s});
  world.run_for(spec.liveness_phase - settle);
  shared->stopped = true;
  world.run_for(kOpTimeout + 2s);  // in-flight operations finish

  report.sim_time_ns = world.now_ns();
  report.trace_hash = world.trace_hash();
  report.events_executed = world.stats().events_executed;
  for (const auto& [site, stats] : world.fault_points().sites()) {
    report.fault_points[site] = RunReport::FaultPointCount{stats.enabled, stats.reached, stats.fired};
  }
  auto history = std::make_shared<const history::History>(world.release_history());
  const HistorySummary summary = summarize(*history);
  report.ops_invoked = summary.ops_invoked;
  report.ops_ok = summary.ops_ok;
  report.ops_failed = summary.ops_failed;
  report.ops_indeterminate = summary.ops_indeterminate;
  report.faults_injected = summary.faults_injected;

  JudgeSpec judge_spec;
  judge_spec.required_checkers = spec.required_checkers;
  judge_spec.search_steps = kSearchSteps;
  judge_spec.search_steps_after_violation = kSearchStepsAfterViolation;
  auto judged = judge(*history, judge_spec, context_from_history(*history));
  if (!judged) return judged.error();
  report.checks = std::move(judged->checks);
  report.outcome = judged->outcome;
  report.history = std::move(history);
  return report;
}

}  // namespace orbit::scenarios
