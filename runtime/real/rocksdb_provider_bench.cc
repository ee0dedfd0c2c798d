// RocksDbProvider throughput: what orbit-store can acknowledge per second on this machine's
// disk, with every write synced (the production setting) and, for comparison, without.
//   bazel build //runtime/real:rocksdb_provider_bench && bazel-bin/runtime/real/rocksdb_provider_bench
// The store lives in $TEST_TMPDIR or /tmp (a real file system: the numbers are fsync-bound).
//
// The store path against its practical limit (issue 13): at 64 concurrent callers,
//   BM_StoreWriteSnapshotConcurrent   RocksDbProvider::write_snapshot, every caller writing
//                                     the next version of its own actor and handing its
//                                     snapshot over (the Snapshot&& overload, as the
//                                     storage server does with the one it decoded);
//   BM_RawRocksDbWriteBatchConcurrent the same RocksDB work with nothing around it: one
//                                     WriteBatch per round of callers (the provider's group
//                                     commit: every call decided before the flush joins one
//                                     batch), a put of the new version and a delete of the
//                                     one retention drops per caller, keys and values of the
//                                     provider's own sizes, the provider's DB options and
//                                     the same WriteOptions.sync.
// Both report items_per_second = acknowledged writes per second; compare them from one run:
//   bazel-bin/runtime/real/rocksdb_provider_bench --benchmark_filter=Concurrent
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

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

// ---- The store path against raw RocksDB (64 concurrent callers) -------------------------

constexpr size_t kRetainedVersions = 3;  // Store's, and orbit-store's default

std::string bench_dir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  return std::string(base != nullptr ? base : "/tmp") + "/orbit-rocksdb-bench-" + name + "-" + std::to_string(::getpid());
}

// The snapshot one caller writes: its own actor, a state of `bytes` bytes.
Snapshot caller_snapshot(size_t caller, size_t bytes, uint64_t fencing_token) {
  Snapshot s;
  s.key = ActorKey{"bench", "w" + std::to_string(caller)};
  s.state = Bytes(bytes, static_cast<uint8_t>('a' + caller % 26));
  s.sha256 = persistence::sha256_hex(s.state);
  s.fencing_token = fencing_token;
  s.node = "bench";
  return s;
}

// The DB options RocksDbProvider::open() sets.
rocksdb::Options provider_db_options() { return RocksDbProvider::db_options(); }

// The key and value sizes the provider stores for one snapshot of `state_bytes`: written
// by a real provider, then read back from its RocksDB directory, so the raw benchmark
// writes records of the same size whatever the provider's record format is.
struct RecordShape {
  size_t key_bytes = 0;
  size_t value_bytes = 0;
};
RecordShape provider_record_shape(size_t state_bytes) {
  const std::string dir = bench_dir("shape");
  std::filesystem::remove_all(dir);
  {
    env::ManualExecutor executor;
    auto opened = RocksDbProvider::open(RocksDbProviderOptions{dir, kRetainedVersions, false}, executor);
    if (!opened.ok()) std::abort();
    std::unique_ptr<RocksDbProvider> provider = std::move(opened).value();
    const ActorKey key = caller_snapshot(0, 0, 0).key;
    auto lease = run(executor, provider->acquire_lease(key, "holder", std::chrono::hours(1), {}));
    if (!lease.ok()) std::abort();
    Snapshot s = caller_snapshot(0, state_bytes, lease->record.version);
    s.version = 1;
    if (!run(executor, provider->write_snapshot(s, 0)).ok()) std::abort();
  }
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir, &raw).ok()) std::abort();
  std::unique_ptr<rocksdb::DB> db(raw);
  RecordShape shape;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("s:"); it->Valid() && it->key().starts_with("s:"); it->Next()) {
    shape = RecordShape{it->key().size(), it->value().size()};
  }
  it.reset();
  db.reset();
  std::filesystem::remove_all(dir);
  if (shape.value_bytes == 0) std::abort();  // the provider's snapshot keys are not "s:..." any more
  return shape;
}

// Args: callers, state bytes. Each round, every caller writes the next version of its own
// actor; all of them are decided before the flush runs, so a round is one synced batch.
void BM_StoreWriteSnapshotConcurrent(benchmark::State& state) {
  const size_t callers = static_cast<size_t>(state.range(0));
  const size_t bytes = static_cast<size_t>(state.range(1));
  Store store(true);
  std::vector<Snapshot> snapshots;
  for (size_t i = 0; i < callers; ++i) {
    const ActorKey key = caller_snapshot(i, 0, 0).key;
    auto lease = store.call(store.provider->acquire_lease(key, "holder", std::chrono::hours(1), {}));
    if (!lease.ok() || !lease->granted) std::abort();
    snapshots.push_back(caller_snapshot(i, bytes, lease->record.version));
  }
  const uint64_t batches_before = store.provider->batches_written();
  const uint64_t calls_before = store.provider->calls_committed();
  for (auto _ : state) {
    size_t done = 0;
    TaskScope scope;
    for (Snapshot& s : snapshots) {
      const uint64_t expected = s.version;
      ++s.version;
      scope.spawn([](RocksDbProvider* p, Snapshot copy, uint64_t expected_version, size_t* finished) -> Task<void> {
        Result<void> r = co_await p->write_snapshot(std::move(copy), expected_version);
        if (!r.ok()) std::abort();
        ++*finished;
      }(store.provider.get(), s, expected, &done));
    }
    store.executor.run_ready();
    if (done != callers) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(callers));
  const uint64_t batches = store.provider->batches_written() - batches_before;
  state.counters["calls_per_batch"] =
      batches == 0 ? 0.0 : static_cast<double>(store.provider->calls_committed() - calls_before) / static_cast<double>(batches);
}

// The same writes as BM_StoreWriteSnapshotConcurrent, straight into RocksDB.
void BM_RawRocksDbWriteBatchConcurrent(benchmark::State& state) {
  const size_t callers = static_cast<size_t>(state.range(0));
  const size_t bytes = static_cast<size_t>(state.range(1));
  const RecordShape shape = provider_record_shape(bytes);
  const std::string dir = bench_dir("raw");
  std::filesystem::remove_all(dir);
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(provider_db_options(), dir, &raw).ok()) std::abort();
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;  // the provider's production setting
  const std::string value(shape.value_bytes, 'v');
  // Keys of the provider's size: a per-caller stem padded to size, then the version.
  auto key = [&](size_t caller, uint64_t version) {
    std::string k = "s:" + std::to_string(caller) + ":";
    k.resize(shape.key_bytes > 8 + k.size() ? shape.key_bytes - 8 : k.size(), '_');
    for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<char>((version >> shift) & 0xff));
    return k;
  };
  std::vector<uint64_t> versions(callers, 0);
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < callers; ++i) {
      const uint64_t v = ++versions[i];
      batch.Put(key(i, v), value);
      if (v > kRetainedVersions) batch.Delete(key(i, v - kRetainedVersions));
    }
    if (!db->Write(write_options, &batch).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(callers));
  state.counters["key_bytes"] = static_cast<double>(shape.key_bytes);
  state.counters["value_bytes"] = static_cast<double>(shape.value_bytes);
  (void)db->Close();
  db.reset();
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_StoreWriteSnapshotConcurrent)->Args({64, 256})->Args({64, 4096})->UseRealTime();
BENCHMARK(BM_RawRocksDbWriteBatchConcurrent)->Args({64, 256})->Args({64, 4096})->UseRealTime();

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
