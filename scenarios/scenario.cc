#include "scenarios/scenario.h"

#include <algorithm>
#include <set>

#include "faults/injector.h"
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
  config.actors.max_clock_drift = 0.001;
  config.actors.safety_margin = 200ms;
  config.actors.idle_timeout = 10s;
  config.actors.internal_call_timeout = 2s;
  config.membership.heartbeat_interval = 200ms;
  config.membership.suspect_after = 1s;
  config.membership.remove_after = 3s;
  config.store.call_timeout = 1s;
  return config;
}

constexpr int64_t kMaxDriftPpm = 1000;  // = actor_management.max_clock_drift above
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

const std::vector<ScenarioSpec>& all_scenarios() {
  static const std::vector<ScenarioSpec> specs = make_scenarios();
  return specs;
}

const ScenarioSpec* find_scenario(std::string_view name) {
  for (const auto& spec : all_scenarios()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass: return "pass";
    case Outcome::kSafetyViolation: return "safety_violation";
    case Outcome::kLivenessViolation: return "liveness_violation";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
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
  world.run_for(spec.liveness_phase - settle);
  shared->stopped = true;
  world.run_for(kOpTimeout + 2s);  // in-flight operations finish

  report.sim_time_ns = world.now_ns();
  report.trace_hash = world.trace_hash();
  report.events_executed = world.stats().events_executed;
  for (const auto& [site, stats] : world.fault_points().sites()) {
    report.fault_points[site] = RunReport::FaultPointCount{stats.enabled, stats.reached, stats.fired};
  }
  static const std::set<std::string> kFaultKinds = {"crash", "restart", "pause", "resume", "partition", "heal", "clog",
                                                    "unclog", "clock_offset", "clock_jump", "clock_drift", "disk_config",
                                                    "disk_bit_flip", "disk_torn_write", "network_config", "link_block"};
  for (const auto& e : world.history().events()) {
    if (e.kind == "op_invoke") ++report.ops_invoked;
    if (e.kind == "op_complete") {
      const std::string type = e.data.value("type", "");
      if (type == "ok") ++report.ops_ok;
      else if (type == "fail") ++report.ops_failed;
      else ++report.ops_indeterminate;
    }
    if (kFaultKinds.contains(e.kind)) ++report.faults_injected[e.kind];
  }

  checkers::CheckContext context;
  context.liveness_start_ns = report.liveness_start_ns;
  context.liveness_bound_ns = (kOpTimeout + 2s).count();
  auto history = std::make_shared<sim::History>(world.history());
  bool safety = false, liveness = false, unknown = false;
  auto judge = [&](const checkers::Checker& checker) {
    checkers::CheckResult result = checker.check(*history, context);
    if (result.verdict == checkers::Verdict::kViolation) {
      (checker.name() == "liveness" ? liveness : safety) = true;
    } else if (result.verdict == checkers::Verdict::kUnknown) {
      unknown = true;
    }
    return result;
  };
  // The linearizability search goes last: proving a register history NOT linearizable
  // exhausts the budget, so a run another checker has already failed gets a small one.
  // Otherwise registers with many indeterminate writes may need tens of millions of steps
  // (stale-writer seed 736: 28M); the budget decides them in seconds (docs/PERFORMANCE.md).
  std::vector<checkers::CheckResult> results;
  const std::vector<std::unique_ptr<checkers::Checker>> registry = checkers::all_checkers();
  const checkers::Checker* linearizability = nullptr;
  for (const auto& checker : registry) {
    const bool required = std::find(spec.required_checkers.begin(), spec.required_checkers.end(),
                                    std::string(checker->name())) != spec.required_checkers.end();
    if (!required) continue;
    if (checker->name() == "linearizability") {
      linearizability = checker.get();
      continue;
    }
    results.push_back(judge(*checker));
  }
  if (linearizability != nullptr) {
    context.max_search_steps = safety ? kSearchStepsAfterViolation : kSearchSteps;
    results.push_back(judge(*linearizability));
  }
  std::sort(results.begin(), results.end(), [](const auto& a, const auto& b) { return a.checker < b.checker; });
  report.checks = std::move(results);
  report.outcome = safety ? Outcome::kSafetyViolation
                          : liveness ? Outcome::kLivenessViolation : unknown ? Outcome::kUnknown : Outcome::kPass;
  report.history = std::move(history);
  return report;
}

}  // namespace orbit::scenarios
