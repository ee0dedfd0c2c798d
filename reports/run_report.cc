#include "reports/run_report.h"

#include <cstdio>

namespace orbit::reports {
namespace {

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

}  // namespace

std::string repro_command(const scenarios::RunReport& report, const std::string& plan_path) {
  std::string cmd = "tools/orbit-sim run --scenario " + report.scenario + " --seed " + std::to_string(report.seed) +
                    " --nodes " + std::to_string(report.members);
  cmd += " --duration " + std::to_string(report.safety_phase_ns / 1000000) + "ms";
  if (report.swarm) cmd += " --swarm";
  if (!plan_path.empty()) cmd += " --plan " + plan_path;
  return cmd;
}

nlohmann::json to_json(const scenarios::RunReport& report, int64_t wall_ns, const std::string& repro) {
  using nlohmann::json;
  json checks = json::array();
  json violations = json::array();
  const auto& events = report.history ? report.history->events() : std::vector<sim::HistoryEvent>{};
  for (const auto& check : report.checks) {
    checks.push_back(json{{"checker", check.checker}, {"verdict", verdict_name(check.verdict)}, {"note", check.note}});
    for (const auto& v : check.violations) {
      json involved = json::array();
      for (size_t index : v.events) {
        if (index < events.size()) {
          json e = json::parse(events[index].to_json_line());
          e["index"] = index;
          involved.push_back(std::move(e));
        }
      }
      violations.push_back(json{{"checker", check.checker}, {"actor", v.actor}, {"explanation", v.explanation}, {"events", involved}});
    }
  }
  json faults = json::object();
  for (const auto& [kind, n] : report.faults_injected) faults[kind] = n;
  json points = json::object();
  for (const auto& [site, c] : report.fault_points) {
    points[site] = json{{"enabled", c.enabled}, {"reached", c.reached}, {"fired", c.fired}};
  }
  return json{{"schema_version", kReportSchemaVersion},
              {"scenario", report.scenario},
              {"seed", report.seed},
              {"config", json{{"members", report.members}, {"safety_phase_ns", report.safety_phase_ns}}},
              {"plan", json::parse(faults::to_json(report.plan))},
              {"plan_in_model", report.plan_in_model},
              {"outcome", std::string(scenarios::to_string(report.outcome))},
              {"checks", checks},
              {"violations", violations},
              {"metrics", json{{"events_executed", report.events_executed},
                               {"ops_invoked", report.ops_invoked},
                               {"ops_ok", report.ops_ok},
                               {"ops_failed", report.ops_failed},
                               {"ops_indeterminate", report.ops_indeterminate},
                               {"faults_injected", faults}}},
              {"fault_points", points},
              {"trace_hash", hex64(report.trace_hash)},
              {"sim_time_ns", report.sim_time_ns},
              {"liveness_start_ns", report.liveness_start_ns},
              {"wall_time_ns", wall_ns},
              {"repro", repro}};
}

Result<ReplayInput> parse_report(std::string_view text) {
  using nlohmann::json;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Error{ErrorCode::kInvalidArgument, "report: not a JSON object"};
  auto need = [&](const char* field, bool ok) -> std::optional<Error> {
    if (!j.contains(field) || !ok) return Error{ErrorCode::kInvalidArgument, std::string("report: field \"") + field + "\" missing or of the wrong type"};
    return std::nullopt;
  };
  if (auto e = need("schema_version", j.contains("schema_version") && j["schema_version"].is_number_integer())) return *e;
  if (j["schema_version"].get<int>() != kReportSchemaVersion) {
    return Error{ErrorCode::kInvalidArgument, "report: schema_version " + j["schema_version"].dump() + " is not supported (this build reads " +
                                                  std::to_string(kReportSchemaVersion) + ")"};
  }
  if (auto e = need("scenario", j.contains("scenario") && j["scenario"].is_string())) return *e;
  if (auto e = need("seed", j.contains("seed") && j["seed"].is_number_unsigned())) return *e;
  if (auto e = need("config", j.contains("config") && j["config"].is_object() && j["config"].contains("members"))) return *e;
  if (auto e = need("plan", j.contains("plan") && j["plan"].is_object())) return *e;
  if (auto e = need("trace_hash", j.contains("trace_hash") && j["trace_hash"].is_string())) return *e;
  ReplayInput in;
  in.scenario = j["scenario"].get<std::string>();
  in.seed = j["seed"].get<uint64_t>();
  in.members = j["config"]["members"].get<uint32_t>();
  in.safety_phase_ns = j["config"].value("safety_phase_ns", int64_t{0});
  auto plan = faults::parse_plan(j["plan"].dump(), in.members + 1);
  if (!plan) return Error{ErrorCode::kInvalidArgument, "report: plan: " + plan.error().message};
  in.plan = std::move(*plan);
  in.trace_hash = std::stoull(j["trace_hash"].get<std::string>(), nullptr, 16);
  in.outcome = j.value("outcome", std::string());
  return in;
}

}  // namespace orbit::reports
