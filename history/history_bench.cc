// What the typed history costs. BM_RecordTyped: one event appended to a History plus the
// trace-hash update (canonical bytes, XXH3, mix), the simulator's full recording path.
// BM_RecordJsonPeer: the same event the way sessions 1-2 recorded it (a JSON tree built,
// copied into the history, dumped to text and the text hashed): the peer to compare with,
// measured in the same run. BM_Checker/<name>: each checker over the history of a default
// run (register seed 1 for the register checkers, counter seed 1 for the others), reported
// per 10,000 client operations (counter "ns_per_10k_ops").
#include <benchmark/benchmark.h>

#include <xxhash.h>

#include <nlohmann/json.hpp>

#include "history/canonical.h"
#include "history/history.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/checkers/client_ops.h"
#include "scenarios/scenario.h"
#include "sim/trace_hash.h"

namespace orbit::history {
namespace {

// A mix like a default run's: lease traffic, snapshot writes, client ops.
Payload sample_event(History& h, uint64_t i) {
  const Sym actor = h.intern(i % 2 == 0 ? "counter/c0" : "counter/c1");
  const Sym holder = h.intern("n2.b1.a7");
  switch (i % 4) {
    case 0: return LeaseRenewed{actor, holder, static_cast<int64_t>(i), 2600ms};
    case 1: return SnapshotWrite{actor, holder, static_cast<int64_t>(i), 4, Sha256{}, true, StoreError::kNone};
    case 2: return OpInvoke{h.intern("n2.b1.c0"), static_cast<int64_t>(i), actor, OpFunction::kAdd, 1, std::nullopt};
    default: return OpComplete{h.intern("n2.b1.c0"), static_cast<int64_t>(i), actor, OpType::kOk, std::nullopt, {}, false};
  }
}

void BM_RecordTyped(benchmark::State& state) {
  History h;
  sim::TraceHash trace;
  std::string buffer;
  uint64_t i = 0;
  for (auto _ : state) {
    const Event& e = h.append(static_cast<int64_t>(i), 2, sample_event(h, i));
    buffer.clear();
    encode_canonical(h, e, buffer);
    trace.mix(XXH3_64bits(buffer.data(), buffer.size()));
    ++i;
    if (h.size() >= 1'000'000) {
      state.PauseTiming();
      h = History();
      state.ResumeTiming();
    }
  }
  benchmark::DoNotOptimize(trace.value());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordTyped);

void BM_RecordJsonPeer(benchmark::State& state) {
  struct Old {
    int64_t t;
    int64_t node;
    std::string kind;
    nlohmann::json data;
  };
  std::vector<Old> events;
  sim::TraceHash trace;
  uint64_t i = 0;
  for (auto _ : state) {
    nlohmann::json data = {{"actor", i % 2 == 0 ? "counter/c0" : "counter/c1"},
                           {"holder", "n2.b1.a7"},
                           {"version", static_cast<int64_t>(i)},
                           {"valid_for_ns", int64_t{2'600'000'000}}};
    events.push_back(Old{static_cast<int64_t>(i), 2, "lease_renewed", data});
    nlohmann::json line = nlohmann::json::object();
    line["t"] = events.back().t;
    line["node"] = events.back().node;
    line["kind"] = events.back().kind;
    line["data"] = events.back().data;
    trace.mix_string(line.dump());
    ++i;
    if (events.size() >= 1'000'000) {
      state.PauseTiming();
      events.clear();
      state.ResumeTiming();
    }
  }
  benchmark::DoNotOptimize(trace.value());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordJsonPeer);

const scenarios::RunReport& default_run(const std::string& scenario) {
  static std::map<std::string, scenarios::RunReport> runs;
  auto it = runs.find(scenario);
  if (it == runs.end()) {
    scenarios::RunOptions options;
    options.seed = 1;
    auto report = scenarios::run_scenario(*scenarios::find_scenario(scenario), options);
    if (!report) std::abort();
    it = runs.emplace(scenario, std::move(*report)).first;
  }
  return it->second;
}

void BM_Checker(benchmark::State& state, std::string checker_name, std::string scenario) {
  const scenarios::RunReport& run = default_run(scenario);
  const History& history = *run.history;
  const checkers::Checker* checker = checkers::find_checker(checker_name);
  checkers::CheckContext context = scenarios::context_from_history(history);
  context.max_search_steps = 100'000'000;
  const checkers::ClientOps ops = checkers::read_client_ops(history);
  for (auto _ : state) {
    checkers::CheckResult r = checker->check(checkers::CheckInput{history, ops}, context);
    benchmark::DoNotOptimize(r);
  }
  const double ops_count = static_cast<double>(ops.ops.size());
  state.counters["client_ops"] = ops_count;
  state.counters["events"] = static_cast<double>(history.size());
  state.counters["ns_per_10k_ops"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * ops_count / 10'000.0,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_ReadClientOps(benchmark::State& state) {
  const History& history = *default_run("counter").history;
  for (auto _ : state) benchmark::DoNotOptimize(checkers::read_client_ops(history));
}
BENCHMARK(BM_ReadClientOps)->Unit(benchmark::kMicrosecond);

[[maybe_unused]] const bool kRegistered = [] {
  for (const auto& c : checkers::all_checkers()) {
    const std::string name(c->name());
    const std::string scenario = name == "linearizability" ? "register" : "counter";
    benchmark::RegisterBenchmark(("BM_Checker/" + name).c_str(), BM_Checker, name, scenario)
        ->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
}  // namespace orbit::history

BENCHMARK_MAIN();
