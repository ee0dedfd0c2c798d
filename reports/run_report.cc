#include "reports/run_report.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "history/canonical.h"
#include "reports/history_jsonl.h"
#include "sim/trace_hash.h"

namespace orbit::reports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string verdict_name(checkers::Verdict v) {
  switch (v) {
    case checkers::Verdict::kPass: return "pass";
    case checkers::Verdict::kViolation: return "violation";
    case checkers::Verdict::kUnknown: return "unknown";
  }
  return "?";
}

json holder_json(const checkers::HolderRef& h) {
  json j{{"holder", h.holder}, {"node", h.node}, {"event", h.event}};
  j["lease_version"] = h.lease_version ? json(*h.lease_version) : json(nullptr);
  return j;
}

json snapshot_json(const checkers::SnapshotRef& s) {
  return json{{"actor", s.actor},
              {"version", s.version},
              {"sha256", s.sha256},
              {"expected_sha256", s.expected_sha256},
              {"event", s.event}};
}

Result<void> write_text(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return Error{ErrorCode::kIo, "cannot write " + path.string()};
  return {};
}

}  // namespace

std::string trace_hash_version_mismatch(int report_version) {
  return "report trace-hash version " + std::to_string(report_version) + ", this binary " +
         std::to_string(sim::kTraceHashVersion) + ": re-run the seed instead of replaying";
}

std::string repro_command(const scenarios::RunReport& report, const std::string& plan_path) {
  std::string cmd = "tools/orbit-sim run --scenario " + report.scenario + " --seed " + std::to_string(report.seed) +
                    " --nodes " + std::to_string(report.members);
  cmd += " --duration " + std::to_string(report.safety_phase_ns / 1000000) + "ms";
  if (report.swarm) cmd += " --swarm";
  if (!plan_path.empty()) cmd += " --plan " + plan_path;
  return cmd;
}

json to_json(const scenarios::RunReport& report, int64_t wall_ns, const std::string& repro, const ReportFiles& files) {
  json checks = json::array();
  json violations = json::array();
  static const history::EventArena kNoEvents;
  const auto& events = report.history ? report.history->events() : kNoEvents;
  for (const auto& check : report.checks) {
    checks.push_back(json{{"checker", check.checker},
                          {"verdict", verdict_name(check.verdict)},
                          {"note", check.note},
                          {"violations", check.violations.size()}});
    for (const auto& v : check.violations) {
      json involved = json::array();
      for (size_t index : v.events) {
        if (index < events.size()) {
          json e = json::parse(render_event(*report.history, events[index]));
          e["index"] = index;
          involved.push_back(std::move(e));
        }
      }
      json entry{{"id", violations.size()},
                 {"checker", check.checker},
                 {"actor", v.actor},
                 {"explanation", v.explanation},
                 {"event_indices", v.events},
                 {"events", involved}};
      // The time the violation is about: its earliest event (the timeline opens there).
      entry["t_ns"] = involved.empty() ? json(nullptr) : involved.front()["t"];
      json holders = json::array();
      for (const auto& h : v.holders) holders.push_back(holder_json(h));
      entry["holders"] = holders;
      entry["snapshot"] = v.snapshot ? snapshot_json(*v.snapshot) : json(nullptr);
      violations.push_back(std::move(entry));
    }
  }
  // The violation that decided the outcome: the first safety one, else the first liveness one.
  json primary = nullptr;
  for (const json& v : violations) {
    if (v["checker"] != "liveness") {
      primary = v["id"];
      break;
    }
  }
  if (primary.is_null() && !violations.empty()) primary = violations.front()["id"];
  json faults = json::object();
  for (const auto& [kind, n] : report.faults_injected) faults[kind] = n;
  json points = json::object();
  for (const auto& [site, c] : report.fault_points) {
    points[site] = json{{"enabled", c.enabled}, {"reached", c.reached}, {"fired", c.fired}};
  }
  json j{{"schema_version", kReportSchemaVersion},
         {"scenario", report.scenario},
         {"seed", report.seed},
         {"config", json{{"members", report.members}, {"safety_phase_ns", report.safety_phase_ns}, {"swarm", report.swarm}}},
         {"plan", json::parse(faults::to_json(report.plan))},
         {"plan_in_model", report.plan_in_model},
         {"outcome", std::string(scenarios::to_string(report.outcome))},
         {"checks", checks},
         {"violations", violations},
         {"primary_violation", primary},
         {"metrics", json{{"events_executed", report.events_executed},
                          {"ops_invoked", report.ops_invoked},
                          {"ops_ok", report.ops_ok},
                          {"ops_failed", report.ops_failed},
                          {"ops_indeterminate", report.ops_indeterminate},
                          {"faults_injected", faults}}},
         {"fault_points", points},
         {"trace_hash", hex64(report.trace_hash)},
         {"trace_hash_version", sim::kTraceHashVersion},
         {"sim_time_ns", report.sim_time_ns},
         {"liveness_start_ns", report.liveness_start_ns},
         {"wall_time_ns", wall_ns},
         {"repro", repro},
         {"run_command", repro_command(report, files.plan)}};
  j["plan_file"] = files.plan.empty() ? json(nullptr) : json(files.plan);
  j["history"] = files.history.empty()
                     ? json(nullptr)
                     : json{{"file", files.history}, {"events", report.history ? report.history->size() : 0}};
  return j;
}

Result<std::string> write_run_report(const scenarios::RunReport& report, int64_t wall_ns, const std::string& dir) {
  const std::string stem = report.scenario + "-seed" + std::to_string(report.seed);
  const fs::path base = fs::path(dir);
  ReportFiles files;
  files.plan = stem + ".plan.json";
  if (auto r = write_text(base / files.plan, faults::to_json(report.plan)); !r) return r.error();
  if (report.history) {
    files.history = stem + ".history.jsonl";
    if (auto r = write_text(base / files.history, render_jsonl(*report.history)); !r) return r.error();
  }
  const std::string report_path = (base / (stem + ".report.json")).string();
  const json j = to_json(report, wall_ns, "tools/orbit-sim replay " + report_path, files);
  if (auto r = write_text(report_path, j.dump(2) + "\n"); !r) return r.error();
  return report_path;
}

Result<ReplayInput> parse_report(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Error{ErrorCode::kInvalidArgument, "report: not a JSON object"};
  auto need = [&](const char* field, bool ok) -> std::optional<Error> {
    if (!j.contains(field) || !ok) return Error{ErrorCode::kInvalidArgument, std::string("report: field \"") + field + "\" missing or of the wrong type"};
    return std::nullopt;
  };
  if (auto e = need("schema_version", j.contains("schema_version") && j["schema_version"].is_number_integer())) return *e;
  const int version = j["schema_version"].get<int>();
  if (version < kOldestReadableSchemaVersion || version > kReportSchemaVersion) {
    return Error{ErrorCode::kInvalidArgument, "report: schema_version " + j["schema_version"].dump() +
                                                  " is not supported (this build reads " +
                                                  std::to_string(kOldestReadableSchemaVersion) + " to " +
                                                  std::to_string(kReportSchemaVersion) + ")"};
  }
  if (auto e = need("scenario", j.contains("scenario") && j["scenario"].is_string())) return *e;
  if (auto e = need("seed", j.contains("seed") && j["seed"].is_number_unsigned())) return *e;
  if (auto e = need("config", j.contains("config") && j["config"].is_object() && j["config"].contains("members") &&
                                  j["config"]["members"].is_number_unsigned())) {
    return *e;
  }
  if (auto e = need("plan", j.contains("plan") && j["plan"].is_object())) return *e;
  if (auto e = need("trace_hash", j.contains("trace_hash") && j["trace_hash"].is_string())) return *e;
  ReplayInput in;
  in.scenario = j["scenario"].get<std::string>();
  in.seed = j["seed"].get<uint64_t>();
  in.members = j["config"]["members"].get<uint32_t>();
  const json& safety = j["config"].contains("safety_phase_ns") ? j["config"]["safety_phase_ns"] : json(0);
  if (!safety.is_number_integer()) return Error{ErrorCode::kInvalidArgument, "report: config.safety_phase_ns is not an integer"};
  in.safety_phase_ns = safety.get<int64_t>();
  auto plan = faults::parse_plan(j["plan"].dump(), in.members + 1);
  if (!plan) return Error{ErrorCode::kInvalidArgument, "report: plan: " + plan.error().message};
  in.plan = std::move(*plan);
  const std::string hash = j["trace_hash"].get<std::string>();
  if (hash.empty() || hash.size() > 16 || hash.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return Error{ErrorCode::kInvalidArgument, "report: trace_hash \"" + hash + "\" is not a 64-bit hex number"};
  }
  in.trace_hash = std::stoull(hash, nullptr, 16);
  if (j.contains("trace_hash_version")) {
    if (!j["trace_hash_version"].is_number_integer()) {
      return Error{ErrorCode::kInvalidArgument, "report: field \"trace_hash_version\" is not an integer"};
    }
    in.trace_hash_version = j["trace_hash_version"].get<int>();
  }
  in.outcome = j.contains("outcome") && j["outcome"].is_string() ? j["outcome"].get<std::string>() : std::string();
  return in;
}

Result<LoadedReport> load_report_with_history(const std::string& report_path) {
  std::ifstream in(report_path, std::ios::binary);
  if (!in) return Error{ErrorCode::kInvalidArgument, "cannot read " + report_path};
  std::stringstream text;
  text << in.rdbuf();
  auto replay = parse_report(text.str());
  if (!replay) return Error{ErrorCode::kInvalidArgument, report_path + ": " + replay.error().message};
  LoadedReport out;
  out.report = json::parse(text.str());

  const json& h = out.report.contains("history") ? out.report["history"] : json(nullptr);
  fs::path file;
  if (h.is_object() && h.contains("file") && h["file"].is_string()) {
    file = fs::path(report_path).parent_path() / h["file"].get<std::string>();
  } else if (h.is_string()) {
    // Real-mode reports (tools/orbit-cluster) name the merged history file directly.
    file = fs::path(report_path).parent_path() / h.get<std::string>();
  } else if (const std::string suffix = ".report.json"; report_path.size() > suffix.size() &&
                                                        report_path.ends_with(suffix)) {
    // Schema 1 named no history file; orbit-sim wrote it beside the report all the same.
    file = report_path.substr(0, report_path.size() - suffix.size()) + ".history.jsonl";
  }
  if (!file.empty()) {
    std::ifstream hin(file, std::ios::binary);
    if (hin) {
      std::stringstream lines;
      lines << hin.rdbuf();
      auto history = parse_jsonl(lines.str());
      if (!history) return Error{ErrorCode::kInvalidArgument, file.string() + ": " + history.error().message};
      out.history = std::move(*history);
      out.history_source = file.string();
      return out;
    }
  }

  if (out.report.value("mode", std::string()) == "real") {
    return Error{ErrorCode::kInvalidArgument, report_path + ": the history file " + file.string() +
                                                  " is missing, and a real-mode run cannot be simulated again"};
  }
  // No history file: the run is a function of (scenario, seed, plan), so simulate it again
  // (its trace hash only compares under the same canonical encoding).
  if (replay->trace_hash_version != sim::kTraceHashVersion) {
    return Error{ErrorCode::kInvalidArgument, report_path + ": its history file is missing, and " +
                                                  trace_hash_version_mismatch(replay->trace_hash_version)};
  }
  const auto* spec = scenarios::find_scenario(replay->scenario);
  if (spec == nullptr) return Error{ErrorCode::kInvalidArgument, report_path + ": unknown scenario '" + replay->scenario + "'"};
  scenarios::RunOptions options;
  options.seed = replay->seed;
  options.members = replay->members;
  options.plan = replay->plan;
  if (replay->safety_phase_ns > 0) options.safety_phase = Duration(replay->safety_phase_ns);
  auto run = scenarios::run_scenario(*spec, options);
  if (!run) return Error{ErrorCode::kInvalidArgument, report_path + ": re-simulating: " + to_string(run.error())};
  if (run->trace_hash != replay->trace_hash || !run->history) {
    return Error{ErrorCode::kInvalidArgument,
                 report_path + ": its history file is missing and re-simulating gave trace hash " + hex64(run->trace_hash) +
                     " instead of " + hex64(replay->trace_hash) +
                     " (was it written by another build, e.g. a planted-bug binary?)"};
  }
  out.history = *run->history;
  out.history_source = "re-simulated";
  return out;
}

}  // namespace orbit::reports
