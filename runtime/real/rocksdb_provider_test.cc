// RocksDbProvider against the conformance suite (real RocksDB in a temp directory; the
// store clock is a ManualExecutor so lease expiry and TTL are exact), then what only a
// durable store promises: everything survives close and reopen, lease versions are never
// reused across reopens, a value that does not parse is skipped, named and raises the
// version floor, a store written in format 1 (JSON values) is read and upgraded, one of an
// unknown format is refused, and opening a directory that cannot be used fails naming it.
// The format tests build their bytes here, from the layout in rocksdb_provider.h, rather
// than with the provider's own encoder: they check the bytes, not that the code agrees
// with itself.
#include "runtime/real/rocksdb_provider.h"

#include <gtest/gtest.h>

#include <msgpack.hpp>
#include <nlohmann/json.hpp>
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
#include "runtime/persistence/record_codec.h"
#include "runtime/persistence/snapshot_hash.h"
#include "runtime/persistence/types.h"

namespace orbit::real {
namespace {

using persistence::ActorKey;
using persistence::HealthState;
using persistence::LeaseRecord;
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


// ---- Value formats -------------------------------------------------------------------------

// Keys as rocksdb_provider.h lays them out.
std::string be(uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}
std::string raw_lease_key(const ActorKey& key) { return "l:" + be(key.kind.size(), 4) + key.kind + key.id; }
std::string raw_snapshot_key(const ActorKey& key, uint64_t version) {
  return "s:" + be(key.kind.size(), 4) + key.kind + key.id + be(version, 8);
}

// A value as store format 1 wrote it: a JSON value (types.h's forms) in MessagePack.
std::string format1_value(const nlohmann::json& j) {
  const std::vector<uint8_t> bytes = nlohmann::json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}

// A value of format 2: 0xC1, version 2, then what `pack` packs.
template <typename Pack>
std::string format2_value(Pack&& pack) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  pack(p);
  return std::string("\xc1\x02", 2) + std::string(buffer.data(), buffer.size());
}

// Opens the store's RocksDB directly (the provider closed), for a test to plant or inspect bytes.
std::unique_ptr<rocksdb::DB> open_raw(const std::string& dir) {
  std::filesystem::create_directories(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status status = rocksdb::DB::Open(options, dir, &raw);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return std::unique_ptr<rocksdb::DB>(raw);
}
std::string get_raw(rocksdb::DB& db, const std::string& key) {
  std::string value;
  const rocksdb::Status status = db.Get(rocksdb::ReadOptions(), key, &value);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return value;
}

TEST_F(RocksDbProviderTest, NewValuesAreWrittenInFormatTwo) {
  const ActorKey key{"counter", "new"};
  {
    auto p = open_or_die(dir(), clock_);
    auto lease = run(p->acquire_lease(key, "h", 30s, {{"node", "1"}}));
    ASSERT_TRUE(lease.ok() && lease->granted);
    Snapshot s = snap(key, 1, lease->record.version, std::string(300, 'z'));  // a state long enough to be borrowed
    ASSERT_TRUE(run(p->write_snapshot(std::move(s), 0)).ok());
  }
  auto db = open_raw(dir());
  EXPECT_EQ(get_raw(*db, "m:format"), std::string("\x02", 1));
  const std::string lease_value = get_raw(*db, raw_lease_key(key));
  const std::string snapshot_value = get_raw(*db, raw_snapshot_key(key, 1));
  ASSERT_GE(lease_value.size(), 3u);
  EXPECT_EQ(lease_value.substr(0, 3), std::string("\xc1\x02\x96", 3));  // mark, version 2, a 6-field array
  ASSERT_GE(snapshot_value.size(), 4u);
  // [Snapshot (10 fields), stored_at_ns]
  EXPECT_EQ(snapshot_value.substr(0, 4), std::string("\xc1\x02\x92\x9a", 4));
  EXPECT_NE(snapshot_value.find(std::string(300, 'z')), std::string::npos);
}

TEST_F(RocksDbProviderTest, AStoreOfFormatOneIsReadAndKeepsWorking) {
  const ActorKey key{"counter", "old"};
  clock_.advance(100s);  // later than the snapshots' stored_at_ns, which open() clamps to now
  LeaseRecord lease;
  lease.key = key;
  lease.holder = "n1#1";
  lease.version = 7;
  lease.duration = 30s;
  lease.expires_at_ns = to_nanos(clock_.mono_now()) + Duration(30s).count();
  lease.metadata = {{"node", "1"}};
  std::vector<Snapshot> written;
  for (uint64_t v = 1; v <= 2; ++v) {
    Snapshot s = snap(key, v, lease.version, "old" + std::to_string(v));
    s.ttl = 3600s;
    written.push_back(s);
  }
  {
    // What the provider of store format 1 left behind.
    auto db = open_raw(dir());
    const rocksdb::WriteOptions w;
    ASSERT_TRUE(db->Put(w, "m:format", format1_value(nlohmann::json(1))).ok());
    ASSERT_TRUE(db->Put(w, raw_lease_key(key), format1_value(persistence::to_json(lease))).ok());
    for (const Snapshot& s : written) {
      const nlohmann::json value{{"snapshot", persistence::to_json(s)}, {"stored_at_ns", int64_t{5}}};
      ASSERT_TRUE(db->Put(w, raw_snapshot_key(key, s.version), format1_value(value)).ok());
    }
    ASSERT_TRUE(db->Put(w, "m:floor", format1_value(nlohmann::json(uint64_t{5}))).ok());
    ASSERT_EQ(static_cast<uint8_t>(get_raw(*db, raw_lease_key(key))[0]), 0x86);  // a map: never 0xC1
    ASSERT_TRUE(db->Close().ok());
  }
  persistence::MemoryState before(3);
  {
    auto p = open_or_die(dir(), clock_);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->metrics().corrupt_records, 0u);
    EXPECT_EQ(p->health().state, HealthState::kHealthy) << p->health().reason;
    EXPECT_EQ(p->state().version_floor(), 5u);
    auto read = run(p->read_lease(key));
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(*read, lease);
    auto snaps = run(p->read_snapshots(key));
    ASSERT_TRUE(snaps.ok());
    ASSERT_EQ(snaps->size(), 2u);
    EXPECT_EQ((*snaps)[0], written[1]);
    EXPECT_EQ((*snaps)[1], written[0]);
    EXPECT_TRUE(persistence::hash_verifies((*snaps)[0]));
    EXPECT_EQ(p->state().find_snapshot(key, 1)->stored_at_ns, 5);
    // The holder carries on: its token still fences, its lease renews.
    ASSERT_TRUE(run(p->write_snapshot(snap(key, 3, 7, "new3"), 2)).ok());
    auto renewed = run(p->renew_lease(key, "n1#1", 7, 30s));
    ASSERT_TRUE(renewed.ok() && renewed->granted);
    before = p->state();
  }
  {
    // The marker went up; changed records are format 2, untouched ones still format 1.
    auto db = open_raw(dir());
    EXPECT_EQ(get_raw(*db, "m:format"), std::string("\x02", 1));
    EXPECT_EQ(get_raw(*db, raw_lease_key(key)).substr(0, 2), std::string("\xc1\x02", 2));
    EXPECT_EQ(get_raw(*db, raw_snapshot_key(key, 3)).substr(0, 2), std::string("\xc1\x02", 2));
    EXPECT_EQ(static_cast<uint8_t>(get_raw(*db, raw_snapshot_key(key, 2))[0]), 0x82);
    ASSERT_TRUE(db->Close().ok());
  }
  // Both formats side by side load into the same state.
  auto p = open_or_die(dir(), clock_);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(same_contents(before, p->state()));
  EXPECT_EQ(p->metrics().corrupt_records, 0u);
}

TEST_F(RocksDbProviderTest, AnUnreadableValueIsCorruptNamingItsKeyAndField) {
  const ActorKey good{"k", "good"};
  {
    auto p = open_or_die(dir(), clock_);
    ASSERT_TRUE(run(p->acquire_lease(good, "a", 10s, {}))->granted);
  }
  {
    auto db = open_raw(dir());
    // Format 2, but key.id is a number.
    const std::string bad_id = format2_value([](auto& p) {
      p.pack_array(6);
      p.pack_array(2);
      p.pack(std::string("k"));
      p.pack(uint64_t{7});
      p.pack(std::string("h"));
      p.pack(uint64_t{1});
      p.pack(int64_t{0});
      p.pack(int64_t{0});
      p.pack_map(0);
    });
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), raw_lease_key(ActorKey{"k", "x"}), bad_id).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto p = open_or_die(dir(), clock_);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->metrics().corrupt_records, 1u);
  ASSERT_TRUE(p->first_corrupt_record().has_value());
  const Error& error = *p->first_corrupt_record();
  EXPECT_EQ(error.code, ErrorCode::kCorrupt);
  EXPECT_NE(error.message.find("lease k/x"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("key.id: expected a string"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find(dir()), std::string::npos) << error.message;
  EXPECT_EQ(p->health().state, HealthState::kDegraded);
  EXPECT_NE(p->health().reason.find("lease k/x"), std::string::npos) << p->health().reason;
  // The good record is served.
  EXPECT_EQ(run(p->read_lease(good))->holder, "a");
}

TEST_F(RocksDbProviderTest, EachKindOfDamageIsNamed) {
  const ActorKey key{"k", "s"};
  // One damaged value per store, and the words its error must contain.
  struct Case {
    std::string key;
    std::string value;
    std::vector<std::string> words;
  };
  Snapshot other = snap(ActorKey{"k", "other"}, 1, 1, "x");
  const std::vector<Case> cases = {
      {raw_snapshot_key(key, 4), std::string("\xc1\x02\x92", 3), {"snapshot k/s version 4", "value format 2"}},
      {raw_snapshot_key(key, 4), std::string("\xc1\x09\x90", 3), {"snapshot k/s version 4", "unknown value format 9"}},
      {raw_snapshot_key(key, 4), std::string("\xc1", 1), {"snapshot k/s version 4", "cut short"}},
      {raw_snapshot_key(key, 4), format1_value(nlohmann::json{{"snapshot", 1}}), {"snapshot k/s version 4", "value format 1"}},
      {raw_snapshot_key(key, 4),
       format2_value([&other](auto& p) {
         p.pack_array(2);
         p.pack(other);
         p.pack(int64_t{0});
       }),
       {"snapshot k/s version 4", "holds the snapshot of k/other version 1"}},
      {raw_lease_key(key), format1_value(nlohmann::json{{"key", {{"kind", "k"}}}}), {"lease k/s", "value format 1"}},
      {"m:floor", format2_value([](auto& p) { p.pack(std::string("high")); }), {"key m:floor", "expected an unsigned integer"}},
      {std::string("x:\x01", 3), "", {"key x:\\x01", "not a key this store writes"}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string store = tmp_.path() + "/case" + std::to_string(i);
    {
      auto db = open_raw(store);
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cases[i].key, cases[i].value).ok());
      ASSERT_TRUE(db->Close().ok());
    }
    auto p = open_or_die(store, clock_);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->metrics().corrupt_records, 1u) << i;
    ASSERT_TRUE(p->first_corrupt_record().has_value()) << i;
    EXPECT_EQ(p->first_corrupt_record()->code, ErrorCode::kCorrupt) << i;
    for (const std::string& word : cases[i].words) {
      EXPECT_NE(p->first_corrupt_record()->message.find(word), std::string::npos)
          << i << ": " << p->first_corrupt_record()->message << " lacks " << word;
    }
  }
}

TEST_F(RocksDbProviderTest, AStoreOfAnUnknownFormatIsRefusedNamingTheFormats) {
  {
    auto db = open_raw(dir());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "m:format", std::string("\x03", 1)).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto opened = RocksDbProvider::open(RocksDbProviderOptions{dir(), 3, true}, clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), ErrorCode::kInvalidArgument);
  const std::string& message = opened.error().message;
  EXPECT_NE(message.find("store format 3"), std::string::npos) << message;
  EXPECT_NE(message.find("formats 1 (JSON values) and 2 (binary values)"), std::string::npos) << message;
}

}  // namespace
}  // namespace orbit::real
