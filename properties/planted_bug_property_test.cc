// Planted bugs as falsified properties: linked with one //bugs library (the BUILD passes its
// name in ORBIT_PLANTED_BUG), the property "every required checker passes for every in-model
// plan" of the scenario that exercises the bug MUST be falsified. The test then checks what
// the issue asks of a falsification: RapidCheck shrank the plan to a few events (goal <= 5),
// and the shrunk plan replays to an identical trace hash in two separate runs (and fails in
// both). It prints the numbers docs/PERFORMANCE.md records. The RapidCheck seed is fixed, so
// the hunt and the shrink are deterministic.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "properties/fault_plan_gen.h"
#include "properties/scenario_property.h"
#include "reports/run_report.h"
#include "runtime/env/planted_bugs.h"
#include "scenarios/scenario.h"

namespace orbit::properties {
namespace {

// Runs `command` in a shell and returns its stdout and exit status.
std::pair<std::string, int> shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {"popen failed", -1};
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

std::string trace_hash_line(const std::string& output) {
  const size_t at = output.find("trace hash");
  return at == std::string::npos ? "" : output.substr(at, output.find('\n', at) - at);
}

struct Hunt {
  env::PlantedBug bug;
  std::string scenario;
  uint64_t rc_seed;
  int max_cases;
};

// The scenario that exercises each bug (docs/SCENARIOS.md). Plans come from the scenario's
// own generator, on 3-5 members.
const Hunt* hunt_for(std::string_view name) {
  static const Hunt hunts[] = {
      {env::PlantedBug::kNoFencing, "stale-writer", 1, 40},
      {env::PlantedBug::kValidityFromReceipt, "lease-storm", 1, 150},
      {env::PlantedBug::kNoHashVerify, "snapshot-corruption", 1, 40},
      {env::PlantedBug::kReplyBeforeFsync, "counter", 1, 60},
      {env::PlantedBug::kAtLeastOnceRpc, "counter", 1, 100},
      {env::PlantedBug::kDirectoryNotRebuilt, "register", 1, 60},
  };
  for (const Hunt& h : hunts) {
    if (env::to_string(h.bug) == name) return &h;
  }
  return nullptr;
}

TEST(PlantedBugProperty, IsFalsifiedShrunkAndReplaysIdentically) {
  const char* name = std::getenv("ORBIT_PLANTED_BUG");
  ASSERT_NE(name, nullptr) << "set ORBIT_PLANTED_BUG (the BUILD does)";
  const Hunt* hunt = hunt_for(name);
  ASSERT_NE(hunt, nullptr) << "unknown planted bug " << name;
  ASSERT_TRUE(env::planted_bug(hunt->bug)) << "this binary does not link //bugs:" << name;
  const scenarios::ScenarioSpec* spec = scenarios::find_scenario(hunt->scenario);
  ASSERT_NE(spec, nullptr);

  CaseConfig config;
  config.min_members = 3;
  config.max_members = 5;
  // A 20 s safety phase and intensities from 0.6: enough faults for the shrinker to remove,
  // runs short enough for the shrink to take a minute or two.
  config.safety_phase = std::chrono::seconds(20);
  config.min_intensity = 0.6;
  config.beyond_model = spec->beyond_model;
  config.generators = {{"default", spec->default_plan}};
  rc::detail::TestParams params;
  params.seed = hunt->rc_seed;
  params.maxSuccess = hunt->max_cases;
  const std::string binary = "bazel-bin/bugs/orbit_sim_bug_" + std::string(name);
  const Falsification f = falsify("PlantedBugProperty/" + std::string(name), *spec, gen_plan_case(config), params,
                                  std::string("bug-") + name, binary);
  ASSERT_TRUE(f.falsified) << "planted bug " << name << " survived " << f.cases_passed << " cases of " << spec->name
                           << " (" << f.runs << " runs, " << f.total_seconds << " s)" << f.description;
  ASSERT_TRUE(f.minimal.has_value() && f.first.has_value());
  std::printf("falsified: %s\n%s\n", f.description.c_str(), f.rc_params.c_str());

  // Two separate runs of the shrunk plan: the same failure, the same trace hash.
  auto first = run_case(*spec, *f.minimal);
  auto second = run_case(*spec, *f.minimal);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->outcome, scenarios::Outcome::kPass);
  EXPECT_EQ(first->outcome, second->outcome);
  EXPECT_EQ(first->trace_hash, second->trace_hash);
  EXPECT_EQ(describe_failure(*first), describe_failure(*second));
  const std::string plan = write_case_plan(*f.minimal, std::string("bug-") + name, *first);

  std::printf(
      "PLANTED %s scenario=%s cases_before_failure=%d original_events=%zu shrunk_events=%zu members=%u->%u "
      "runs=%d find_s=%.1f find_and_shrink_s=%.1f trace_hash=%016llx failure=\"%s\"\n  replay: %s\n",
      name, spec->name.c_str(), f.cases_passed, f.first->plan.events.size(), f.minimal->plan.events.size(),
      f.first->members, f.minimal->members, f.runs, f.find_seconds, f.total_seconds,
      static_cast<unsigned long long>(first->trace_hash), describe_failure(*first).c_str(),
      [&] {
        std::string cmd = reports::repro_command(*first, plan);
        return cmd.replace(0, std::string_view("tools/orbit-sim").size(), binary);
      }()
          .c_str());
  EXPECT_LE(f.minimal->plan.events.size(), 5u) << "shrinking left " << f.minimal->plan.events.size() << " events";

  // The failure message names the plan file and the command; the RC_PARAMS string reproduces.
  EXPECT_NE(f.description.find("replay: " + binary + " run --scenario " + spec->name), std::string::npos) << f.description;
  EXPECT_NE(f.rc_params.find("RC_PARAMS=\"reproduce="), std::string::npos) << f.rc_params;
  EXPECT_TRUE(std::filesystem::exists(plan));

  // And the printed command itself, in two separate processes of the planted-bug binary (a
  // data dependency: bugs/orbit_sim_bug_<bug> under the test's runfiles), reports the same
  // trace hash as the in-process runs and a violation (exit 1).
  const std::string local_binary = "bugs/orbit_sim_bug_" + std::string(name);
  ASSERT_TRUE(std::filesystem::exists(local_binary)) << "run under bazel test (the binary is a data dependency)";
  std::string command = reports::repro_command(*first, plan);
  command.replace(0, std::string_view("tools/orbit-sim").size(), local_binary);
  const auto [out1, rc1] = shell(command);
  const auto [out2, rc2] = shell(command);
  EXPECT_EQ(rc1, 1) << out1;
  EXPECT_EQ(rc2, 1) << out2;
  char expected[64];
  std::snprintf(expected, sizeof expected, "%016llx", static_cast<unsigned long long>(first->trace_hash));
  EXPECT_NE(trace_hash_line(out1).find(expected), std::string::npos) << out1;
  EXPECT_EQ(trace_hash_line(out1), trace_hash_line(out2));
}

}  // namespace
}  // namespace orbit::properties
