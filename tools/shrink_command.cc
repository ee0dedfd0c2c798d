#include "tools/shrink_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "faults/shrink_steps.h"

namespace orbit::tools {
namespace {

using faults::FaultEvent;
using faults::FaultPlan;

class Shrinker {
 public:
  Shrinker(const scenarios::ScenarioSpec& spec, const reports::ReplayInput& input,
           const std::function<void(const std::string&)>& progress)
      : spec_(spec), input_(input), progress_(progress) {}

  Result<scenarios::RunReport> run(const FaultPlan& plan) {
    ++runs_;
    scenarios::RunOptions options;
    options.seed = input_.seed;
    options.plan = plan;
    options.members = input_.members;
    options.safety_phase = Duration(input_.safety_phase_ns);
    return scenarios::run_scenario(spec_, options);
  }

  // The same failure: one of the original failing checkers reports a violation again.
  bool still_fails(const FaultPlan& plan) {
    if (!faults::validate_plan(plan, input_.members + 1).ok()) return false;
    auto report = run(plan);
    if (!report) return false;
    for (const auto& check : report->checks) {
      if (check.verdict == checkers::Verdict::kViolation && targets_.contains(check.checker)) return true;
    }
    return false;
  }

  // Zeller's ddmin: the smallest subset of events (1-minimal) that still fails.
  FaultPlan ddmin(FaultPlan plan) {
    size_t n = 2;
    while (plan.events.size() >= 2) {
      const size_t size = plan.events.size();
      n = std::min(n, size);
      bool reduced = false;
      // Try each chunk alone, then each complement.
      for (int complement = 0; complement < 2 && !reduced; ++complement) {
        for (size_t i = 0; i < n && !reduced; ++i) {
          const size_t begin = i * size / n, end = (i + 1) * size / n;
          FaultPlan candidate = plan;
          candidate.events.clear();
          for (size_t k = 0; k < size; ++k) {
            const bool inside = k >= begin && k < end;
            if (inside != static_cast<bool>(complement)) candidate.events.push_back(plan.events[k]);
          }
          if (candidate.events.size() == size || !still_fails(candidate)) continue;
          plan = std::move(candidate);
          n = complement ? std::max<size_t>(n - 1, 2) : 2;
          reduced = true;
          note("events: " + std::to_string(plan.events.size()));
        }
      }
      if (!reduced) {
        if (n >= size) break;
        n = std::min(size, n * 2);
      }
    }
    if (plan.events.size() == 1) {
      FaultPlan none = plan;
      none.events.clear();
      if (still_fails(none)) {
        plan = std::move(none);
        note("events: 0");
      }
    }
    return plan;
  }

  FaultPlan shorten(FaultPlan plan) {
    for (bool progress = true; progress;) {
      progress = false;
      for (const auto& group : faults::episodes(plan)) {
        auto shorter = faults::shorten_episode(plan, group);
        if (shorter && still_fails(*shorter)) {
          plan = std::move(*shorter);
          progress = true;
          note("shorter episode at " + std::to_string(plan.events[group[0]].at_ns / 1'000'000) + "ms");
          break;
        }
      }
    }
    return plan;
  }

  FaultPlan soften(FaultPlan plan) {
    for (bool progress = true; progress;) {
      progress = false;
      for (size_t i = 0; i < plan.events.size() && !progress; ++i) {
        for (FaultEvent& milder : faults::milder_variants(plan.events[i])) {
          FaultPlan candidate = plan;
          candidate.events[i] = std::move(milder);
          if (still_fails(candidate)) {
            plan = std::move(candidate);
            progress = true;
            note("milder " + std::string(faults::to_string(plan.events[i].kind)) + " event");
            break;
          }
        }
      }
    }
    return plan;
  }

  std::set<std::string> targets_;
  uint64_t runs_ = 0;

 private:
  void note(const std::string& line) {
    if (progress_) progress_("  " + line + " (run " + std::to_string(runs_) + ")");
  }
  const scenarios::ScenarioSpec& spec_;
  const reports::ReplayInput& input_;
  const std::function<void(const std::string&)>& progress_;
};

}  // namespace

Result<ShrinkResult> shrink_run(const reports::ReplayInput& input, const std::function<void(const std::string&)>& progress) {
  const scenarios::ScenarioSpec* spec = scenarios::find_scenario(input.scenario);
  if (spec == nullptr) return Error{ErrorCode::kInvalidArgument, "unknown scenario \"" + input.scenario + "\""};
  Shrinker shrinker(*spec, input, progress);
  ShrinkResult result;
  auto original = shrinker.run(input.plan);
  if (!original) return original.error();
  for (const auto& check : original->checks) {
    if (check.verdict == checkers::Verdict::kViolation) result.target_checkers.insert(check.checker);
  }
  if (result.target_checkers.empty()) {
    return Error{ErrorCode::kInvalidArgument, "the run does not fail (outcome " +
                                                  std::string(scenarios::to_string(original->outcome)) +
                                                  "): nothing to shrink"};
  }
  shrinker.targets_ = result.target_checkers;
  FaultPlan plan = shrinker.ddmin(input.plan);
  plan = shrinker.shorten(std::move(plan));
  plan = shrinker.soften(std::move(plan));
  auto minimal = shrinker.run(plan);
  if (!minimal) return minimal.error();
  result.original = std::move(*original);
  result.minimal = std::move(*minimal);
  result.runs = shrinker.runs_;
  return result;
}

int cmd_shrink(const std::string& report_path, const std::string& out_dir) {
  std::ifstream in(report_path);
  if (!in) {
    std::fprintf(stderr, "orbit-sim shrink: cannot read %s\n", report_path.c_str());
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto input = reports::parse_report(text.str());
  if (!input) {
    std::fprintf(stderr, "orbit-sim shrink: %s: %s\n", report_path.c_str(), input.error().message.c_str());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  std::printf("shrinking %s seed %llu: %zu events, %u members\n", input->scenario.c_str(),
              static_cast<unsigned long long>(input->seed), input->plan.events.size(), input->members);
  std::fflush(stdout);
  auto result = shrink_run(*input, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  });
  if (!result) {
    std::fprintf(stderr, "orbit-sim shrink: %s\n", result.error().message.c_str());
    return 2;
  }
  const int64_t wall_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  const std::string dir = out_dir.empty()
                              ? (std::filesystem::path(report_path).parent_path() / "shrunk").string()
                              : out_dir;
  auto written = reports::write_run_report(result->minimal, wall_ns, dir);
  if (!written) {
    std::fprintf(stderr, "orbit-sim shrink: %s\n", written.error().message.c_str());
    return 2;
  }
  std::string checkers;
  for (const auto& c : result->target_checkers) checkers += (checkers.empty() ? "" : ", ") + c;
  const std::string plan_path =
      (std::filesystem::path(dir) / (result->minimal.scenario + "-seed" + std::to_string(result->minimal.seed) + ".plan.json"))
          .string();
  std::printf("shrunk       %zu -> %zu fault events in %llu runs, %.1f s (still failing: %s)\n",
              result->original.plan.events.size(), result->minimal.plan.events.size(),
              static_cast<unsigned long long>(result->runs), wall_ns / 1e9, checkers.c_str());
  std::printf("outcome      %s, trace hash %016llx\n", std::string(scenarios::to_string(result->minimal.outcome)).c_str(),
              static_cast<unsigned long long>(result->minimal.trace_hash));
  std::printf("report       %s\n", written->c_str());
  std::printf("plan         %s\n", plan_path.c_str());
  std::printf("repro        %s\n", reports::repro_command(result->minimal, plan_path).c_str());
  return 0;
}

}  // namespace orbit::tools
