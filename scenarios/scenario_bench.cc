// The simulator's speed on the default scenarios, at their default load (5 members and a
// storage node, 10 clients with 5-50 ms think time, the default fault plan, all required
// checkers): simulated actor calls (client operations, as the campaign counts them) and
// executed events per wall second on one core. docs/PERFORMANCE.md records the figures.
//
//   bazel run //scenarios:scenario_bench -- --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdio>

#include "scenarios/scenario.h"

namespace {

using orbit::scenarios::find_scenario;
using orbit::scenarios::RunOptions;

void run_default(benchmark::State& state, const char* name) {
  const auto* spec = find_scenario(name);
  if (spec == nullptr) {
    state.SkipWithError("unknown scenario");
    return;
  }
  uint64_t seed = 1;
  uint64_t calls = 0;
  uint64_t events = 0;
  for (auto _ : state) {
    RunOptions options;
    options.seed = seed++;
    auto report = orbit::scenarios::run_scenario(*spec, options);
    if (!report.ok()) {
      state.SkipWithError("run failed");
      return;
    }
    if (report->outcome != orbit::scenarios::Outcome::kPass) {
      // A speed figure of a run that fails is no figure: say which seed.
      std::fprintf(stderr, "%s seed %llu did not pass\n", name, static_cast<unsigned long long>(options.seed));
      state.SkipWithError("a seed failed its checks");
      return;
    }
    calls += report->ops_invoked;
    events += report->events_executed;
  }
  state.counters["calls_per_s"] = benchmark::Counter(static_cast<double>(calls), benchmark::Counter::kIsRate);
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["calls_per_run"] = benchmark::Counter(static_cast<double>(calls), benchmark::Counter::kAvgIterations);
}

void BM_RegisterDefault(benchmark::State& state) { run_default(state, "register"); }
void BM_CounterDefault(benchmark::State& state) { run_default(state, "counter"); }

BENCHMARK(BM_RegisterDefault)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CounterDefault)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
