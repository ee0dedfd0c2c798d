// orbit-sim: the simulator's command line.
//   run       one scenario, one seed (optionally a plan file); writes report.json on request
//   campaign  many seeds in parallel worker processes; the README's main job
//   replay    re-runs a report.json and checks the same trace hash and outcome come back
//   judge     judges a history file (JSON Lines) with a scenario's checkers (as orbit-cluster judge)
//   list      scenarios, fault kinds, fault points, checkers
//   timeline  a report drawn as one self-contained HTML file; export: its history (JSONL, EDN)
//   demo      the ping/pong demo world
// Exit codes: 0 all passed, 1 a violation (or a crash), 2 usage or input error, 4 a replay
// whose trace hash differs from its report (determinism broken).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "faults/fault_plan.h"
#include "faults/generators.h"
#include "history/canonical.h"
#include "reports/campaign_summary.h"
#include "reports/judge_command.h"
#include "reports/run_report.h"
#include "runtime/config/duration.h"
#include "runtime/env/fault_sites.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/scenario.h"
#include "sim/demo/ping_pong.h"
#include "sim/trace_hash.h"
#include "tools/report_commands.h"
#include "tools/shrink_command.h"
#include "tools/worker_pool.h"

namespace {

using orbit::Duration;
using orbit::scenarios::RunReport;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kExitPass = 0;
constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;
constexpr int kExitDiverged = 4;

int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

unsigned long long u(uint64_t v) { return static_cast<unsigned long long>(v); }

std::string known_scenarios() {
  std::string out;
  for (const auto& s : orbit::scenarios::all_scenarios()) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// --- run / worker ----------------------------------------------------------------------------

struct RunArgs {
  std::string scenario = "register";
  uint64_t seed = 1;
  std::string plan_path;
  uint32_t nodes = 0;
  std::string duration;
  bool swarm = false;
  std::string report_dir;
};

// Parses run arguments into options; prints the problem and returns nullopt on bad input.
std::optional<std::pair<const orbit::scenarios::ScenarioSpec*, orbit::scenarios::RunOptions>> prepare(const RunArgs& args) {
  const auto* spec = orbit::scenarios::find_scenario(args.scenario);
  if (spec == nullptr) {
    std::fprintf(stderr, "orbit-sim: unknown scenario '%s' (known: %s)\n", args.scenario.c_str(), known_scenarios().c_str());
    return std::nullopt;
  }
  orbit::scenarios::RunOptions options;
  options.seed = args.seed;
  options.swarm = args.swarm;
  if (args.nodes != 0) options.members = args.nodes;
  if (!args.duration.empty()) {
    auto d = orbit::config::parse_duration(args.duration);
    if (!d) {
      std::fprintf(stderr, "orbit-sim: --duration: %s\n", d.error().message.c_str());
      return std::nullopt;
    }
    options.safety_phase = *d;
  }
  if (!args.plan_path.empty()) {
    std::string error;
    auto text = read_file(args.plan_path, error);
    if (!text) {
      std::fprintf(stderr, "orbit-sim: --plan: %s\n", error.c_str());
      return std::nullopt;
    }
    const uint32_t members = options.members.value_or(spec->members);
    auto plan = orbit::faults::parse_plan(*text, members + 1);
    if (!plan) {
      std::fprintf(stderr, "orbit-sim: --plan %s: %s\n", args.plan_path.c_str(), plan.error().message.c_str());
      return std::nullopt;
    }
    options.plan = std::move(*plan);
  }
  return std::make_pair(spec, std::move(options));
}

std::string write_report(const RunReport& report, int64_t wall_ns, const std::string& dir) {
  auto path = orbit::reports::write_run_report(report, wall_ns, dir);
  if (!path) {
    std::fprintf(stderr, "orbit-sim: %s\n", path.error().message.c_str());
    return "(report not written)";
  }
  return *path;
}

void print_run(const RunReport& report, int64_t wall_ns, const std::string& repro) {
  const double sim_s = static_cast<double>(report.sim_time_ns) / 1e9;
  const double wall_s = static_cast<double>(wall_ns) / 1e9;
  std::printf("scenario     %s, seed %llu, %u members, plan of %zu fault events (%s)\n", report.scenario.c_str(), u(report.seed),
              report.members, report.plan.events.size(), report.plan_in_model ? "in-model" : "beyond-model");
  std::printf("outcome      %s\n", std::string(orbit::scenarios::to_string(report.outcome)).c_str());
  for (const auto& check : report.checks) {
    const char* verdict = check.verdict == orbit::checkers::Verdict::kPass ? "pass"
                          : check.verdict == orbit::checkers::Verdict::kViolation ? "VIOLATION" : "unknown";
    std::printf("  %-20s %-10s %s\n", check.checker.c_str(), verdict, check.note.c_str());
    for (size_t i = 0; i < check.violations.size() && i < 3; ++i) {
      std::printf("    - %s: %s\n", check.violations[i].actor.c_str(), check.violations[i].explanation.c_str());
    }
  }
  std::printf("operations   %llu invoked: %llu ok, %llu failed, %llu indeterminate\n", u(report.ops_invoked), u(report.ops_ok),
              u(report.ops_failed), u(report.ops_indeterminate));
  std::printf("trace hash   %016llx\n", u(report.trace_hash));
  std::printf("time         %.1f s simulated in %.3f s wall (%.0fx), %llu events (%.2f M events/s)\n", sim_s, wall_s,
              wall_s > 0 ? sim_s / wall_s : 0.0, u(report.events_executed),
              wall_s > 0 ? static_cast<double>(report.events_executed) / wall_s / 1e6 : 0.0);
  std::printf("repro        %s\n", repro.c_str());
}

// Runs the scenario the arguments describe; nullopt (after printing why) on bad input.
struct TimedRun {
  orbit::Result<RunReport> report;
  int64_t wall_ns;
};
std::optional<TimedRun> timed_run(const RunArgs& args) {
  auto prepared = prepare(args);
  if (!prepared) return std::nullopt;
  const int64_t start = wall_now_ns();
  auto report = orbit::scenarios::run_scenario(*prepared->first, prepared->second);
  return TimedRun{std::move(report), wall_now_ns() - start};
}

int cmd_run(const RunArgs& args) {
  auto run = timed_run(args);
  if (!run) return kExitUsage;
  auto& report = run->report;
  const int64_t wall = run->wall_ns;
  if (!report) {
    std::fprintf(stderr, "orbit-sim run: %s\n", orbit::to_string(report.error()).c_str());
    return kExitUsage;
  }
  std::string repro = orbit::reports::repro_command(*report, args.plan_path);
  if (!args.report_dir.empty()) {
    const std::string path = write_report(*report, wall, args.report_dir);
    repro = "tools/orbit-sim replay " + path;
    std::printf("report       %s\n", path.c_str());
  }
  print_run(*report, wall, repro);
  return report->outcome == orbit::scenarios::Outcome::kPass ? kExitPass : kExitViolation;
}

// One line of JSON on stdout for the campaign parent.
int cmd_worker(const RunArgs& args) {
  auto run = timed_run(args);
  if (!run) return kExitUsage;
  auto& report = run->report;
  const int64_t wall = run->wall_ns;
  if (!report) {
    std::printf("%s\n", json{{"error", orbit::to_string(report.error())}}.dump().c_str());
    return kExitUsage;
  }
  json line = orbit::reports::campaign_run_line(*report, wall);
  if (report->outcome != orbit::scenarios::Outcome::kPass && !args.report_dir.empty()) {
    line["report"] = write_report(*report, wall, args.report_dir);
  }
  std::printf("%s\n", line.dump().c_str());
  return report->outcome == orbit::scenarios::Outcome::kPass ? kExitPass : kExitViolation;
}

// --- campaign --------------------------------------------------------------------------------

struct CampaignArgs {
  std::vector<std::string> scenarios;
  uint64_t seeds = 0;
  uint64_t first_seed = 1;
  size_t jobs = 0;
  bool swarm = false;
  std::string out = "out/campaign";
  uint64_t max_failures = 0;  // 0: run everything
};

std::string format_eta(double seconds) {
  char buf[32];
  if (seconds < 60) std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  else std::snprintf(buf, sizeof buf, "%.0fm%02.0fs", seconds / 60, std::fmod(seconds, 60.0));
  return buf;
}

int cmd_campaign(const CampaignArgs& args, const std::string& self) {
  std::vector<std::string> names = args.scenarios;
  if (names.empty()) {
    for (const auto& s : orbit::scenarios::all_scenarios()) names.push_back(s.name);
  }
  for (const auto& name : names) {
    if (orbit::scenarios::find_scenario(name) == nullptr) {
      std::fprintf(stderr, "orbit-sim campaign: unknown scenario '%s' (known: %s)\n", name.c_str(), known_scenarios().c_str());
      return kExitUsage;
    }
  }
  const uint64_t seeds = args.seeds != 0 ? args.seeds : (args.scenarios.empty() ? 40 : 200);
  size_t jobs = args.jobs;
  if (jobs == 0) jobs = std::max<long>(1, sysconf(_SC_NPROCESSORS_ONLN));

  std::vector<std::vector<std::string>> commands;
  std::vector<std::pair<std::string, uint64_t>> what;
  for (uint64_t i = 0; i < seeds; ++i) {
    for (const auto& name : names) {
      const uint64_t seed = args.first_seed + i;
      std::vector<std::string> cmd{self, "worker", "--scenario", name, "--seed", std::to_string(seed), "--report", args.out};
      if (args.swarm) cmd.push_back("--swarm");
      commands.push_back(std::move(cmd));
      what.emplace_back(name, seed);
    }
  }
  std::fprintf(stderr, "orbit-sim campaign: %zu runs (%s x %llu seeds from %llu%s), %zu jobs; failing runs write reports to %s/\n",
               commands.size(), [&] { std::string s; for (auto& n : names) s += (s.empty() ? "" : ",") + n; return s; }().c_str(),
               u(seeds), u(args.first_seed), args.swarm ? ", swarm" : "", jobs, args.out.c_str());

  orbit::reports::CampaignSummary summary(
      orbit::reports::CampaignSetup{names, args.first_seed, seeds, jobs, args.swarm, commands.size()});
  const bool tty = isatty(STDERR_FILENO);
  const int64_t start = wall_now_ns();
  size_t done = 0;
  const size_t started = orbit::tools::run_jobs(commands, jobs, [&](const orbit::tools::JobResult& r) {
    ++done;
    const auto& [name, seed] = what[r.index];
    json line = json::parse(r.output.substr(0, r.output.find('\n')), nullptr, false);
    const bool parsed = !line.is_discarded() && line.is_object() && line.contains("outcome");
    if (r.signal != 0 || !parsed) {
      summary.add_crash(name, seed, r.signal ? "signal " + std::to_string(r.signal) : "exit " + std::to_string(r.exit_code));
    } else {
      summary.add_run(name, seed, line);
    }
    const double elapsed = static_cast<double>(wall_now_ns() - start) / 1e9;
    const double eta = done ? elapsed / done * (commands.size() - done) : 0;
    if (tty || done == commands.size() || done % 20 == 0) {
      const int width = 30;
      const int filled = static_cast<int>(width * done / commands.size());
      std::fprintf(stderr, "%s[%s%s] %zu/%zu  pass %llu  fail %llu  ETA %s%s", tty ? "\r" : "", std::string(filled, '#').c_str(),
                   std::string(width - filled, '-').c_str(), done, commands.size(), u(summary.passed()),
                   u(summary.failed() + summary.unknown()), format_eta(eta).c_str(), tty ? "   " : "\n");
    }
    return args.max_failures == 0 || summary.failed() + summary.unknown() < args.max_failures;
  });
  if (started < commands.size()) {
    std::fprintf(stderr, "orbit-sim campaign: stopped after %llu failure(s); %zu of %zu runs started\n",
                 u(summary.failed() + summary.unknown()), started, commands.size());
  }
  if (tty) std::fprintf(stderr, "\n");
  summary.finish(wall_now_ns() - start, started);
  const std::string summary_path = (fs::path(args.out) / "summary.json").string();
  if (!write_file(summary_path, summary.to_json().dump(2) + "\n")) {
    std::fprintf(stderr, "orbit-sim campaign: cannot write %s\n", summary_path.c_str());
  }
  std::printf("%s", summary.table().c_str());
  std::printf("summary: %s\n", summary_path.c_str());
  return summary.ok() ? kExitPass : kExitViolation;
}

// --- replay / list / demo ------------------------------------------------------------------------

int cmd_replay(const std::string& path) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) {
    std::fprintf(stderr, "orbit-sim replay: %s\n", error.c_str());
    return kExitUsage;
  }
  auto input = orbit::reports::parse_report(*text);
  if (!input) {
    std::fprintf(stderr, "orbit-sim replay: %s: %s\n", path.c_str(), input.error().message.c_str());
    return kExitUsage;
  }
  if (input->trace_hash_version != orbit::sim::kTraceHashVersion) {
    // A trace hash only compares under the canonical encoding it was computed over.
    std::fprintf(stderr, "orbit-sim replay: %s: %s\n", path.c_str(),
                 orbit::reports::trace_hash_version_mismatch(input->trace_hash_version).c_str());
    return kExitUsage;
  }
  const auto* spec = orbit::scenarios::find_scenario(input->scenario);
  if (spec == nullptr) {
    std::fprintf(stderr, "orbit-sim replay: %s: unknown scenario '%s'\n", path.c_str(), input->scenario.c_str());
    return kExitUsage;
  }
  orbit::scenarios::RunOptions options;
  options.seed = input->seed;
  options.members = input->members;
  options.plan = input->plan;
  if (input->safety_phase_ns > 0) options.safety_phase = Duration(input->safety_phase_ns);
  const int64_t start = wall_now_ns();
  auto report = orbit::scenarios::run_scenario(*spec, options);
  const int64_t wall = wall_now_ns() - start;
  if (!report) {
    std::fprintf(stderr, "orbit-sim replay: %s\n", orbit::to_string(report.error()).c_str());
    return kExitUsage;
  }
  print_run(*report, wall, "tools/orbit-sim replay " + path);
  const bool same_hash = report->trace_hash == input->trace_hash;
  const bool same_outcome = std::string(orbit::scenarios::to_string(report->outcome)) == input->outcome;
  std::printf("replay       %s: trace hash %s the report's (%016llx), outcome %s (%s)\n",
              same_hash && same_outcome ? "REPRODUCED" : "DIVERGED", same_hash ? "matches" : "differs from",
              u(input->trace_hash), same_outcome ? "matches" : "differs", input->outcome.c_str());
  if (!same_hash || !same_outcome) return kExitDiverged;
  return report->outcome == orbit::scenarios::Outcome::kPass ? kExitPass : kExitViolation;
}

int cmd_list() {
  std::printf("scenarios:\n");
  for (const auto& s : orbit::scenarios::all_scenarios()) std::printf("  %-20s %s\n", s.name.c_str(), s.description.c_str());
  std::printf("fault kinds:\n");
  for (const auto& k : orbit::faults::fault_kind_names()) std::printf("  %s\n", std::string(k).c_str());
  std::printf("fault presets:\n");
  for (const auto& p : orbit::faults::list_presets()) {
    std::printf("  %-24.*s %.*s\n", static_cast<int>(p.name.size()), p.name.data(), static_cast<int>(p.description.size()), p.description.data());
  }
  std::printf("fault points:\n");
  for (std::string_view site : orbit::env::sites::kAll) std::printf("  %.*s\n", static_cast<int>(site.size()), site.data());
  std::printf("checkers:\n");
  for (const auto& c : orbit::checkers::all_checkers()) {
    std::printf("  %-20s %s\n", std::string(c->name()).c_str(), std::string(orbit::checkers::to_string(c->checker_class())).c_str());
  }
  return kExitPass;
}

int cmd_demo(uint64_t seed, double seconds, uint32_t nodes, bool hash_only) {
  orbit::sim::demo::PingPongConfig config;
  config.nodes = nodes;
  config.duration = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
  auto run = orbit::sim::demo::run_ping_pong(seed, config);
  if (!run) {
    std::fprintf(stderr, "orbit-sim demo: %s\n", orbit::to_string(run.error()).c_str());
    return kExitUsage;
  }
  const auto& world = *run->world;
  if (hash_only) {
    std::printf("%016llx\n", u(world.trace_hash()));
    return kExitPass;
  }
  const auto& c = *run->counts;
  const auto& n = world.network_stats();
  const auto& s = world.stats();
  std::printf("orbit-sim demo: %u nodes ping/pong under 5%% loss, a crash+restart and a partition\n", nodes);
  std::printf("seed            %llu (%.1f s simulated)\n", u(seed), seconds);
  std::printf("trace hash      %016llx\n", u(world.trace_hash()));
  std::printf("events          %llu executed, %llu dropped (dead incarnations), %llu deferred (pauses)\n",
              u(s.events_executed), u(s.events_dropped), u(s.events_deferred));
  std::printf("messages        %llu sent, %llu delivered, %llu lost, %llu partitioned, %llu to down nodes\n", u(n.sent),
              u(n.delivered), u(n.lost), u(n.partitioned), u(n.to_down_node));
  std::printf("pings           %llu sent, %llu answered, %llu timed out; %llu peer-loss notices\n", u(c.pings_sent),
              u(c.pongs_received), u(c.timeouts), u(c.peers_lost));
  std::printf("history         %zu events\n", world.history().size());
  std::printf("replay          tools/orbit-sim demo --seed %llu --seconds %g --nodes %u\n", u(seed), seconds, nodes);
  return kExitPass;
}

void add_run_options(CLI::App* app, RunArgs& args) {
  app->add_option("--scenario", args.scenario, "scenario to run (see `list`)");
  app->add_option("--seed", args.seed, "the run's seed; the same seed and plan replay the same run bit for bit");
  app->add_option("--plan", args.plan_path, "fault plan JSON file (docs/FAULT_PLANS.md); default: generated from the seed");
  app->add_option("--nodes", args.nodes, "cluster members (3..64); default: the scenario's");
  app->add_option("--duration", args.duration, "safety phase length, e.g. 30s; default: the scenario's");
  app->add_flag("--swarm", args.swarm, "generate a swarm plan (a random subset of fault kinds and intensities)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"orbit-sim: deterministic simulation of an Orbit cluster"};
  app.require_subcommand(1);
  std::string self = argv[0];
  {
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) self = exe.string();
  }

  RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "Run one scenario for one seed and judge its history");
  add_run_options(run, run_args);
  run->add_option("--report", run_args.report_dir, "directory to write report.json (and the plan) into");

  RunArgs worker_args;
  CLI::App* worker = app.add_subcommand("worker", "(internal) one campaign run; prints a JSON line");
  add_run_options(worker, worker_args);
  worker->add_option("--report", worker_args.report_dir, "directory for failing runs' reports");
  worker->group("");

  CampaignArgs campaign_args;
  CLI::App* campaign = app.add_subcommand("campaign", "Run scenarios over many seeds in parallel; with no options: every scenario");
  campaign->add_option("--scenario", campaign_args.scenarios, "scenario(s) to run (default: all)");
  campaign->add_option("--seeds", campaign_args.seeds, "seeds per scenario (default: 40 for all scenarios, 200 for one)");
  campaign->add_option("--first-seed", campaign_args.first_seed, "first seed");
  campaign->add_option("--jobs", campaign_args.jobs, "parallel worker processes (default: CPUs)");
  campaign->add_flag("--swarm", campaign_args.swarm, "swarm plans: each seed picks its own fault kinds and intensities");
  campaign->add_option("--out", campaign_args.out, "where failing runs' reports go");
  campaign->add_option("--max-failures", campaign_args.max_failures,
                       "stop starting runs after this many failures (0: run all); a bug hunt uses 1");

  std::string replay_path;
  CLI::App* replay = app.add_subcommand("replay", "Re-run a report.json; checks trace hash and outcome");
  replay->add_option("report", replay_path, "report.json path")->required();

  orbit::tools::ReportCommands report_commands(app);

  orbit::reports::JudgeFileOptions judge_options;
  CLI::App* judge = app.add_subcommand("judge", "Judge a history file (JSON Lines) with a scenario's checkers, as orbit-cluster judge does");
  judge->add_option("history", judge_options.history_path, "history file, e.g. <report dir>/<scenario>-seed<N>.history.jsonl")->required();
  judge->add_option("--scenario", judge_options.scenario, "the scenario whose checkers judge it")->required();
  judge->add_option("--max-search-steps", judge_options.search_steps, "the linearizability checker's step budget (default: the simulator's)");

  std::string shrink_path, shrink_out;
  CLI::App* shrink = app.add_subcommand("shrink", "Minimise a failing run's plan (ddmin over events, then durations and intensities)");
  shrink->add_option("report", shrink_path, "report.json of a failing run")->required();
  shrink->add_option("-o,--out", shrink_out, "directory for the minimal plan and report (default: <report dir>/shrunk)");

  CLI::App* list = app.add_subcommand("list", "List scenarios, fault kinds, fault points and checkers");

  uint64_t demo_seed = 1;
  double demo_seconds = 10.0;
  uint32_t demo_nodes = 5;
  bool hash_only = false;
  CLI::App* demo = app.add_subcommand("demo", "The demo world: nodes ping/pong with timeouts under loss, a crash and a partition");
  demo->add_option("--seed", demo_seed, "the run's seed");
  demo->add_option("--seconds", demo_seconds, "simulated duration, in seconds")->check(CLI::Range(0.001, 86400.0));
  demo->add_option("--nodes", demo_nodes, "number of nodes (3..1000)")->check(CLI::Range(3u, 1000u));
  demo->add_flag("--hash-only", hash_only, "print only the trace hash");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (run->parsed()) return cmd_run(run_args);
  if (worker->parsed()) return cmd_worker(worker_args);
  if (campaign->parsed()) return cmd_campaign(campaign_args, self);
  if (replay->parsed()) return cmd_replay(replay_path);
  if (judge->parsed()) return orbit::reports::judge_history_file("orbit-sim", judge_options);
  if (auto rc = report_commands.run()) return *rc;
  if (shrink->parsed()) return orbit::tools::cmd_shrink(shrink_path, shrink_out);
  if (list->parsed()) return cmd_list();
  if (demo->parsed()) return cmd_demo(demo_seed, demo_seconds, demo_nodes, hash_only);
  return kExitUsage;
}
