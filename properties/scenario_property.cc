#include "properties/scenario_property.h"

#include <gtest/gtest.h>
#include <rapidcheck/detail/Configuration.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/run_report.h"

namespace rc::detail {
// Defined in librapidcheck (the listener RC_GTEST_PROP reports to) but not declared in its
// public headers.
TestListener& globalTestListener();
}  // namespace rc::detail

namespace orbit::properties {
namespace fs = std::filesystem;

std::string output_dir() {
  const char* env = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  fs::path dir = env != nullptr && *env != '\0' ? fs::path(env) : fs::temp_directory_path() / "orbit-properties";
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir.string();
}

Result<scenarios::RunReport> run_case(const scenarios::ScenarioSpec& spec, const PlanCase& c) {
  scenarios::RunOptions options;
  options.seed = c.seed;
  options.plan = c.plan;
  options.members = c.members;
  options.safety_phase = c.safety_phase;
  return scenarios::run_scenario(spec, options);
}

namespace {

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ull;
  return h;
}

}  // namespace

std::string write_case_plan(const PlanCase& c, std::string_view tag, const scenarios::RunReport& report) {
  const std::string json = faults::to_json(c.plan);
  char hash[17];
  std::snprintf(hash, sizeof hash, "%08llx", static_cast<unsigned long long>(fnv1a(json) & 0xffffffffull));
  const fs::path path = fs::path(output_dir()) / (std::string(tag) + "-" + report.scenario + "-seed" +
                                                   std::to_string(c.seed) + "-" + hash + ".plan.json");
  std::ofstream out(path);
  out << json;
  return path.string();
}

std::string describe_failure(const scenarios::RunReport& report) {
  std::string text = "outcome " + std::string(scenarios::to_string(report.outcome));
  for (const auto& check : report.checks) {
    if (check.verdict == checkers::Verdict::kPass) continue;
    text += "; " + check.checker + ": " + std::string(checkers::to_string(check.verdict));
    if (!check.violations.empty()) text += " (" + check.violations.front().explanation.substr(0, 300) + ")";
    else if (!check.note.empty()) text += " (" + check.note.substr(0, 300) + ")";
  }
  return text;
}

void require_pass(const scenarios::ScenarioSpec& spec, const PlanCase& c, std::string_view tag, std::string_view binary) {
  Result<scenarios::RunReport> report = run_case(spec, c);
  if (!report) RC_FAIL("the case does not fit scenario " + spec.name + ": " + report.error().message);
  RC_TAG(report->plan.events.empty() ? "no fault events" : "with fault events");
  if (report->outcome == scenarios::Outcome::kPass) return;
  const std::string plan_path = write_case_plan(c, tag, *report);
  std::string command = reports::repro_command(*report, plan_path);
  if (binary != "tools/orbit-sim") command.replace(0, std::string_view("tools/orbit-sim").size(), binary);
  RC_FAIL(spec.name + " seed " + std::to_string(c.seed) + ": " + describe_failure(*report) + "\n  plan (" +
          std::to_string(c.plan.events.size()) + " events): " + plan_path + "\n  replay: " + command +
          "\n  trace hash: " + std::to_string(report->trace_hash));
}

namespace {

std::string reproduce_params(const std::string& id, const rc::detail::Reproduce& reproduce) {
  rc::detail::Configuration config = rc::detail::configuration();
  config.reproduce.clear();
  config.reproduce[id] = reproduce;
  return "RC_PARAMS=\"" + rc::detail::configToMinimalString(config) + "\"";
}

}  // namespace

void check_property(const std::string& id, std::function<void()> property, int min_cases) {
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = id;
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = std::max(params.maxSuccess, min_cases);
  const auto result = rc::detail::checkProperty(rc::detail::toProperty(property), metadata, params,
                                                rc::detail::globalTestListener(), rc::detail::configuration().reproduce);
  if (result.template is<rc::detail::SuccessResult>()) {
    const auto& success = result.template get<rc::detail::SuccessResult>();
    std::ostringstream ss;
    rc::detail::printResultMessage(result, ss);
    std::cout << id << ": " << ss.str() << " (" << success.numSuccess << " cases)\n";
    return;
  }
  std::ostringstream ss;
  rc::detail::printResultMessage(result, ss);
  if (result.template is<rc::detail::FailureResult>()) {
    ss << "\nTo reproduce the shrunk case: " << reproduce_params(id, result.template get<rc::detail::FailureResult>().reproduce)
       << " bazel-bin/<this test> --gtest_filter=" << id.substr(0, id.find('/')) << "." << id.substr(id.find('/') + 1);
  }
  ADD_FAILURE() << ss.str();
}

Falsification falsify(const std::string& id, const scenarios::ScenarioSpec& spec, rc::Gen<PlanCase> gen,
                      const rc::detail::TestParams& params, std::string_view tag, std::string_view binary) {
  Falsification out;
  const auto start = std::chrono::steady_clock::now();
  auto seconds_since = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const std::string tag_copy(tag), binary_copy(binary);
  auto property = [&]() {
    const PlanCase c = *gen;
    ++out.runs;
    try {
      require_pass(spec, c, tag_copy, binary_copy);
    } catch (...) {
      if (!out.first) {
        out.first = c;
        out.find_seconds = seconds_since();
      }
      out.minimal = c;
      throw;
    }
  };
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = id;
  const auto result = rc::detail::checkProperty(rc::detail::toProperty(property), metadata, params,
                                                rc::detail::globalTestListener(), rc::detail::configuration().reproduce);
  out.total_seconds = seconds_since();
  if (result.template is<rc::detail::FailureResult>()) {
    const auto& failure = result.template get<rc::detail::FailureResult>();
    out.falsified = true;
    out.cases_passed = failure.numSuccess;
    out.description = failure.description;
    out.rc_params = reproduce_params(id, failure.reproduce);
  } else if (result.template is<rc::detail::SuccessResult>()) {
    out.cases_passed = result.template get<rc::detail::SuccessResult>().numSuccess;
  } else {
    std::ostringstream ss;
    rc::detail::printResultMessage(result, ss);
    out.description = ss.str();
  }
  return out;
}

}  // namespace orbit::properties
