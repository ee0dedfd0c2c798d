// What the typed history costs. BM_RecordTyped: one event appended to a History plus the
// trace-hash update (canonical bytes, XXH3, mix), the simulator's full recording path.
// BM_RecordJsonPeer: the same event the way sessions 1-2 recorded it (a JSON tree built,
// copied into the history, dumped to text and the text hashed): the peer to compare with,
// measured in the same run. BM_Checker/<name>: each checker over the history of a default
// run (register seed 1 for the register checkers, counter seed 1 for the others), reported
// per 10,000 client operations (counter "time_per_10k_ops", in seconds). BM_DefaultRun and
// BM_Judge give the checkers' share of a default run's wall time.
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

// A mix like a default run's, recorded the way the runtime does: an activation interns its
// actor and holder once; a client interns the actor name per operation and an empty error.
struct Names {
  explicit Names(History& h)
      : actors{h.intern("counter/c0"), h.intern("counter/c1")}, holder(h.intern("n2.b1.a7")),
        process(h.intern("n2.b1.c0")) {}
  Sym actors[2];
  Sym holder;
  Sym process;
};

Payload sample_event(History& h, const Names& n, uint64_t i) {
  const Sym actor = n.actors[i % 2];
  const auto v = static_cast<int64_t>(i);
  switch (i % 4) {
    case 0: return LeaseRenewed{actor, n.holder, v, 2600ms};
    case 1: return SnapshotWrite{actor, n.holder, v, 4, Sha256{}, true, StoreError::kNone};
    case 2: return OpInvoke{n.process, v, h.intern(i % 8 == 2 ? "counter/c0" : "counter/c1"), OpFunction::kAdd, 1, {}};
    default: return OpComplete{n.process, v, actor, OpType::kOk, std::nullopt, h.intern(""), false};
  }
}

void BM_RecordTyped(benchmark::State& state) {
  History h;
  Names names(h);
  sim::TraceHash trace;
  std::string buffer;
  uint64_t i = 0;
  for (auto _ : state) {
    const Event& e = h.append(static_cast<int64_t>(i), 2, sample_event(h, names, i));
    buffer.clear();
    encode_canonical(h, e, buffer);
    trace.mix(XXH3_64bits(buffer.data(), buffer.size()));
    ++i;
    if (h.size() >= 1'000'000) {
      state.PauseTiming();
      h = History();
      names = Names(h);
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
  state.counters["time_per_10k_ops"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * ops_count / 10'000.0,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// A default run end to end (the simulation, recording and judging), and the judge alone
// over its history: the checkers' share of a run's wall time is BM_Judge / BM_DefaultRun.
void BM_DefaultRun(benchmark::State& state, std::string scenario) {
  scenarios::RunOptions options;
  options.seed = 1;
  for (auto _ : state) {
    auto report = scenarios::run_scenario(*scenarios::find_scenario(scenario), options);
    benchmark::DoNotOptimize(report);
  }
}
BENCHMARK_CAPTURE(BM_DefaultRun, counter, std::string("counter"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DefaultRun, register, std::string("register"))->Unit(benchmark::kMillisecond);

void BM_Judge(benchmark::State& state, std::string scenario) {
  const History& history = *default_run(scenario).history;
  scenarios::JudgeSpec spec;
  spec.required_checkers = scenarios::find_scenario(scenario)->required_checkers;
  for (auto _ : state) {
    auto judged = scenarios::judge(history, spec, scenarios::context_from_history(history));
    benchmark::DoNotOptimize(judged);
  }
}
BENCHMARK_CAPTURE(BM_Judge, counter, std::string("counter"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Judge, register, std::string("register"))->Unit(benchmark::kMillisecond);

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
