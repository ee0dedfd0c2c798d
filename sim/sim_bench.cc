// Simulator speed. BM_EventLoop runs timer events through the World (the full path: queue,
// owner and incarnation checks, trace hash, executor context, clock conversion);
// BM_BaselineLoop runs the same pattern through the simplest possible loop, a
// std::priority_queue of (time, seq, callback): the practical limit. BM_PingPong5 counts
// simulated messages per wall second over the simulated network between 5 nodes.
#include <benchmark/benchmark.h>

#include <functional>
#include <queue>
#include <vector>

#include "runtime/env/task_scope.h"
#include "sim/world.h"

namespace orbit::sim {
namespace {

constexpr int kConcurrentTimers = 1000;

// Each of kConcurrentTimers timers re-arms itself with a pseudo-random delay.
class TimerNode final : public NodeProcess {
 public:
  explicit TimerNode(NodeContext& ctx) : ctx_(ctx) {
    for (int i = 0; i < kConcurrentTimers; ++i) arm(static_cast<uint64_t>(i));
  }

 private:
  void arm(uint64_t salt) {
    const Duration delay = std::chrono::microseconds(1 + (env::mix64(salt) % 1000));
    ctx_.executor().schedule_after(delay, [this, salt] { arm(salt + 0x9e3779b97f4a7c15ULL); });
  }
  NodeContext& ctx_;
};

void BM_EventLoop(benchmark::State& state) {
  WorldConfig config;
  config.nodes = 1;
  auto world = std::move(*World::create(1, config));
  world->set_boot([](NodeContext& ctx) -> std::unique_ptr<NodeProcess> { return std::make_unique<TimerNode>(ctx); });
  world->start();
  world->run_for(1ms);
  uint64_t events = 0;
  for (auto _ : state) {
    for (int i = 0; i < 10000; ++i) world->step();
    events += 10000;
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  benchmark::DoNotOptimize(world->trace_hash());
}
BENCHMARK(BM_EventLoop);

void BM_BaselineLoop(benchmark::State& state) {
  struct Event {
    int64_t time;
    uint64_t seq;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> queue;
  int64_t now = 0;
  uint64_t seq = 0;
  std::function<void(uint64_t)> arm = [&](uint64_t salt) {
    const int64_t delay = 1000 * static_cast<int64_t>(1 + (env::mix64(salt) % 1000));
    queue.push(Event{now + delay, seq++, [&arm, salt] { arm(salt + 0x9e3779b97f4a7c15ULL); }});
  };
  for (int i = 0; i < kConcurrentTimers; ++i) arm(static_cast<uint64_t>(i));
  uint64_t events = 0;
  for (auto _ : state) {
    for (int i = 0; i < 10000; ++i) {
      Event e = std::move(const_cast<Event&>(queue.top()));
      queue.pop();
      now = e.time;
      e.fn();
    }
    events += 10000;
  }
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BaselineLoop);

// Each node keeps kInFlight pings outstanding to random peers and answers every ping.
class PingPongNode final : public NodeProcess {
 public:
  static constexpr int kInFlight = 20;
  explicit PingPongNode(NodeContext& ctx) : ctx_(ctx) {
    ctx_.transport().set_receive_handler([this](NodeId from, Bytes frame) {
      if (frame[0] == 'p') {
        frame[0] = 'o';
        ctx_.transport().send(from, std::move(frame));
      } else {
        ping();
      }
    });
    for (int i = 0; i < kInFlight; ++i) ping();
  }

 private:
  void ping() {
    NodeId peer = static_cast<NodeId>(ctx_.random().below(4));
    if (peer >= ctx_.id()) ++peer;
    Bytes frame(16, 0);
    frame[0] = 'p';
    ctx_.transport().send(peer, std::move(frame));
  }
  NodeContext& ctx_;
};

void BM_PingPong5(benchmark::State& state) {
  WorldConfig config;
  config.nodes = 5;
  config.network.latency_min = 100us;
  config.network.latency_max = 2ms;
  auto world = std::move(*World::create(1, config));
  world->set_boot([](NodeContext& ctx) -> std::unique_ptr<NodeProcess> { return std::make_unique<PingPongNode>(ctx); });
  world->start();
  world->run_for(10ms);
  const uint64_t start = world->network_stats().delivered;
  const int64_t sim_start = world->now_ns();
  for (auto _ : state) world->run_for(10ms);
  const double delivered = static_cast<double>(world->network_stats().delivered - start);
  state.counters["messages_per_s"] = benchmark::Counter(delivered, benchmark::Counter::kIsRate);
  state.counters["sim_seconds"] = static_cast<double>(world->now_ns() - sim_start) / 1e9;
}
BENCHMARK(BM_PingPong5);

}  // namespace
}  // namespace orbit::sim

BENCHMARK_MAIN();
