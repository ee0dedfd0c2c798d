// TcpTransport throughput on loopback, two transports on one AsioExecutor (one thread, as a
// node runs): what the transport itself costs per frame, without the RPC layer above it.
//   bazel build //runtime/real:tcp_transport_bench && bazel-bin/runtime/real/tcp_transport_bench
//
//   BM_PingPong/<in flight>   A keeps <in flight> requests outstanding to B, and B answers
//                             each; items = round trips. The shape of orbit-cluster bench's
//                             remote calls (many clients, one request each in flight).
//   BM_Stream/<frame bytes>   A sends frames to B as fast as the loop allows; items = frames.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "runtime/env/random.h"
#include "runtime/real/asio_executor.h"
#include "runtime/real/tcp_transport.h"

namespace orbit::real {
namespace {

struct Pair {
  Pair() {
    a = open(1);
    b = open(2);
    a->set_peer(2, b->local_address());
    b->set_peer(1, a->local_address());
  }
  ~Pair() {
    a.reset();
    b.reset();
    executor.run_for(std::chrono::milliseconds(20));
  }
  std::unique_ptr<TcpTransport> open(env::NodeId id) {
    TcpTransportOptions options;
    options.self = id;
    auto t = TcpTransport::open(executor, options, env::Random(id));
    if (!t.ok()) std::abort();
    return std::move(t).value();
  }
  AsioExecutor executor;
  std::unique_ptr<TcpTransport> a;
  std::unique_ptr<TcpTransport> b;
};

constexpr int64_t kRoundTripsPerIteration = 20000;

void BM_PingPong(benchmark::State& state) {
  Pair pair;
  const auto in_flight = state.range(0);
  const Bytes request(64, 'q');
  const Bytes reply(64, 'r');
  int64_t replies = 0;
  int64_t sent = 0;
  int64_t target = 0;
  pair.b->set_receive_handler([&](env::NodeId from, Bytes) { pair.b->send(from, reply); });
  pair.a->set_receive_handler([&](env::NodeId, Bytes) {
    ++replies;
    if (sent < target) {
      ++sent;
      pair.a->send(2, request);
    }
  });
  for (auto _ : state) {
    target += kRoundTripsPerIteration;
    const int64_t goal = target;
    for (int64_t i = 0; i < in_flight && sent < target; ++i) {
      ++sent;
      pair.a->send(2, request);
    }
    if (!pair.executor.run_until([&] { return replies >= goal; }, std::chrono::seconds(60))) std::abort();
  }
  state.SetItemsProcessed(replies);
}

void BM_Stream(benchmark::State& state) {
  Pair pair;
  const Bytes frame(static_cast<size_t>(state.range(0)), 's');
  int64_t received = 0;
  int64_t goal = 0;
  pair.b->set_receive_handler([&](env::NodeId, Bytes) { ++received; });
  constexpr int64_t kFramesPerIteration = 20000;
  for (auto _ : state) {
    goal += kFramesPerIteration;
    // In slices, so the send queue (4096 frames) never overflows.
    for (int64_t sent = 0; sent < kFramesPerIteration; sent += 1000) {
      for (int i = 0; i < 1000; ++i) pair.a->send(2, frame);
      const int64_t slice_goal = goal - kFramesPerIteration + sent + 1000;
      if (!pair.executor.run_until([&] { return received >= slice_goal - 2000; }, std::chrono::seconds(60))) std::abort();
    }
    if (!pair.executor.run_until([&] { return received >= goal; }, std::chrono::seconds(60))) std::abort();
  }
  state.SetItemsProcessed(received);
  state.SetBytesProcessed(received * state.range(0));
}

BENCHMARK(BM_PingPong)->Arg(1)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stream)->Arg(100)->Arg(4096)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace orbit::real

BENCHMARK_MAIN();
