#include "properties/fault_plan_gen.h"

#include "faults/shrink_steps.h"

#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace orbit::properties {
namespace {

using faults::FaultEvent;
using faults::FaultKind;
using faults::FaultPlan;
using faults::NodeId;

int64_t ms_of(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

faults::GenOptions gen_options(const CaseConfig& config, uint32_t members, double intensity) {
  faults::GenOptions o;
  o.members = members;
  o.safety_phase = config.safety_phase;
  o.lease_duration = config.lease_duration;
  o.allow_beyond_model = config.beyond_model;
  o.max_drift_ppm = config.max_drift_ppm;
  o.intensity = intensity;
  return o;
}

bool acceptable(const PlanCase& c, const CaseConfig& config) {
  if (!faults::validate_plan(c.plan, c.members + 1).ok()) return false;
  if (config.beyond_model) return true;
  faults::ModelLimits limits = faults::ModelLimits::for_cluster(c.members, config.max_drift_ppm);
  return faults::classify(c.plan, limits) == faults::Model::kInModel;
}

PlanCase with_events(const PlanCase& c, std::vector<FaultEvent> events) {
  PlanCase out = c;
  out.plan.events = std::move(events);
  faults::sort_events(out.plan);
  return out;
}

// Removing whole episodes, largest chunks first (RapidCheck's removeChunks order).
rc::Seq<PlanCase> remove_episodes(const PlanCase& c) {
  auto groups = std::make_shared<std::vector<std::vector<size_t>>>(faults::episodes(c.plan));
  std::vector<size_t> ids(groups->size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  return rc::seq::map(rc::shrink::removeChunks(ids), [c, groups](const std::vector<size_t>& kept) {
    std::vector<FaultEvent> events;
    std::vector<size_t> indices;
    for (size_t g : kept) indices.insert(indices.end(), (*groups)[g].begin(), (*groups)[g].end());
    std::sort(indices.begin(), indices.end());
    for (size_t i : indices) events.push_back(c.plan.events[i]);
    return with_events(c, std::move(events));
  });
}

rc::Seq<PlanCase> remove_events(const PlanCase& c) {
  return rc::seq::map(rc::shrink::removeChunks(c.plan.events),
                      [c](std::vector<FaultEvent> events) { return with_events(c, std::move(events)); });
}

// One member fewer: events naming the highest member go (a partition only loses it from its
// side), and the storage node's id moves down with the member count.
rc::Seq<PlanCase> fewer_members(const PlanCase& c, const CaseConfig& config) {
  if (c.members <= config.min_members) return rc::Seq<PlanCase>();
  const NodeId gone = c.members - 1, old_store = c.members, new_store = c.members - 1;
  auto remap = [&](NodeId n) { return n == old_store ? new_store : n; };
  PlanCase out = c;
  out.members = c.members - 1;
  out.plan.events.clear();
  for (FaultEvent e : c.plan.events) {
    if (e.kind == FaultKind::kPartition) {
      std::erase(e.a, gone);
      std::erase(e.b, gone);
      if (e.a.empty() || e.b.empty()) continue;
      for (auto& n : e.a) n = remap(n);
      for (auto& n : e.b) n = remap(n);
    } else if (e.kind == FaultKind::kClog || e.kind == FaultKind::kUnclog) {
      if (e.from == gone || e.to == gone) continue;
      e.from = remap(e.from);
      e.to = remap(e.to);
    } else if (e.kind != FaultKind::kHeal && e.kind != FaultKind::kNetwork && e.kind != FaultKind::kNetworkReset) {
      if (e.node == gone) continue;
      e.node = remap(e.node);
    }
    out.plan.events.push_back(std::move(e));
  }
  return rc::seq::just(std::move(out));
}

// Each paired episode ending halfway to its start; each pause half as long.
rc::Seq<PlanCase> shorter_episodes(const PlanCase& c) {
  std::vector<PlanCase> out;
  for (const auto& group : faults::episodes(c.plan)) {
    if (auto shorter = faults::shorten_episode(c.plan, group)) {
      PlanCase x = c;
      x.plan = std::move(*shorter);
      out.push_back(std::move(x));
    }
  }
  return rc::seq::fromContainer(std::move(out));
}

rc::Seq<PlanCase> milder_events(const PlanCase& c) {
  std::vector<PlanCase> out;
  for (size_t i = 0; i < c.plan.events.size(); ++i) {
    for (FaultEvent& m : faults::milder_variants(c.plan.events[i])) {
      PlanCase x = c;
      x.plan.events[i] = std::move(m);
      out.push_back(std::move(x));
    }
  }
  return rc::seq::fromContainer(std::move(out));
}

// Draws a case's unshrunk value from RapidCheck's random stream.
PlanCase draw_case(rc::Random random, const CaseConfig& config, std::optional<uint32_t> fixed_members) {
  if (config.generators.empty()) throw std::invalid_argument("CaseConfig.generators is empty");
  if (config.min_members < 1 || config.min_members > config.max_members) {
    throw std::invalid_argument("CaseConfig: need 1 <= min_members <= max_members");
  }
  auto below = [&random](uint64_t n) { return random.next() % n; };
  PlanCase c;
  c.seed = 1 + below(config.max_seed);
  c.members = fixed_members.value_or(config.min_members + static_cast<uint32_t>(below(config.max_members - config.min_members + 1)));
  c.safety_phase = config.safety_phase;
  const auto& [name, generate] = config.generators[below(config.generators.size())];
  c.generator = name;
  c.plan_seed = random.next();
  const double unit = static_cast<double>(below(1'000'001)) / 1e6;
  c.intensity = config.min_intensity + (config.max_intensity - config.min_intensity) * unit;
  Result<FaultPlan> plan = generate(c.plan_seed, gen_options(config, c.members, c.intensity));
  if (!plan) throw std::invalid_argument("fault plan generator " + name + ": " + plan.error().message);
  c.plan = std::move(*plan);
  c.original_events = c.plan.events.size();
  return c;
}

rc::Gen<PlanCase> make_gen(CaseConfig config, std::optional<uint32_t> fixed_members) {
  auto shared = std::make_shared<const CaseConfig>(std::move(config));
  if (fixed_members) {
    auto fixed = std::make_shared<CaseConfig>(*shared);
    fixed->min_members = fixed->max_members = *fixed_members;
    shared = fixed;
  }
  return rc::Gen<PlanCase>([shared, fixed_members](const rc::Random& random, int /*size*/) {
    PlanCase initial = draw_case(random, *shared, fixed_members);
    return rc::shrinkable::shrinkRecur(std::move(initial),
                                       [shared](const PlanCase& c) { return shrink_plan_case(c, *shared); });
  });
}

}  // namespace

std::vector<std::vector<size_t>> episodes(const FaultPlan& plan) { return faults::episodes(plan); }

rc::Seq<PlanCase> shrink_plan_case(const PlanCase& c, const CaseConfig& config) {
  auto cfg = std::make_shared<const CaseConfig>(config);
  return rc::seq::filter(rc::seq::concat(remove_episodes(c), remove_events(c), fewer_members(c, config),
                                         shorter_episodes(c), milder_events(c)),
                         [cfg](const PlanCase& x) { return acceptable(x, *cfg); });
}

rc::Gen<PlanCase> gen_plan_case(CaseConfig config) { return make_gen(std::move(config), std::nullopt); }

rc::Gen<faults::FaultPlan> gen_fault_plan(uint32_t members, CaseConfig config) {
  return rc::gen::map(make_gen(std::move(config), members), [](PlanCase c) { return std::move(c.plan); });
}

namespace {
CaseConfig plan_config(Duration safety_phase, bool beyond) {
  CaseConfig config;
  config.safety_phase = safety_phase;
  config.beyond_model = beyond;
  config.generators = {{"random", faults::random_plan},
                       {"swarm", faults::swarm_plan},
                       {"partition_heal_cycles", faults::partition_heal_cycles},
                       {"pause_storm", faults::pause_storm},
                       {"rolling_restarts", faults::rolling_restarts},
                       {"storage_node_crash", faults::storage_node_crash}};
  return config;
}
}  // namespace

rc::Gen<faults::FaultPlan> gen_in_model_plan(uint32_t members, Duration safety_phase) {
  return gen_fault_plan(members, plan_config(safety_phase, false));
}

rc::Gen<faults::FaultPlan> gen_beyond_model_plan(uint32_t members, Duration safety_phase) {
  return gen_fault_plan(members, plan_config(safety_phase, true));
}

rc::Gen<ClusterConfig> gen_cluster_config(uint32_t min_members, uint32_t max_members, Duration min_safety,
                                          Duration max_safety) {
  const int64_t lo = ms_of(min_safety) / 1000, hi = std::max(lo, ms_of(max_safety) / 1000);
  return rc::gen::map(rc::gen::pair(rc::gen::inRange<uint32_t>(min_members, max_members + 1),
                                    rc::gen::inRange<int64_t>(lo, hi + 1)),
                      [](std::pair<uint32_t, int64_t> p) {
                        return ClusterConfig{p.first, std::chrono::seconds(p.second)};
                      });
}

rc::Gen<WorkloadParams> gen_workload(uint32_t max_clients_per_member, uint32_t max_actors) {
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange<uint32_t>(1, max_clients_per_member + 1), rc::gen::inRange<uint32_t>(1, max_actors + 1),
                     rc::gen::inRange<int>(1, 20), rc::gen::inRange<int>(0, 100), rc::gen::inRange<int>(0, 11)),
      [](std::tuple<uint32_t, uint32_t, int, int, int> t) {
        WorkloadParams w;
        w.clients_per_member = std::get<0>(t);
        w.actors = std::get<1>(t);
        w.think_min = std::chrono::milliseconds(std::get<2>(t));
        w.think_max = w.think_min + std::chrono::milliseconds(std::get<3>(t));
        w.read_share = std::get<4>(t) / 10.0;
        w.cas_share = (1.0 - w.read_share) / 2;
        return w;
      });
}

void showValue(const PlanCase& c, std::ostream& os) {
  os << "seed " << c.seed << ", " << c.members << " members, safety phase " << ms_of(c.safety_phase) << "ms, "
     << c.plan.events.size() << " events (from " << c.generator << " plan_seed " << c.plan_seed << " intensity "
     << c.intensity << ", originally " << c.original_events << " events):\n"
     << faults::to_json(c.plan);
}

void showValue(const ClusterConfig& c, std::ostream& os) {
  os << c.members << " members, safety phase " << ms_of(c.safety_phase) << "ms";
}

void showValue(const WorkloadParams& w, std::ostream& os) {
  os << w.clients_per_member << " clients/member on " << w.actors << " actors, think " << ms_of(w.think_min) << "-"
     << ms_of(w.think_max) << "ms, reads " << w.read_share << ", cas " << w.cas_share;
}

}  // namespace orbit::properties
