// RocksDbProvider throughput: what orbit-store can acknowledge per second on this machine's
// disk, with every write synced (the production setting) and, for comparison, without.
//   bazel build //runtime/real:rocksdb_provider_bench && bazel-bin/runtime/real/rocksdb_provider_bench
// The store lives in $TEST_TMPDIR or /tmp (a real file system: the numbers are fsync-bound).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "runtime/env/manual_executor.h"
#include "runtime/env/task_scope.h"
#include "runtime/persistence/provider_conformance.h"
#include "runtime/persistence/snapshot_hash.h"
#include "runtime/real/rocksdb_provider.h"

namespace orbit::real {
namespace {

using persistence::ActorKey;
using persistence::Snapshot;

// Runs a call to completion: the flush it waits for is posted to the store's executor.
template <typename T>
Result<T> run(env::ManualExecutor& executor, Task<Result<T>> task) {
  return persistence::run_to_completion(std::move(task), [&executor] { executor.run_ready(); }, 10);
}

// One store in a fresh directory for one benchmark run.
struct Store {
  explicit Store(bool sync) {
    const char* base = std::getenv("TEST_TMPDIR");
    dir = std::string(base != nullptr ? base : "/tmp") + "/orbit-rocksdb-bench-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    auto opened = RocksDbProvider::open(RocksDbProviderOptions{dir, 3, sync}, executor);
    if (!opened.ok()) std::abort();
    provider = std::move(opened).value();
  }
  ~Store() {
    provider.reset();
    std::filesystem::remove_all(dir);
  }
  template <typename T>
  Result<T> call(Task<Result<T>> task) {
    return run(executor, std::move(task));
  }
  env::ManualExecutor executor;
  std::string dir;
  std::unique_ptr<RocksDbProvider> provider;
};

// write_snapshot of one actor, versions 1, 2, 3, ... (retention drops the oldest each time,
// so every write is a put plus a delete in one synced batch). Arg: state bytes.
void write_snapshot(benchmark::State& state, bool sync) {
  Store store(sync);
  const ActorKey key{"bench", "a"};
  auto lease = store.call(store.provider->acquire_lease(key, "holder", std::chrono::hours(1), {}));
  Snapshot s;
  s.key = key;
  s.state = Bytes(static_cast<size_t>(state.range(0)), 'x');
  s.sha256 = persistence::sha256_hex(s.state);
  s.fencing_token = lease->record.version;
  s.node = "bench";
  uint64_t version = 0;
  for (auto _ : state) {
    s.version = version + 1;
    if (!store.call(store.provider->write_snapshot(s, version)).ok()) std::abort();
    ++version;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
void BM_WriteSnapshotSync(benchmark::State& state) { write_snapshot(state, true); }
void BM_WriteSnapshotNoSync(benchmark::State& state) { write_snapshot(state, false); }

// acquire_lease of a fresh key each time: a grant to a new holder (version bump, one synced put).
void acquire(benchmark::State& state, bool sync) {
  Store store(sync);
  uint64_t n = 0;
  for (auto _ : state) {
    auto r = store.call(store.provider->acquire_lease(ActorKey{"bench", std::to_string(n++)}, "holder", std::chrono::seconds(10), {}));
    if (!r.ok() || !r->granted) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_AcquireLeaseSync(benchmark::State& state) { acquire(state, true); }
void BM_AcquireLeaseNoSync(benchmark::State& state) { acquire(state, false); }

// renew_lease of one held lease (the steady-state lease traffic of a running actor).
void BM_RenewLeaseSync(benchmark::State& state) {
  Store store(true);
  const ActorKey key{"bench", "r"};
  auto lease = store.call(store.provider->acquire_lease(key, "holder", std::chrono::seconds(10), {}));
  for (auto _ : state) {
    auto r = store.call(store.provider->renew_lease(key, "holder", lease->record.version, std::chrono::seconds(10)));
    if (!r.ok() || !r->granted) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}

// read_snapshots (served from the index: no disk).
void BM_ReadSnapshots(benchmark::State& state) {
  Store store(true);
  const ActorKey key{"bench", "a"};
  auto lease = store.call(store.provider->acquire_lease(key, "holder", std::chrono::hours(1), {}));
  for (uint64_t v = 0; v < 3; ++v) {
    Snapshot s;
    s.key = key;
    s.version = v + 1;
    s.state = Bytes(1024, 'y');
    s.fencing_token = lease->record.version;
    if (!store.call(store.provider->write_snapshot(s, v)).ok()) std::abort();
  }
  for (auto _ : state) benchmark::DoNotOptimize(store.call(store.provider->read_snapshots(key)));
  state.SetItemsProcessed(state.iterations());
}

// `state.range(0)` callers at once, each acquiring a fresh key: they are decided together and
// share one synced batch (group commit), as concurrent requests to orbit-store do.
void BM_AcquireLeaseSyncConcurrent(benchmark::State& state) {
  Store store(true);
  const size_t callers = static_cast<size_t>(state.range(0));
  uint64_t n = 0;
  for (auto _ : state) {
    size_t done = 0;
    TaskScope scope;
    for (size_t i = 0; i < callers; ++i) {
      scope.spawn([](RocksDbProvider* p, ActorKey key, size_t* finished) -> Task<void> {
        auto r = co_await p->acquire_lease(key, "holder", std::chrono::seconds(10), {});
        if (!r.ok() || !r->granted) std::abort();
        ++*finished;
      }(store.provider.get(), ActorKey{"bench", std::to_string(n++)}, &done));
    }
    store.executor.run_ready();
    if (done != callers) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(callers));
}

BENCHMARK(BM_AcquireLeaseSyncConcurrent)->Arg(8)->Arg(64)->UseRealTime();
BENCHMARK(BM_WriteSnapshotSync)->Arg(256)->Arg(16 << 10)->UseRealTime();
BENCHMARK(BM_WriteSnapshotNoSync)->Arg(256)->Arg(16 << 10)->UseRealTime();
BENCHMARK(BM_AcquireLeaseSync)->UseRealTime();
BENCHMARK(BM_AcquireLeaseNoSync)->UseRealTime();
BENCHMARK(BM_RenewLeaseSync)->UseRealTime();
BENCHMARK(BM_ReadSnapshots);

}  // namespace
}  // namespace orbit::real

BENCHMARK_MAIN();
