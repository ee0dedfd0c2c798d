// RocksDbProvider against the conformance suite (real RocksDB in a temp directory; the
// store clock is a ManualExecutor so lease expiry and TTL are exact), then what only a
// durable store promises: everything survives close and reopen, lease versions are never
// reused across reopens, a value that does not parse is skipped and raises the version
// floor, and opening a directory that cannot be used fails naming it.
#include "runtime/real/rocksdb_provider.h"

#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/env/manual_executor.h"
#include "runtime/env/task_scope.h"
#include "runtime/persistence/provider_conformance.h"
#include "runtime/persistence/snapshot_hash.h"

namespace orbit::real {
namespace {

using persistence::ActorKey;
using persistence::HealthState;
using persistence::PersistenceProvider;
using persistence::Snapshot;

// A fresh directory under TEST_TMPDIR (or /tmp), removed when the object dies.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const char* base = std::getenv("TEST_TMPDIR");
    path_ = std::string(base != nullptr ? base : "/tmp") + "/rocksdb-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter++);
    std::filesystem::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<RocksDbProvider> open_or_die(const std::string& dir, env::Executor& executor,
                                             size_t retained = 3) {
  auto opened = RocksDbProvider::open(RocksDbProviderOptions{dir, retained, true}, executor);
  EXPECT_TRUE(opened.ok()) << to_string(opened.error());
  return opened.ok() ? std::move(opened).value() : nullptr;
}

class RocksDbHarness {
 public:
  RocksDbHarness() : provider_(open_or_die(dir_.path() + "/store", clock_)) {}
  PersistenceProvider& provider() { return *provider_; }
  void advance(Duration d) { clock_.advance(d); }
  // A call completes once the flush its change (or the pending batch) waits for has run.
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    return persistence::run_to_completion(std::move(task), [this] { clock_.run_ready(); }, 10);
  }

 private:
  TempDir dir_;
  env::ManualExecutor clock_;
  std::unique_ptr<RocksDbProvider> provider_;
};

}  // namespace
}  // namespace orbit::real

namespace orbit::persistence {
using RocksDbHarnesses = ::testing::Types<orbit::real::RocksDbHarness>;
INSTANTIATE_TYPED_TEST_SUITE_P(RocksDb, ProviderConformance, RocksDbHarnesses);
}  // namespace orbit::persistence

namespace orbit::real {
namespace {

// Runs a call to completion on `executor` (the flush is posted there).
template <typename T>
Result<T> run(env::ManualExecutor& executor, Task<Result<T>> task) {
  return persistence::run_to_completion(std::move(task), [&executor] { executor.run_ready(); }, 10);
}

Snapshot snap(const ActorKey& key, uint64_t version, uint64_t token, const std::string& text) {
  Snapshot s;
  s.key = key;
  s.version = version;
  s.state = to_bytes(text);
  s.sha256 = persistence::sha256_hex(s.state);
  s.fencing_token = token;
  s.node = "n1";
  s.tags = {{"t", text}};
  return s;
}

class RocksDbProviderTest : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.path() + "/store"; }
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    return real::run(clock_, std::move(task));
  }
  TempDir tmp_;
  env::ManualExecutor clock_;
};

TEST_F(RocksDbProviderTest, EverythingSurvivesCloseAndReopen) {
  const ActorKey a{"counter", "a"};
  const ActorKey b{"register", "b"};
  persistence::MemoryState before(3);
  {
    auto p = open_or_die(dir(), clock_);
    ASSERT_NE(p, nullptr);
    auto la = run(p->acquire_lease(a, "n1#1", 30s, {{"node", "1"}}));
    ASSERT_TRUE(la.ok() && la->granted);
    auto lb = run(p->acquire_lease(b, "n2#1", 30s, {}));
    ASSERT_TRUE(lb.ok() && lb->granted);
    for (uint64_t v = 1; v <= 5; ++v) {
      ASSERT_TRUE(run(p->write_snapshot(snap(a, v, la->record.version, "a" + std::to_string(v)), v - 1)).ok());
    }
    ASSERT_TRUE(run(p->write_snapshot(snap(b, 1, lb->record.version, "b1"), 0)).ok());
    ASSERT_TRUE(run(p->release_lease(b, "n2#1", lb->record.version)).ok());
    before = p->state();
  }  // the provider (and RocksDB) closes here
  auto p = open_or_die(dir(), clock_);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(same_contents(before, p->state()));
  auto snaps = run(p->read_snapshots(a));
  ASSERT_TRUE(snaps.ok());
  ASSERT_EQ(snaps->size(), 3u);  // retention survived too
  EXPECT_EQ((*snaps)[0].version, 5u);
  EXPECT_EQ((*snaps)[0].state, to_bytes("a5"));
  EXPECT_TRUE(persistence::hash_verifies((*snaps)[0]));
  EXPECT_EQ((*snaps)[2].version, 3u);
  auto lease = run(p->read_lease(a));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->holder, "n1#1");
  EXPECT_EQ(lease->metadata, (persistence::Tags{{"node", "1"}}));
  // Still fenced after the reopen: the old token writes, a stale one does not.
  EXPECT_TRUE(run(p->write_snapshot(snap(a, 6, lease->version, "a6"), 5)).ok());
  EXPECT_EQ(run(p->write_snapshot(snap(a, 7, lease->version - 1, "x"), 6)).code(), ErrorCode::kRejected);
  EXPECT_EQ(p->health().state, HealthState::kHealthy);
}

TEST_F(RocksDbProviderTest, LeaseVersionsAreNeverReusedAcrossReopens) {
  const ActorKey key{"k", "1"};
  uint64_t last = 0;
  for (int round = 0; round < 4; ++round) {
    auto p = open_or_die(dir(), clock_);
    ASSERT_NE(p, nullptr);
    const std::string holder = "h" + std::to_string(round);
    auto got = run(p->acquire_lease(key, holder, 5s, {}));
    ASSERT_TRUE(got.ok() && got->granted) << round;
    EXPECT_GT(got->record.version, last) << round;
    last = got->record.version;
    if (round % 2 == 0) {
      ASSERT_TRUE(run(p->release_lease(key, holder, last)).ok());
    } else {
      clock_.advance(6s);  // expires instead of being released
    }
    ASSERT_TRUE(run(p->sweep_expired()).ok());
  }
  EXPECT_EQ(last, 4u);
}

TEST_F(RocksDbProviderTest, AHeldLeaseStaysHeldAcrossAReopen) {
  const ActorKey key{"k", "held"};
  {
    auto p = open_or_die(dir(), clock_);
    ASSERT_TRUE(run(p->acquire_lease(key, "owner", 10s, {}))->granted);
  }
  clock_.advance(5s);
  auto p = open_or_die(dir(), clock_);
  auto other = run(p->acquire_lease(key, "thief", 10s, {}));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->granted);
  EXPECT_EQ(other->record.holder, "owner");
  clock_.advance(6s);
  auto after = run(p->acquire_lease(key, "thief", 10s, {}));
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->granted);
  EXPECT_EQ(after->record.version, 2u);
}

TEST_F(RocksDbProviderTest, ALeaseFromAnEarlierBootIsClampedToItsDuration) {
  const ActorKey key{"k", "boot"};
  clock_.advance(1000s);
  {
    auto p = open_or_die(dir(), clock_);
    ASSERT_TRUE(run(p->acquire_lease(key, "owner", 10s, {}))->granted);
  }
  env::ManualExecutor rebooted;  // monotonic time starts again near zero
  rebooted.advance(1s);
  auto p = open_or_die(dir(), rebooted);
  auto lease = real::run(rebooted, p->read_lease(key));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->expires_at_ns, to_nanos(rebooted.mono_now()) + Duration(10s).count());
  rebooted.advance(11s);
  auto taken = real::run(rebooted, p->acquire_lease(key, "next", 10s, {}));
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(taken->granted);
}

TEST_F(RocksDbProviderTest, AnUnparsableValueIsSkippedAndRaisesTheVersionFloor) {
  const ActorKey key{"k", "1"};
  {
    auto p = open_or_die(dir(), clock_);
    auto got = run(p->acquire_lease(key, "a", 10s, {}));
    ASSERT_TRUE(got.ok() && got->granted);
    ASSERT_TRUE(run(p->write_snapshot(snap(key, 1, got->record.version, "s"), 0)).ok());
  }
  {
    // Another lease's record, damaged: RocksDB returns it intact, but it does not parse.
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), std::string("l:\0\0\0\1kx", 8), "\xc1garbage").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto p = open_or_die(dir(), clock_);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->metrics().corrupt_records, 1u);
  EXPECT_EQ(p->health().state, HealthState::kDegraded);
  EXPECT_NE(p->health().reason.find("unreadable"), std::string::npos);
  // The intact records are served; the next grant is above the floor (2^32).
  EXPECT_EQ(run(p->read_snapshots(key))->size(), 1u);
  auto fresh = run(p->acquire_lease(ActorKey{"k", "x"}, "b", 10s, {}));
  ASSERT_TRUE(fresh.ok() && fresh->granted);
  EXPECT_GT(fresh->record.version, uint64_t{1} << 32);
  const uint64_t floor = p->state().version_floor();
  p.reset();
  // The floor itself is durable.
  auto again = open_or_die(dir(), clock_);
  EXPECT_GE(again->state().version_floor(), floor);
}

TEST_F(RocksDbProviderTest, ConcurrentCallsShareOneSyncedBatch) {
  auto p = open_or_die(dir(), clock_);
  const uint64_t batches_before = p->batches_written();
  std::vector<std::optional<Result<persistence::LeaseOutcome>>> outcomes(10);
  TaskScope scope;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    scope.spawn([](RocksDbProvider* provider, ActorKey key,
                   std::optional<Result<persistence::LeaseOutcome>>* out) -> Task<void> {
      out->emplace(co_await provider->acquire_lease(key, "h", 10s, {}));
    }(p.get(), ActorKey{"k", std::to_string(i)}, &outcomes[i]));
  }
  // Decided, staged, not yet acknowledged: nothing is durable before the flush runs.
  for (const auto& out : outcomes) EXPECT_FALSE(out.has_value());
  // A read staged behind them waits for the same batch.
  std::optional<Result<std::vector<persistence::LeaseRecord>>> listed;
  scope.spawn([](RocksDbProvider* provider, std::optional<Result<std::vector<persistence::LeaseRecord>>>* out)
                  -> Task<void> { out->emplace(co_await provider->list_leases(std::nullopt)); }(p.get(), &listed));
  EXPECT_FALSE(listed.has_value());
  clock_.run_ready();
  for (const auto& out : outcomes) {
    ASSERT_TRUE(out.has_value());
    ASSERT_TRUE(out->ok());
    EXPECT_TRUE((*out)->granted);
  }
  ASSERT_TRUE(listed.has_value() && listed->ok());
  EXPECT_EQ((*listed)->size(), 10u);
  EXPECT_EQ(p->batches_written() - batches_before, 1u);
  EXPECT_EQ(p->calls_committed(), 10u);
  // And they are durable: a reopen sees all ten.
  p.reset();
  auto again = open_or_die(dir(), clock_);
  EXPECT_EQ(again->state().leases().size(), 10u);
}

TEST_F(RocksDbProviderTest, ChangesDecidedBeforeCloseAreWrittenByTheDestructor) {
  {
    auto p = open_or_die(dir(), clock_);
    Task<Result<persistence::LeaseOutcome>> call = p->acquire_lease(ActorKey{"k", "late"}, "h", 10s, {});
    TaskScope scope;
    scope.spawn([](Task<Result<persistence::LeaseOutcome>> t) -> Task<void> { (void)co_await std::move(t); }(
        std::move(call)));
    scope.cancel_all();  // the caller is gone (a shutdown), its grant is decided and staged
  }
  clock_.run_ready();  // the posted flush finds the provider gone
  auto p = open_or_die(dir(), clock_);
  auto lease = run(p->read_lease(ActorKey{"k", "late"}));
  ASSERT_TRUE(lease.ok()) << to_string(lease.error());
  EXPECT_EQ(lease->version, 1u);
}

TEST_F(RocksDbProviderTest, OpenFailsNamingTheProblem) {
  auto bad = RocksDbProvider::open(RocksDbProviderOptions{"", 3, true}, clock_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), ErrorCode::kInvalidArgument);
  auto zero = RocksDbProvider::open(RocksDbProviderOptions{dir(), 0, true}, clock_);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.code(), ErrorCode::kInvalidArgument);

  // A directory nobody may write into (skipped as root, who may write anywhere).
  if (::geteuid() != 0) {
    const std::string locked = tmp_.path() + "/locked";
    std::filesystem::create_directories(locked);
    std::filesystem::permissions(locked, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    auto denied = RocksDbProvider::open(RocksDbProviderOptions{locked + "/store", 3, true}, clock_);
    ASSERT_FALSE(denied.ok());
    EXPECT_NE(denied.error().message.find(locked), std::string::npos) << denied.error().message;
  }
  // A regular file where the directory should be.
  const std::string file = tmp_.path() + "/file";
  std::filesystem::create_directories(tmp_.path());
  { std::FILE* f = std::fopen(file.c_str(), "w"); ASSERT_NE(f, nullptr); std::fclose(f); }
  auto not_dir = RocksDbProvider::open(RocksDbProviderOptions{file, 3, true}, clock_);
  ASSERT_FALSE(not_dir.ok());
  EXPECT_NE(not_dir.error().message.find(file), std::string::npos) << not_dir.error().message;

  // Two stores on one directory: RocksDB's lock refuses the second.
  auto first = open_or_die(dir(), clock_);
  auto second = RocksDbProvider::open(RocksDbProviderOptions{dir(), 3, true}, clock_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), ErrorCode::kIo);
  EXPECT_NE(second.error().message.find("lock"), std::string::npos) << second.error().message;
}

}  // namespace
}  // namespace orbit::real
