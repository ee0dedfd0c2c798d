#include "reports/campaign_summary.h"

#include <algorithm>
#include <cstdio>

#include "faults/fault_plan.h"
#include "runtime/env/fault_sites.h"

namespace orbit::reports {
namespace {

using nlohmann::json;

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

unsigned long long u(uint64_t v) { return static_cast<unsigned long long>(v); }

double seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

}  // namespace

json campaign_run_line(const scenarios::RunReport& report, int64_t wall_ns) {
  json line{{"scenario", report.scenario},
            {"seed", report.seed},
            {"outcome", std::string(scenarios::to_string(report.outcome))},
            {"wall_ns", wall_ns},
            {"sim_ns", report.sim_time_ns},
            {"events", report.events_executed},
            {"ops", report.ops_invoked},
            {"in_model", report.plan_in_model},
            {"trace_hash", report.trace_hash}};
  json faults = json::object();
  for (const auto& [kind, n] : report.faults_injected) faults[kind] = n;
  line["faults"] = faults;
  json plan_kinds = json::object();
  for (const auto& e : report.plan.events) {
    const std::string kind(faults::to_string(e.kind));
    plan_kinds[kind] = plan_kinds.value(kind, uint64_t{0}) + 1;
  }
  line["plan_kinds"] = plan_kinds;
  json points = json::object();
  for (const auto& [site, c] : report.fault_points) points[site] = json{{"enabled", c.enabled}, {"fired", c.fired}};
  line["fault_points"] = points;
  json violated = json::array();
  json unknown = json::array();
  for (const auto& check : report.checks) {
    if (check.verdict == checkers::Verdict::kViolation) violated.push_back(check.checker);
    if (check.verdict == checkers::Verdict::kUnknown) unknown.push_back(check.checker);
  }
  line["checkers_violated"] = violated;
  line["checkers_unknown"] = unknown;
  if (report.outcome != scenarios::Outcome::kPass) {
    // Name the violation that decided the outcome: a safety one before a liveness one.
    std::string first;
    for (int pass = 0; pass < 2 && first.empty(); ++pass) {
      for (const auto& check : report.checks) {
        if (check.violations.empty() || (pass == 0 && check.checker == "liveness")) continue;
        first = check.checker + ": " + check.violations.front().explanation;
        break;
      }
    }
    for (const auto& check : report.checks) {
      if (first.empty() && check.verdict == checkers::Verdict::kUnknown) first = check.checker + ": unknown: " + check.note;
    }
    line["violation"] = first;
  }
  return line;
}

CampaignSummary::CampaignSummary(CampaignSetup setup) : setup_(std::move(setup)) {
  for (const auto& name : setup_.scenarios) by_scenario_[name];
  for (std::string_view kind : faults::fault_kind_names()) plan_kinds_[std::string(kind)];
  for (std::string_view site : env::sites::kAll) points_[std::string(site)];
}

bool CampaignSummary::add_run(const std::string& scenario, uint64_t seed, const json& line) {
  ++runs_;
  ScenarioTally& t = by_scenario_[scenario];
  ++t.runs;
  t.wall_ns += line.value("wall_ns", int64_t{0});
  t.sim_ns += line.value("sim_ns", int64_t{0});
  t.events += line.value("events", uint64_t{0});
  t.ops += line.value("ops", uint64_t{0});
  auto counts = [&](const char* field, std::map<std::string, KindTally>& into, std::vector<std::string>* names) {
    if (!line.contains(field) || !line[field].is_object()) return;
    for (const auto& [kind, n] : line[field].items()) {
      if (!n.is_number_integer() || n.get<int64_t>() <= 0) continue;
      ++into[kind].runs;
      into[kind].events += n.get<uint64_t>();
      if (names != nullptr) names->push_back(kind);
    }
  };
  std::vector<std::string> plan_kinds;
  counts("plan_kinds", plan_kinds_, &plan_kinds);
  counts("faults", history_kinds_, nullptr);
  if (line.contains("fault_points") && line["fault_points"].is_object()) {
    for (const auto& [site, p] : line["fault_points"].items()) {
      PointTally& point = points_[site];
      const uint64_t fired = p.value("fired", uint64_t{0});
      if (p.value("enabled", false)) ++point.runs_enabled;
      if (fired > 0) ++point.runs_fired;
      point.fired += fired;
    }
  }
  const std::string outcome = line.value("outcome", std::string("?"));
  if (outcome == "pass") {
    ++t.passed;
    ++passed_;
    return false;
  }
  Failure f;
  f.scenario = scenario;
  f.seed = seed;
  f.outcome = outcome;
  f.fault_kinds = plan_kinds;
  const char* checker_field = outcome == "unknown" ? "checkers_unknown" : "checkers_violated";
  if (line.contains(checker_field) && line[checker_field].is_array()) {
    for (const auto& c : line[checker_field]) {
      if (c.is_string()) f.checkers.push_back(c.get<std::string>());
    }
  }
  f.violation = line.value("violation", std::string());
  f.report = line.value("report", std::string());
  f.repro = f.report.empty() ? "tools/orbit-sim run --scenario " + scenario + " --seed " + std::to_string(seed) +
                                   (setup_.swarm ? " --swarm" : "")
                             : "tools/orbit-sim replay " + f.report;
  if (outcome == "unknown") {
    ++t.unknown;
    ++unknown_;
  } else {
    ++t.failed;
    ++failed_;
  }
  failures_.push_back(std::move(f));
  return true;
}

void CampaignSummary::add_crash(const std::string& scenario, uint64_t seed, const std::string& why) {
  ++runs_;
  ++failed_;
  ++crashed_;
  ScenarioTally& t = by_scenario_[scenario];
  ++t.runs;
  ++t.crashed;
  Failure f;
  f.scenario = scenario;
  f.seed = seed;
  f.outcome = "crash";
  f.checkers = {"crash"};
  f.violation = why;
  f.repro = "tools/orbit-sim run --scenario " + scenario + " --seed " + std::to_string(seed) + (setup_.swarm ? " --swarm" : "");
  failures_.push_back(std::move(f));
}

void CampaignSummary::finish(int64_t wall_ns, size_t runs_started) {
  wall_ns_ = wall_ns;
  runs_started_ = runs_started;
}

bool CampaignSummary::silent_fault_point() const {
  return std::any_of(points_.begin(), points_.end(), [](const auto& p) { return p.second.runs_enabled > 0 && p.second.fired == 0; });
}

json CampaignSummary::to_json() const {
  int64_t sim_ns = 0, worker_wall_ns = 0;
  uint64_t ops = 0, events = 0;
  json scenarios = json::object();
  for (const auto& [name, t] : by_scenario_) {
    sim_ns += t.sim_ns;
    worker_wall_ns += t.wall_ns;
    ops += t.ops;
    events += t.events;
    scenarios[name] = json{{"runs", t.runs},       {"passed", t.passed},   {"failed", t.failed},
                           {"unknown", t.unknown}, {"crashed", t.crashed}, {"sim_ns", t.sim_ns},
                           {"wall_ns", t.wall_ns}, {"events", t.events},   {"actor_calls", t.ops},
                           {"sim_per_wall", ratio(seconds(t.sim_ns), seconds(t.wall_ns))}};
  }
  json by_checker = json::object();
  json by_kind = json::object();
  json failures = json::array();
  for (const Failure& f : failures_) {
    const json seed{{"scenario", f.scenario}, {"seed", f.seed}};
    for (const auto& c : f.checkers) {
      json& entry = by_checker[c];
      if (entry.is_null()) entry = json{{"runs", 0}, {"seeds", json::array()}};
      entry["runs"] = entry["runs"].get<uint64_t>() + 1;
      entry["seeds"].push_back(seed);
    }
    for (const auto& k : f.fault_kinds) {
      json& entry = by_kind[k];
      if (entry.is_null()) entry = json{{"runs", 0}, {"seeds", json::array()}};
      entry["runs"] = entry["runs"].get<uint64_t>() + 1;
      entry["seeds"].push_back(seed);
    }
    failures.push_back(json{{"scenario", f.scenario},
                            {"seed", f.seed},
                            {"outcome", f.outcome},
                            {"checkers", f.checkers},
                            {"fault_kinds", f.fault_kinds},
                            {"violation", f.violation},
                            {"report", f.report.empty() ? json(nullptr) : json(f.report)},
                            {"repro", f.repro}});
  }
  json kinds = json::object();
  json kinds_unused = json::array();
  for (const auto& [kind, k] : plan_kinds_) {
    kinds[kind] = json{{"runs", k.runs}, {"events", k.events}};
    if (k.runs == 0) kinds_unused.push_back(kind);
  }
  json injected = json::object();
  for (const auto& [kind, k] : history_kinds_) injected[kind] = json{{"runs", k.runs}, {"events", k.events}};
  json points = json::object();
  json points_unfired = json::array();
  for (const auto& [site, p] : points_) {
    points[site] = json{{"runs_enabled", p.runs_enabled}, {"runs_fired", p.runs_fired}, {"fired", p.fired}};
    if (p.fired == 0) points_unfired.push_back(site);
  }
  const double wall_s = seconds(wall_ns_);
  return json{{"schema_version", kSummarySchemaVersion},
              {"scenarios", setup_.scenarios},
              {"first_seed", setup_.first_seed},
              {"seeds_per_scenario", setup_.seeds},
              {"jobs", setup_.jobs},
              {"swarm", setup_.swarm},
              {"runs", json{{"planned", setup_.runs_planned},
                            {"started", runs_started_},
                            {"run", runs_},
                            {"passed", passed_},
                            {"failed", failed_},
                            {"unknown", unknown_},
                            {"crashed", crashed_}}},
              {"by_scenario", scenarios},
              {"failures_by_checker", by_checker},
              {"failures_by_fault_kind", by_kind},
              {"fault_kind_coverage", json{{"plan_kinds", kinds}, {"never_planned", kinds_unused}, {"injected", injected}}},
              {"fault_point_coverage", json{{"sites", points}, {"never_fired", points_unfired}}},
              {"timing", json{{"wall_s", wall_s},
                              {"sim_s", seconds(sim_ns)},
                              {"worker_wall_s", seconds(worker_wall_ns)},
                              {"sim_per_wall_per_worker", ratio(seconds(sim_ns), seconds(worker_wall_ns))},
                              {"sim_per_wall", ratio(seconds(sim_ns), wall_s)},
                              {"seeds_per_s", ratio(static_cast<double>(runs_), wall_s)},
                              {"actor_calls", ops},
                              {"actor_calls_per_wall_s", ratio(static_cast<double>(ops), wall_s)},
                              {"actor_calls_per_wall_s_per_job",
                               ratio(static_cast<double>(ops), wall_s * static_cast<double>(std::max<size_t>(setup_.jobs, 1)))},
                              {"sim_events", events},
                              {"sim_events_per_wall_s", ratio(static_cast<double>(events), wall_s)}}},
              {"failures", failures},
              {"ok", ok()}};
}

std::string CampaignSummary::table() const {
  std::string out = format("\n%-20s %6s %6s %6s %7s %6s %10s %12s %12s\n", "scenario", "seeds", "pass", "fail", "unknown", "crash",
                           "sim/wall", "seeds/s/job", "Mevents/s");
  int64_t sim_ns = 0, worker_wall_ns = 0;
  uint64_t ops = 0;
  for (const auto& name : setup_.scenarios) {
    const auto it = by_scenario_.find(name);
    if (it == by_scenario_.end()) continue;
    const ScenarioTally& t = it->second;
    sim_ns += t.sim_ns;
    worker_wall_ns += t.wall_ns;
    ops += t.ops;
    const double ws = seconds(t.wall_ns);
    out += format("%-20s %6llu %6llu %6llu %7llu %6llu %9.0fx %12.1f %12.2f\n", name.c_str(), u(t.runs), u(t.passed),
                  u(t.failed), u(t.unknown), u(t.crashed), ratio(seconds(t.sim_ns), ws),
                  ratio(static_cast<double>(t.runs), ws), ratio(static_cast<double>(t.events), ws) / 1e6);
  }
  const double wall_s = seconds(wall_ns_);
  out += format("\ntotal: %llu runs in %.1f s wall on %zu jobs: %.1f seeds/s; simulated/wall %.0fx per worker, %.0fx overall; "
                "%.0f actor calls per wall second (%.0f per job)\n",
                u(runs_), wall_s, setup_.jobs, ratio(static_cast<double>(runs_), wall_s),
                ratio(seconds(sim_ns), seconds(worker_wall_ns)), ratio(seconds(sim_ns), wall_s),
                ratio(static_cast<double>(ops), wall_s),
                ratio(static_cast<double>(ops), wall_s * static_cast<double>(std::max<size_t>(setup_.jobs, 1))));
  out += format("outcomes: %llu passed, %llu failed (%llu crashed), %llu unknown\n", u(passed_), u(failed_), u(crashed_), u(unknown_));

  std::map<std::string, uint64_t> by_checker, by_kind;
  for (const Failure& f : failures_) {
    for (const auto& c : f.checkers) ++by_checker[c];
    for (const auto& k : f.fault_kinds) ++by_kind[k];
  }
  if (!failures_.empty()) {
    out += "failures by checker:    ";
    for (const auto& [c, n] : by_checker) out += c + "=" + std::to_string(n) + " ";
    out += "\nfailures by fault kind: ";
    for (const auto& [k, n] : by_kind) out += k + "=" + std::to_string(n) + " ";
    out += "\n";
  }
  out += "fault coverage (runs whose plan has the kind): ";
  std::string never;
  for (const auto& [kind, k] : plan_kinds_) {
    out += kind + "=" + std::to_string(k.runs) + " ";
    if (k.runs == 0) never += (never.empty() ? "" : ", ") + kind;
  }
  if (!never.empty()) out += "(never planned: " + never + ")";
  out += "\nfault events injected: ";
  for (const auto& [kind, k] : history_kinds_) out += kind + "=" + std::to_string(k.events) + " ";
  out += "\nfault points:   ";
  for (const auto& [site, p] : points_) {
    out += format("%s enabled in %llu runs, fired %llu; ", site.c_str(), u(p.runs_enabled), u(p.fired));
  }
  out += "\n";
  for (const Failure& f : failures_) {
    if (f.outcome == "crash") {
      out += "CRASH " + f.scenario + " seed " + std::to_string(f.seed) + " (" + f.violation + ")\n    repro: " + f.repro + "\n";
    } else {
      out += f.outcome + " " + f.scenario + " seed " + std::to_string(f.seed) + ": " + f.violation + "\n    repro: " +
             (f.report.empty() ? "tools/orbit-sim replay (no report)" : f.repro) + "\n";
    }
  }
  if (silent_fault_point()) out += "FAIL: a fault point was enabled but never fired: the campaign did not exercise it\n";
  out += format("%s: %llu passed, %llu failed\n", ok() ? "PASS" : "FAIL", u(passed_), u(failed_ + unknown_));
  return out;
}

}  // namespace orbit::reports
