// LogProvider over the simulated disk: the conformance suite (with and without disk latency
// and group commit), the record format on its own, and the faults the store must survive:
// crashes before and after sync, torn last writes, bit rot at rest and on read, EIO, a full
// disk, crashes at every step of a compaction, and a randomized comparison against
// MemoryProvider as the model with crashes and EIO mixed in.
#include "runtime/persistence/log_provider.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/env/manual_executor.h"
#include "runtime/env/random.h"
#include "runtime/env/task_scope.h"
#include "runtime/persistence/log_format.h"
#include "runtime/persistence/memory_provider.h"
#include "runtime/persistence/provider_conformance.h"
#include "runtime/persistence/snapshot_hash.h"
#include "sim/sim_disk.h"

namespace orbit::persistence {
namespace {

constexpr char kDir[] = "store";

std::string segment_path(uint64_t n) { return std::string(kDir) + "/" + logfmt::segment_name(n); }

// One store on one simulated disk, with a manual executor as the node's executor and store
// clock. A crash destroys the provider and every call in flight (as a process crash does)
// and crashes the disk.
class LogWorld {
 public:
  explicit LogWorld(uint64_t seed, sim::DiskConfig disk_config = {}, LogProviderConfig config = {})
      : disk_(std::make_unique<sim::SimDisk>(exec, seed, nullptr)), config_(std::move(config)) {
    config_.dir = kDir;
    EXPECT_TRUE(disk_->configure(disk_config).ok());
  }
  ~LogWorld() { calls.cancel_all(); }

  // Opens (recovers) the store; retries up to `attempts` times when the disk fails.
  Result<void> open(int attempts = 1) {
    Result<void> last = make_error(ErrorCode::kIo, "never tried");
    for (int i = 0; i < attempts; ++i) {
      auto opened = run(LogProvider::open(*disk_, exec, exec, config_));
      if (opened.ok()) {
        provider = std::move(*opened);
        return {};
      }
      last = opened.error();
    }
    return last;
  }
  void open_or_fail() {
    auto r = open();
    ASSERT_TRUE(r.ok()) << to_string(r.error());
  }

  void close() {
    calls.cancel_all();
    provider.reset();
  }
  void crash() {
    close();
    disk_->crash();
  }

  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    return run_to_completion(std::move(task), [this] { exec.advance(1ms); });
  }

  // Starts a call without waiting for it; the result lands in the returned slot.
  template <typename T>
  std::shared_ptr<std::optional<Result<T>>> start(Task<Result<T>> task) {
    auto out = std::make_shared<std::optional<Result<T>>>();
    calls.spawn([](Task<Result<T>> t, std::shared_ptr<std::optional<Result<T>>> o) -> Task<void> {
      o->emplace(co_await std::move(t));
    }(std::move(task), out));
    return out;
  }

  // Advances time 1 ms at a time until `done()` or `limit`.
  template <typename Done>
  void advance_until(Done done, Duration limit = 10s) {
    for (Duration t{0}; !done() && t < limit; t += 1ms) exec.advance(1ms);
  }

  uint64_t lease(const ActorKey& key, const std::string& holder) {
    auto r = run(provider->acquire_lease(key, holder, 1h, {}));
    EXPECT_TRUE(r.ok() && r->granted) << key.to_string();
    return r.ok() ? r->record.version : 0;
  }

  // Bytes in every file of the store (volatile sizes: what a reader sees).
  uint64_t store_bytes() const {
    uint64_t total = 0;
    for (const std::string& path : files()) total += disk_->volatile_contents(path)->size();
    return total;
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    const uint64_t highest = provider ? provider->log_stats().active_segment : 10000;
    for (uint64_t n = 0; n <= highest; ++n) {
      if (disk_->volatile_contents(segment_path(n))) out.push_back(segment_path(n));
    }
    if (disk_->volatile_contents(std::string(kDir) + "/compact.tmp")) out.push_back(std::string(kDir) + "/compact.tmp");
    return out;
  }

  sim::SimDisk& disk() { return *disk_; }
  LogProviderConfig& config() { return config_; }

  env::ManualExecutor exec;

 private:
  std::unique_ptr<sim::SimDisk> disk_;
  LogProviderConfig config_;

 public:
  std::unique_ptr<LogProvider> provider;
  TaskScope calls;  // after `provider`: destroyed first
};

Snapshot make_snapshot(const ActorKey& key, uint64_t version, uint64_t token, size_t state_bytes, uint64_t salt,
                       std::optional<Duration> ttl = std::nullopt) {
  env::Random r(salt * 1000003 + version);
  Snapshot s;
  s.key = key;
  s.version = version;
  s.state.resize(state_bytes);
  for (auto& b : s.state) b = static_cast<uint8_t>(r.below(256));
  s.sha256 = sha256_hex(s.state);
  s.fencing_token = token;
  s.created_at_ns = 17;
  s.updated_at_ns = 17 + static_cast<int64_t>(version);
  s.node = "node-3";
  s.tags = {{"salt", std::to_string(salt)}};
  s.ttl = ttl;
  return s;
}

sim::DiskConfig latency(Duration fixed) {
  sim::DiskConfig c;
  c.latency_min = fixed;
  c.latency_max = fixed;
  return c;
}

// --- Conformance.

// Zero disk latency: every call completes synchronously.
class LogHarness {
 public:
  LogHarness() : world_(1) {
    auto r = world_.open();
    if (!r.ok()) ADD_FAILURE() << to_string(r.error());
  }
  PersistenceProvider& provider() { return *world_.provider; }
  void advance(Duration d) { world_.exec.advance(d); }
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    return world_.run(std::move(task));
  }

 private:
  LogWorld world_;
};

// Disk latency, a group-commit window, tiny segments and eager auto-compaction: every call
// suspends, batches form, segments rotate and compactions run while the suite plays.
class LogLatencyHarness {
 public:
  LogLatencyHarness() : world_(2, disk_config(), log_config()) {
    auto r = world_.open();
    if (!r.ok()) ADD_FAILURE() << to_string(r.error());
  }
  PersistenceProvider& provider() { return *world_.provider; }
  void advance(Duration d) { world_.exec.advance(d); }
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    return world_.run(std::move(task));
  }

 private:
  static sim::DiskConfig disk_config() {
    sim::DiskConfig c;
    c.latency_min = 1ms;
    c.latency_max = 3ms;
    return c;
  }
  static LogProviderConfig log_config() {
    LogProviderConfig c;
    c.segment_bytes = 1024;
    c.group_commit_window = 2ms;
    c.auto_compact_garbage_percent = 50;
    return c;
  }
  LogWorld world_;
};

using LogHarnesses = ::testing::Types<LogHarness, LogLatencyHarness>;
INSTANTIATE_TYPED_TEST_SUITE_P(Log, ProviderConformance, LogHarnesses);

// --- The record format.

// Three records, unsealed: a lease; a put and a remove; a floor.
std::vector<Bytes> sample_records() {
  LeaseRecord lease{{"k", "1"}, "holder", 3, 99, 5s, {{"m", "x"}}};
  StoredSnapshot stored{make_snapshot({"k", "1"}, 2, 3, 40, 1, 9s), 1234};
  logfmt::RecordWriter writer;
  std::vector<Bytes> records;
  writer.lease(lease);
  records.push_back(writer.take());
  writer.put(stored);
  writer.remove({"k", "1"}, 1);
  records.push_back(writer.take());
  writer.floor(1ull << 32);
  records.push_back(writer.take());
  return records;
}

Bytes sample_segment(uint64_t segment, std::vector<uint64_t>* offsets = nullptr) {
  Bytes out;
  for (Bytes& record : sample_records()) {
    if (offsets != nullptr) offsets->push_back(out.size());
    logfmt::seal_record(record, segment, out.size());
    out.insert(out.end(), record.begin(), record.end());
  }
  return out;
}

Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// Segment 1 of a store written by log format version 1 (JSON objects in MessagePack), as
// the version-1 code wrote it: five records, in order,
//   1. lease counter/c1: holder "a#1", version 1, expires_at_ns 5e9, 5 s, metadata {node: 1}
//   2. put counter/c1 v1: state 00 01 ff 'h' 'i', token 1, created 100, updated 101,
//      node "node-1", tags {policy: write_through}, no TTL; stored_at_ns 200
//   3. put counter/c1 v2: state "two", updated 102, no tags, TTL 9 s; stored_at_ns 300;
//      and remove counter/c1 v1
//   4. lease counter/c1 released: holder "", version 1
//   5. floor 2^32
// Never regenerate it with newer code: it stands for data directories that exist.
Bytes version_one_segment() {
  return from_hex(
    "4f52424c010100007200000019357dfe7bf950b196834acb9181a56c6561736586ab6475726174696f6e5f6e73cf0000"
    "00012a05f200ad657870697265735f61745f6e73cf000000012a05f200a6686f6c646572a3612331a36b657982a26964"
    "a26331a46b696e64a7636f756e746572a86d6574616461746181a46e6f6465a131a776657273696f6e014f52424c0101"
    "0000e1000000af93fe5cc469c59ddf140b6e9182a370757489ad637265617465645f61745f6e7364ad66656e63696e67"
    "5f746f6b656e01a36b657982a26964a26331a46b696e64a7636f756e746572a46e6f6465a66e6f64652d31a673686132"
    "3536d9403664333433386431653361353433313736316465363736363339323364313963373531623565613733326561"
    "3562313266353036643735373439323539633337a57374617465c4050001ff6869a47461677381a6706f6c696379ad77"
    "726974655f7468726f756768ad757064617465645f61745f6e7365a776657273696f6e01ac73746f7265645f61745f6e"
    "73ccc84f52424c01010000000100007da06e1c3c42a1ba2f4e17f09282a37075748aad637265617465645f61745f6e73"
    "64ad66656e63696e675f746f6b656e01a36b657982a26964a26331a46b696e64a7636f756e746572a46e6f6465a66e6f"
    "64652d31a6736861323536d9403366633463636665373435383730653263306439396637316633306666303635366338"
    "6465646434316363316437643364333736623064626536383565326633a57374617465c40374776fa47461677380a674"
    "746c5f6e73cf0000000218711a00ad757064617465645f61745f6e7366a776657273696f6e02ac73746f7265645f6174"
    "5f6e73cd012c82a672656d6f766582a26964a26331a46b696e64a7636f756e746572a776657273696f6e014f52424c01"
    "01000058000000273a198d282e9c7ab1dfca909181a56c6561736586ab6475726174696f6e5f6e7300ad657870697265"
    "735f61745f6e7300a6686f6c646572a0a36b657982a26964a26331a46b696e64a7636f756e746572a86d657461646174"
    "6180a776657273696f6e014f52424c010100001100000099196f56cc7edb375c35f5d19181a5666c6f6f72cf00000001"
    "00000000");
}

Snapshot version_one_snapshot(uint64_t version) {
  Snapshot s;
  s.key = {"counter", "c1"};
  s.version = version;
  s.state = version == 1 ? Bytes{0x00, 0x01, 0xff, 'h', 'i'} : to_bytes("two");
  s.sha256 = sha256_hex(s.state);
  s.fencing_token = 1;
  s.created_at_ns = 100;
  s.updated_at_ns = 100 + static_cast<int64_t>(version);
  s.node = "node-1";
  if (version == 1) s.tags = {{"policy", "write_through"}};
  if (version == 2) s.ttl = 9s;
  return s;
}

TEST(LogFormatTest, RecordsRoundTrip) {
  const Bytes data = sample_segment(7);
  const logfmt::SegmentScan scan = logfmt::scan_segment(data, 7);
  EXPECT_TRUE(scan.clean());
  EXPECT_EQ(scan.valid_end, data.size());
  ASSERT_EQ(scan.records.size(), 3u);
  ASSERT_EQ(scan.records[0].changes.size(), 1u);
  EXPECT_EQ(scan.records[0].changes[0].lease, (LeaseRecord{{"k", "1"}, "holder", 3, 99, 5s, {{"m", "x"}}}));
  ASSERT_EQ(scan.records[1].changes.size(), 2u);
  EXPECT_EQ(scan.records[1].changes[0].stored, (StoredSnapshot{make_snapshot({"k", "1"}, 2, 3, 40, 1, 9s), 1234}));
  EXPECT_EQ(scan.records[1].changes[1].kind, StateChange::Kind::kSnapshotRemove);
  EXPECT_EQ(scan.records[1].changes[1].version, 1u);
  EXPECT_EQ(scan.records[2].changes[0].kind, StateChange::Kind::kVersionFloor);
  EXPECT_EQ(scan.records[2].changes[0].version, 1ull << 32);
}

TEST(LogFormatTest, RecordsAreValidOnlyInTheSegmentAndPlaceTheyWereWrittenFor) {
  const Bytes data = sample_segment(7);
  const logfmt::SegmentScan elsewhere = logfmt::scan_segment(data, 8);
  EXPECT_TRUE(elsewhere.records.empty());
  EXPECT_EQ(elsewhere.tail, logfmt::TailState::kSuspicious);
  Bytes shifted(5, 0);
  shifted.insert(shifted.end(), data.begin(), data.end());
  EXPECT_TRUE(logfmt::scan_segment(shifted, 7).records.empty());
}

TEST(LogFormatTest, EveryPrefixIsATornTailNeverCorruption) {
  std::vector<uint64_t> offsets;
  const Bytes data = sample_segment(1, &offsets);
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    const ByteView prefix(data.data(), cut);
    const logfmt::SegmentScan scan = logfmt::scan_segment(prefix, 1);
    const size_t whole = std::count_if(offsets.begin() + 1, offsets.end(), [&](uint64_t o) { return o <= cut; }) +
                         (cut == data.size() ? 1 : 0);
    ASSERT_EQ(scan.records.size(), whole) << "cut at " << cut;
    EXPECT_EQ(scan.corrupt_regions, 0u);
    const bool at_boundary = cut == data.size() || std::find(offsets.begin(), offsets.end(), cut) != offsets.end();
    EXPECT_EQ(scan.tail, at_boundary ? logfmt::TailState::kClean : logfmt::TailState::kTorn) << "cut at " << cut;
    EXPECT_EQ(scan.valid_end, whole == 0 ? 0 : (whole < offsets.size() ? offsets[whole] : data.size()));
  }
}

TEST(LogFormatTest, EverySingleBitFlipLosesOnlyTheRecordItHits) {
  std::vector<uint64_t> offsets;
  const Bytes clean = sample_segment(1, &offsets);
  offsets.push_back(clean.size());
  for (uint64_t bit = 0; bit < clean.size() * 8; ++bit) {
    Bytes data = clean;
    data[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    const size_t hit = std::upper_bound(offsets.begin(), offsets.end(), bit / 8) - offsets.begin() - 1;
    const logfmt::SegmentScan scan = logfmt::scan_segment(data, 1);
    std::vector<uint64_t> survivors;
    for (const auto& r : scan.records) survivors.push_back(r.offset);
    std::vector<uint64_t> expected;
    for (size_t i = 0; i + 1 < offsets.size(); ++i) {
      if (i != hit) expected.push_back(offsets[i]);
    }
    ASSERT_EQ(survivors, expected) << "bit " << bit;
    if (hit + 2 == offsets.size()) {
      EXPECT_EQ(scan.tail, logfmt::TailState::kSuspicious) << "bit " << bit << " in the last record";
    } else {
      EXPECT_EQ(scan.corrupt_regions, 1u) << "bit " << bit;
      EXPECT_EQ(scan.tail, logfmt::TailState::kClean) << "bit " << bit;
    }
  }
}

TEST(LogFormatTest, ARecordInsideASnapshotIsNeverTakenForARecord) {
  // A snapshot whose state is a copy of a whole segment (records and all). Damage the
  // header of the record that carries it: the scan must not find the copies inside.
  const Bytes inner = sample_segment(1);
  Snapshot s = make_snapshot({"k", "2"}, 1, 1, 0, 2);
  s.state = inner;
  s.sha256 = sha256_hex(s.state);
  logfmt::RecordWriter writer;
  writer.put(StoredSnapshot{s, 5});
  Bytes data = writer.take();
  logfmt::seal_record(data, 1, 0);
  ASSERT_EQ(logfmt::scan_segment(data, 1).records.size(), 1u);
  data[0] ^= 0x01;
  const logfmt::SegmentScan scan = logfmt::scan_segment(data, 1);
  EXPECT_TRUE(scan.records.empty());
  EXPECT_EQ(scan.tail, logfmt::TailState::kSuspicious);
}

TEST(LogFormatTest, VersionOneRecordsAreStillRead) {
  const Bytes data = version_one_segment();
  ASSERT_EQ(data.size(), 820u);
  const logfmt::SegmentScan scan = logfmt::scan_segment(data, 1);
  EXPECT_TRUE(scan.clean());
  EXPECT_EQ(scan.valid_end, data.size());
  ASSERT_EQ(scan.records.size(), 5u);
  for (const logfmt::ScannedRecord& record : scan.records) EXPECT_EQ(record.version, logfmt::kJsonFormatVersion);
  ASSERT_EQ(scan.records[0].changes.size(), 1u);
  EXPECT_EQ(scan.records[0].changes[0].lease,
            (LeaseRecord{{"counter", "c1"}, "a#1", 1, 5'000'000'000, 5s, {{"node", "1"}}}));
  ASSERT_EQ(scan.records[1].changes.size(), 1u);
  EXPECT_EQ(scan.records[1].changes[0].stored, (StoredSnapshot{version_one_snapshot(1), 200}));
  ASSERT_EQ(scan.records[2].changes.size(), 2u);
  EXPECT_EQ(scan.records[2].changes[0].stored, (StoredSnapshot{version_one_snapshot(2), 300}));
  EXPECT_EQ(scan.records[2].changes[1].kind, StateChange::Kind::kSnapshotRemove);
  EXPECT_EQ(scan.records[2].changes[1].key, (ActorKey{"counter", "c1"}));
  EXPECT_EQ(scan.records[2].changes[1].version, 1u);
  EXPECT_EQ(scan.records[3].changes[0].lease, (LeaseRecord{{"counter", "c1"}, "", 1, 0, 0s, {}}));
  EXPECT_EQ(scan.records[4].changes[0].kind, StateChange::Kind::kVersionFloor);
  EXPECT_EQ(scan.records[4].changes[0].version, 1ull << 32);
  // Torn and rotten version-1 records are classified like any others.
  EXPECT_EQ(logfmt::scan_segment(ByteView(data.data(), data.size() - 3), 1).tail, logfmt::TailState::kTorn);
  Bytes rotten = data;
  rotten[scan.records[1].offset + logfmt::kHeaderBytes + 5] ^= 0x10;
  const logfmt::SegmentScan damaged = logfmt::scan_segment(rotten, 1);
  EXPECT_EQ(damaged.records.size(), 4u);
  EXPECT_EQ(damaged.corrupt_regions, 1u);
}

TEST(LogFormatTest, RecordsAreWrittenInVersionTwo) {
  const logfmt::SegmentScan scan = logfmt::scan_segment(sample_segment(1), 1);
  ASSERT_EQ(scan.records.size(), 3u);
  for (const logfmt::ScannedRecord& record : scan.records) EXPECT_EQ(record.version, 2);
  // The payload of the floor record, byte for byte: an array (array32 header, patched with
  // the count) of one change [4, floor].
  Bytes records = sample_segment(1);
  const logfmt::ScannedRecord& floor = scan.records[2];
  const Bytes payload(records.begin() + floor.offset + logfmt::kHeaderBytes, records.begin() + floor.offset + floor.bytes);
  EXPECT_EQ(payload, (Bytes{0xdd, 0, 0, 0, 1, 0x92, 0x04, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0}));
}

TEST(LogFormatTest, AVerifiedPayloadThatIsNotTypedChangesIsDamageNotData) {
  // Checksums match, but the payload is no version-2 change list (a format bug, or rot
  // before the checksum was taken): the record yields nothing; its neighbours survive.
  for (const Bytes& garbage : {Bytes{0x91, 0x93, 0x09, 0x00, 0x00}, Bytes{0x91, 0x92, 0x01, 0xc0}, Bytes{0xc1},
                               Bytes{0x92, 0x92, 0x04, 0x01}}) {
    Bytes data;
    std::vector<Bytes> records = sample_records();
    logfmt::seal_record(records[0], 1, 0);
    data.insert(data.end(), records[0].begin(), records[0].end());
    logfmt::append_record(data, 1, data.size(), logfmt::RecordType::kChanges, garbage);
    const uint64_t after_garbage = data.size();
    logfmt::seal_record(records[1], 1, data.size());
    data.insert(data.end(), records[1].begin(), records[1].end());
    const logfmt::SegmentScan scan = logfmt::scan_segment(data, 1);
    ASSERT_EQ(scan.records.size(), 2u);
    EXPECT_EQ(scan.records[1].offset, after_garbage);
    EXPECT_EQ(scan.corrupt_regions, 1u);
    EXPECT_EQ(scan.tail, logfmt::TailState::kClean);
    // At the end of the segment it is a tail no torn append explains.
    const logfmt::SegmentScan at_end = logfmt::scan_segment(ByteView(data.data(), after_garbage), 1);
    EXPECT_EQ(at_end.records.size(), 1u);
    EXPECT_EQ(at_end.tail, logfmt::TailState::kSuspicious);
  }
}

TEST(LogFormatTest, ARecordOfANewerVersionStopsTheScan) {
  Bytes data = sample_segment(1);
  const uint64_t newer_at = data.size();
  logfmt::append_record(data, 1, data.size(), logfmt::RecordType::kChanges, Bytes{0x90}, /*version=*/3);
  const logfmt::SegmentScan scan = logfmt::scan_segment(data, 1);
  EXPECT_EQ(scan.records.size(), 3u);
  EXPECT_EQ(scan.newer_version, 3);
  EXPECT_EQ(scan.newer_at, newer_at);
  EXPECT_FALSE(scan.clean());
  // Not when the version byte is rot: then the header does not verify.
  Bytes rotten = sample_segment(1);
  rotten[4] = 3;
  EXPECT_EQ(logfmt::scan_segment(rotten, 1).newer_version, 0);
}

TEST(LogFormatTest, SegmentNamesSortNumerically) {
  EXPECT_EQ(logfmt::segment_name(42), "seg-0000000042.log");
  uint64_t n = 0;
  ASSERT_TRUE(logfmt::parse_segment_name("seg-0000000042.log", n));
  EXPECT_EQ(n, 42u);
  EXPECT_FALSE(logfmt::parse_segment_name("seg-.log", n));
  EXPECT_FALSE(logfmt::parse_segment_name("seg-12x.log", n));
  EXPECT_FALSE(logfmt::parse_segment_name("compact.tmp", n));
}

// --- Basic behaviour.

TEST(LogProviderTest, ConfigErrorsNameTheField) {
  LogWorld w(1);
  w.config().segment_bytes = 10;
  auto r = w.open();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("segment_bytes"), std::string::npos) << r.error().message;
  w.config().segment_bytes = 4096;
  w.config().retained_versions = 0;
  EXPECT_NE(w.open().error().message.find("retained_versions"), std::string::npos);
}

TEST(LogProviderTest, EverythingSurvivesAReopenAcrossRotatedSegments) {
  LogProviderConfig config;
  config.segment_bytes = 1024;
  config.auto_compact_garbage_percent = 0;
  LogWorld w(3, {}, config);
  w.open_or_fail();
  std::vector<Snapshot> latest;
  for (int k = 0; k < 6; ++k) {
    const ActorKey key{"r", std::to_string(k)};
    const uint64_t token = w.lease(key, "a");
    for (uint64_t v = 1; v <= 5; ++v) {
      latest.push_back(make_snapshot(key, v, token, 100 + 37 * k, k));
      ASSERT_TRUE(w.run(w.provider->write_snapshot(latest.back(), v - 1)).ok());
    }
  }
  EXPECT_GT(w.provider->log_stats().segments, 4u);
  const MemoryState before = w.provider->state();
  w.crash();
  w.open_or_fail();
  EXPECT_TRUE(same_contents(w.provider->state(), before));
  EXPECT_EQ(w.provider->log_stats().total_bytes, w.store_bytes());
  EXPECT_EQ(w.provider->log_stats().segments, w.files().size());
  auto r = w.run(w.provider->read_snapshots({"r", "3"}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], make_snapshot({"r", "3"}, 5, 1, 100 + 37 * 3, 3));
  EXPECT_EQ(w.provider->health().state, HealthState::kHealthy);
  EXPECT_EQ(w.provider->metrics().corrupt_records, 0u);
}

TEST(LogProviderTest, ConcurrentCallsShareSyncs) {
  LogWorld w(4, latency(5ms));
  w.open_or_fail();
  const uint64_t syncs_before = w.disk().stats().syncs;
  std::vector<std::shared_ptr<std::optional<Result<LeaseOutcome>>>> calls;
  for (int i = 0; i < 10; ++i) calls.push_back(w.start(w.provider->acquire_lease({"k", std::to_string(i)}, "a", 1h, {})));
  w.advance_until([&] { return std::all_of(calls.begin(), calls.end(), [](auto& c) { return c->has_value(); }); });
  for (auto& c : calls) {
    ASSERT_TRUE(c->has_value() && (*c)->ok());
    EXPECT_TRUE((**c)->granted);
  }
  // The first call's batch goes alone; the nine that queued behind its sync share the next.
  EXPECT_EQ(w.provider->log_stats().batches, 2u);
  EXPECT_EQ(w.disk().stats().syncs - syncs_before, 2u);
}

TEST(LogProviderTest, GroupCommitWindowGathersCallsIntoOneBatch) {
  LogProviderConfig config;
  config.group_commit_window = 5ms;
  LogWorld w(5, {}, config);
  w.open_or_fail();
  std::vector<std::shared_ptr<std::optional<Result<LeaseOutcome>>>> calls;
  for (int i = 0; i < 10; ++i) calls.push_back(w.start(w.provider->acquire_lease({"k", std::to_string(i)}, "a", 1h, {})));
  w.exec.advance(4ms);
  for (auto& c : calls) EXPECT_FALSE(c->has_value()) << "acknowledged before the window closed";
  w.exec.advance(1ms);
  for (auto& c : calls) ASSERT_TRUE(c->has_value() && (*c)->ok());
  EXPECT_EQ(w.provider->log_stats().batches, 1u);
}

TEST(LogProviderTest, ReadsNeverReturnStateThatIsNotDurableYet) {
  LogWorld w(6, latency(10ms));
  w.open_or_fail();
  const ActorKey key{"r", "1"};
  const uint64_t token = w.lease(key, "a");
  const Snapshot s = make_snapshot(key, 1, token, 64, 1);
  auto write = w.start(w.provider->write_snapshot(s, 0));
  auto read = w.start(w.provider->read_snapshots(key));
  w.exec.advance(15ms);  // appended, not yet synced
  EXPECT_FALSE(write->has_value());
  EXPECT_FALSE(read->has_value()) << "the read saw an unsynced write and must wait for it";
  w.exec.advance(10ms);
  ASSERT_TRUE(write->has_value() && (*write)->ok());
  ASSERT_TRUE(read->has_value() && (*read)->ok());
  const std::vector<Snapshot>& got = (*read)->value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], s);
}

TEST(LogProviderTest, AFullQueueRefusesWritesWithoutChangingAnything) {
  LogProviderConfig config;
  config.max_pending_bytes = 1024;
  LogWorld w(7, latency(10ms), config);
  w.open_or_fail();
  std::vector<ActorKey> keys{{"r", "1"}, {"r", "2"}, {"r", "3"}};
  std::vector<uint64_t> tokens;
  for (const ActorKey& k : keys) tokens.push_back(w.lease(k, "a"));
  auto first = w.start(w.provider->write_snapshot(make_snapshot(keys[0], 1, tokens[0], 2000, 1), 0));
  auto second = w.start(w.provider->write_snapshot(make_snapshot(keys[1], 1, tokens[1], 2000, 2), 0));
  auto third = w.start(w.provider->write_snapshot(make_snapshot(keys[2], 1, tokens[2], 2000, 3), 0));
  ASSERT_TRUE(third->has_value()) << "refused at once";
  EXPECT_EQ((*third)->code(), ErrorCode::kUnavailable);
  EXPECT_EQ(w.provider->state().find_snapshot(keys[2], 1), nullptr);
  w.advance_until([&] { return first->has_value() && second->has_value(); });
  EXPECT_TRUE((*first)->ok());
  EXPECT_TRUE((*second)->ok());
  EXPECT_EQ(w.provider->health().state, HealthState::kHealthy) << "back pressure is not a failure";
  EXPECT_TRUE(w.run(w.provider->write_snapshot(make_snapshot(keys[2], 1, tokens[2], 2000, 3), 0)).ok());
}

TEST(LogProviderTest, OversizeSnapshotIsRefusedWithoutChangingAnything) {
  LogWorld w(8);
  w.open_or_fail();
  const ActorKey key{"r", "big"};
  const uint64_t token = w.lease(key, "a");
  Snapshot s = make_snapshot(key, 1, token, 0, 1);
  s.state.assign(logfmt::kMaxPayloadBytes, 7);
  auto r = w.run(w.provider->write_snapshot(s, 0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(w.provider->state().snapshots().empty());
  EXPECT_EQ(w.provider->health().state, HealthState::kHealthy);
}

// --- (a) Crashes before and after sync.

// --- Format versions.

// Writes `contents` as a durable file of the world's disk.
void put_file(LogWorld& w, const std::string& path, Bytes contents) {
  auto file = w.run(w.disk().open(path, env::OpenMode::kCreateIfMissing));
  ASSERT_TRUE(file.ok()) << to_string(file.error());
  ASSERT_TRUE(w.run((*file)->append(std::move(contents))).ok());
  ASSERT_TRUE(w.run((*file)->sync()).ok());
}

std::vector<uint8_t> record_versions(const Bytes& segment_data, uint64_t segment) {
  std::vector<uint8_t> versions;
  for (const auto& record : logfmt::scan_segment(segment_data, segment).records) versions.push_back(record.version);
  return versions;
}

TEST(LogProviderFormatTest, AVersionOneStoreOpensAndKeepsWorking) {
  LogWorld w(21);
  // The version-1 segment, then the first 30 bytes of a version-2 record whose append a
  // crash tore: a torn tail, cut off without counting as damage.
  Bytes data = version_one_segment();
  const uint64_t v1_bytes = data.size();
  logfmt::RecordWriter writer;
  writer.floor(7);
  Bytes torn = writer.take();
  logfmt::seal_record(torn, 1, v1_bytes);
  data.insert(data.end(), torn.begin(), torn.begin() + 30);
  put_file(w, segment_path(1), data);

  w.open_or_fail();
  EXPECT_EQ(w.provider->health().state, HealthState::kHealthy) << w.provider->health().reason;
  EXPECT_EQ(w.provider->metrics().corrupt_records, 0u);
  EXPECT_EQ(w.provider->log_stats().records_replayed, 5u);
  EXPECT_EQ(w.provider->log_stats().torn_bytes_truncated, 30u);
  const ActorKey key{"counter", "c1"};
  auto lease = w.run(w.provider->read_lease(key));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(*lease, (LeaseRecord{key, "", 1ull << 32, 0, 0s, {}})) << "the logged floor raised the version";
  auto snapshots = w.run(w.provider->read_snapshots(key));
  ASSERT_TRUE(snapshots.ok());
  EXPECT_EQ(*snapshots, std::vector<Snapshot>{version_one_snapshot(2)});

  // New writes land after the version-1 records, as version 2.
  const uint64_t token = w.lease(key, "b#2");
  EXPECT_EQ(token, (1ull << 32) + 1);
  Snapshot v3 = version_one_snapshot(2);
  v3.version = 3;
  v3.fencing_token = token;
  ASSERT_TRUE(w.run(w.provider->write_snapshot(v3, 2)).ok());
  const MemoryState before = w.provider->state();
  w.crash();
  w.open_or_fail();
  EXPECT_TRUE(same_contents(w.provider->state(), before));
  EXPECT_EQ(record_versions(*w.disk().durable_contents(segment_path(1)), 1),
            (std::vector<uint8_t>{1, 1, 1, 1, 1, 2, 2}));

  // A compaction rewrites the whole store as version 2.
  ASSERT_TRUE(w.run(w.provider->compact()).ok());
  w.crash();
  w.open_or_fail();
  EXPECT_TRUE(same_contents(w.provider->state(), before));
  ASSERT_EQ(w.files(), std::vector<std::string>{segment_path(2)});
  for (uint8_t version : record_versions(*w.disk().durable_contents(segment_path(2)), 2)) EXPECT_EQ(version, 2);
  EXPECT_EQ(w.provider->health().state, HealthState::kHealthy);
}

TEST(LogProviderFormatTest, AStoreOfANewerFormatIsRefusedAndLeftAlone) {
  LogWorld w(22);
  Bytes data = sample_segment(1);
  const uint64_t newer_at = data.size();
  logfmt::append_record(data, 1, data.size(), logfmt::RecordType::kChanges, Bytes{0x90}, /*version=*/3);
  data.resize(data.size() + 7, 0);  // and what looks like a torn tail after it
  put_file(w, segment_path(1), data);
  auto opened = w.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(opened.error().message, "store/seg-0000000001.log holds a record of log format version 3 at byte " +
                                        std::to_string(newer_at) +
                                        "; this build reads versions 1 to 2 (nothing was changed)");
  EXPECT_EQ(*w.disk().durable_contents(segment_path(1)), data) << "nothing truncated";
  EXPECT_EQ(*w.disk().volatile_contents(segment_path(1)), data);
}

TEST(LogProviderCrashTest, AcknowledgedWritesSurviveAndUnacknowledgedOnesNeverHalfAppear) {
  int acked = 0, lost = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    sim::DiskConfig dc = latency(10ms);
    dc.tear_last_write_on_crash = seed % 2 == 0;
    LogWorld w(seed, dc);
    w.open_or_fail();
    const ActorKey key{"r", "1"};
    const uint64_t token = w.lease(key, "a");
    std::vector<Snapshot> written;
    for (uint64_t v = 1; v <= 2; ++v) {
      written.push_back(make_snapshot(key, v, token, 300, seed));
      ASSERT_TRUE(w.run(w.provider->write_snapshot(written.back(), v - 1)).ok());
    }
    const Snapshot third = make_snapshot(key, 3, token, 300, seed);
    auto call = w.start(w.provider->write_snapshot(third, 2));
    w.exec.advance(Duration(env::Random(seed).below(26) * 1'000'000));  // 0..25 ms: before, between, after
    const bool acknowledged = call->has_value() && (*call)->ok();
    w.crash();
    w.open_or_fail();
    auto r = w.run(w.provider->read_snapshots(key));
    ASSERT_TRUE(r.ok());
    const std::vector<Snapshot> without{written[1], written[0]};
    const std::vector<Snapshot> with{third, written[1], written[0]};
    if (acknowledged) {
      ++acked;
      EXPECT_EQ(*r, with);
    } else if (*r != with) {  // an unsynced append may survive whole (and may not)
      ++lost;
      EXPECT_EQ(*r, without);
    }
    auto lease = w.run(w.provider->read_lease(key));
    ASSERT_TRUE(lease.ok());
    EXPECT_EQ(lease->version, token);
    EXPECT_EQ(w.provider->health().state, HealthState::kHealthy);
  }
  EXPECT_GT(acked, 0);
  EXPECT_GT(lost, 0);
}

// --- (b) Torn last writes.

TEST(LogProviderCrashTest, TornLastWriteIsTruncatedAndEverythingAcknowledgedSurvives) {
  uint64_t torn_bytes = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    env::Random rng(seed);
    sim::DiskConfig dc = latency(1ms);
    dc.tear_last_write_on_crash = true;
    LogProviderConfig config;
    config.segment_bytes = 4096;
    LogWorld w(seed, dc, config);
    w.open_or_fail();
    std::map<ActorKey, std::vector<Snapshot>> acked;  // newest first
    std::map<ActorKey, uint64_t> tokens;
    const int writes = 1 + static_cast<int>(rng.below(12));
    for (int i = 0; i < writes; ++i) {
      const ActorKey key{"r", std::to_string(rng.below(3))};
      if (!tokens.count(key)) tokens[key] = w.lease(key, "a");
      auto& list = acked[key];
      const uint64_t v = list.empty() ? 1 : list.front().version + 1;
      const Snapshot s = make_snapshot(key, v, tokens[key], 50 + rng.below(2000), seed);
      ASSERT_TRUE(w.run(w.provider->write_snapshot(s, v - 1)).ok());
      list.insert(list.begin(), s);
      if (list.size() > 3) list.pop_back();
    }
    // One more, large, write in flight when the power goes.
    const ActorKey key{"r", "0"};
    if (!tokens.count(key)) tokens[key] = w.lease(key, "a");
    const uint64_t v = acked[key].empty() ? 1 : acked[key].front().version + 1;
    const Snapshot pending = make_snapshot(key, v, tokens[key], 3000 + rng.below(3000), seed);
    auto call = w.start(w.provider->write_snapshot(pending, v - 1));
    w.exec.advance(Duration(rng.below(4) * 1'000'000));
    const bool pending_acked = call->has_value() && (*call)->ok();
    w.crash();
    w.open_or_fail();
    torn_bytes += w.provider->log_stats().torn_bytes_truncated;
    for (auto& [k, list] : acked) {
      auto r = w.run(w.provider->read_snapshots(k));
      ASSERT_TRUE(r.ok());
      if (k == key) {
        std::vector<Snapshot> with = list;
        with.insert(with.begin(), pending);
        if (with.size() > 3) with.pop_back();
        if (pending_acked) {
          EXPECT_EQ(*r, with);
        } else {
          EXPECT_TRUE(*r == list || *r == with) << "the in-flight write is absent or whole";
        }
      } else {
        EXPECT_EQ(*r, list);
      }
    }
    EXPECT_EQ(w.provider->health().state, HealthState::kHealthy) << "a torn tail is not corruption";
    EXPECT_EQ(w.provider->metrics().corrupt_records, 0u);
    // The active segment now ends with a valid record, durably.
    const uint64_t active = w.provider->log_stats().active_segment;
    const Bytes durable = *w.disk().durable_contents(segment_path(active));
    EXPECT_TRUE(logfmt::scan_segment(durable, active).clean());
    EXPECT_EQ(durable, *w.disk().volatile_contents(segment_path(active)));
  }
  EXPECT_GT(torn_bytes, 0u) << "some crash must have torn a record in half";
}

// --- (c) Bit rot at rest.

// Writes one lease and one snapshot per key, each its own record, into one segment.
struct RotFixture {
  static constexpr int kKeys = 8;
  std::vector<ActorKey> keys;
  std::vector<Snapshot> snapshots;

  void fill(LogWorld& w, uint64_t seed) {
    for (int i = 0; i < kKeys; ++i) {
      keys.push_back(ActorKey{"r", std::to_string(i)});
      const uint64_t token = w.lease(keys.back(), "holder-" + std::to_string(i));
      snapshots.push_back(make_snapshot(keys.back(), 1, token, 40 + 13 * i, seed));
      ASSERT_TRUE(w.run(w.provider->write_snapshot(snapshots.back(), 0)).ok());
    }
  }

  // Every snapshot read back is the one written, or absent; never other bytes.
  int check(LogWorld& w) {
    int missing = 0;
    for (int i = 0; i < kKeys; ++i) {
      auto r = w.run(w.provider->read_snapshots(keys[i]));
      EXPECT_TRUE(r.ok());
      if (!r.ok()) continue;
      if (r->empty()) {
        ++missing;
      } else {
        EXPECT_EQ(r->size(), 1u);
        EXPECT_EQ((*r)[0], snapshots[i]) << keys[i].to_string();
        EXPECT_TRUE(hash_verifies((*r)[0]));
      }
    }
    return missing;
  }
};

TEST(LogProviderCorruptionTest, BitFlipAtRestNeverYieldsWrongBytes) {
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    env::Random rng(seed);
    LogWorld w(seed);
    w.open_or_fail();
    RotFixture f;
    f.fill(w, seed);
    w.close();
    const Bytes before = *w.disk().durable_contents(segment_path(1));
    const logfmt::SegmentScan clean = logfmt::scan_segment(before, 1);
    ASSERT_EQ(clean.records.size(), 2u * RotFixture::kKeys);
    // A record in the middle (not the last: that is the tail's case, below); half the
    // seeds hit its header, the other half anywhere in it.
    const auto& victim = clean.records[rng.below(clean.records.size() - 1)];
    const uint64_t span = seed % 2 == 0 ? logfmt::kHeaderBytes : victim.bytes;
    const uint64_t bit = victim.offset * 8 + rng.below(span * 8);
    ASSERT_TRUE(w.disk().flip_bit_at_rest(segment_path(1), bit).ok());
    w.open_or_fail();
    const int missing = f.check(w);
    EXPECT_LE(missing, 1) << "one damaged record holds at most one snapshot";
    EXPECT_EQ(w.provider->metrics().corrupt_records, 1u);
    EXPECT_EQ(w.provider->health().state, HealthState::kDegraded);
    EXPECT_EQ(w.provider->state().leases().size() + (victim.changes[0].kind == StateChange::Kind::kLeaseSet ? 1 : 0),
              static_cast<size_t>(RotFixture::kKeys));
    // No fencing token can be issued twice: every version is now above anything issued.
    for (const auto& [key, lease] : w.provider->state().leases()) EXPECT_GE(lease.version, 1ull << 32);
    auto fresh = w.run(w.provider->acquire_lease({"r", "new"}, "x", 1s, {}));
    ASSERT_TRUE(fresh.ok() && fresh->granted);
    EXPECT_EQ(fresh->record.version, (1ull << 32) + 1);
    // The floor is durable: a second reopen keeps it (and raises it again, since the damage
    // is still there).
    w.crash();
    w.open_or_fail();
    EXPECT_GE(w.provider->state().find_lease({"r", "new"})->version, (1ull << 32) + 1);
    EXPECT_EQ(f.check(w), missing);
  }
}

TEST(LogProviderCorruptionTest, DamageInTheLastRecordIsCountedAndTruncated) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    env::Random rng(seed);
    LogWorld w(seed);
    w.open_or_fail();
    RotFixture f;
    f.fill(w, seed);
    w.close();
    const Bytes before = *w.disk().durable_contents(segment_path(1));
    const logfmt::SegmentScan scan = logfmt::scan_segment(before, 1);
    const logfmt::ScannedRecord& last = scan.records.back();
    ASSERT_TRUE(w.disk().flip_bit_at_rest(segment_path(1), last.offset * 8 + rng.below(last.bytes * 8)).ok());
    w.open_or_fail();
    EXPECT_EQ(f.check(w), 1) << "the last snapshot is lost, the rest are exact";
    EXPECT_EQ(w.provider->metrics().corrupt_records, 1u) << "a torn append cannot explain a complete bad record";
    EXPECT_EQ(w.provider->health().state, HealthState::kDegraded);
    EXPECT_EQ(w.provider->log_stats().torn_bytes_truncated, last.bytes);
  }
}

TEST(LogProviderCorruptionTest, RandomBitFlipsAnywhereNeverYieldWrongBytes) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    LogProviderConfig config;
    config.segment_bytes = 1024;
    LogWorld w(seed, {}, config);
    w.open_or_fail();
    RotFixture f;
    f.fill(w, seed);
    w.close();
    for (int flips = 0; flips < 3; ++flips) ASSERT_TRUE(w.disk().flip_random_bit_at_rest().ok());
    w.open_or_fail();
    f.check(w);
    EXPECT_GE(w.provider->metrics().corrupt_records, 1u);
    EXPECT_EQ(w.provider->health().state, HealthState::kDegraded);
  }
}

TEST(LogProviderCorruptionTest, RotOnReadIsNotMistakenForRotAtRest) {
  uint64_t rereads = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    LogWorld w(seed);
    w.open_or_fail();
    RotFixture f;
    f.fill(w, seed);
    const MemoryState before = w.provider->state();
    w.close();
    sim::DiskConfig noisy;
    noisy.read_corruption_probability = 0.5;
    ASSERT_TRUE(w.disk().configure(noisy).ok());
    Result<void> opened = make_error(ErrorCode::kIo, "");
    for (int attempt = 0; attempt < 20 && !opened.ok(); ++attempt) {
      opened = w.open();
      if (!opened.ok()) {
        EXPECT_EQ(opened.code(), ErrorCode::kIo);
      }
    }
    ASSERT_TRUE(opened.ok());
    rereads += w.provider->log_stats().recovery_rereads;
    EXPECT_TRUE(same_contents(w.provider->state(), before));
    EXPECT_EQ(w.provider->metrics().corrupt_records, 0u);
    EXPECT_EQ(w.provider->health().state, HealthState::kHealthy);
    EXPECT_EQ(f.check(w), 0);
  }
  EXPECT_GT(rereads, 0u) << "damaged reads must have been read again";
}

// --- (d) EIO.

TEST(LogProviderFailureTest, EioOnSyncFailsTheCallAndTheProviderUntilReopened) {
  for (const bool crash : {false, true}) {
    SCOPED_TRACE(crash ? "reopen after a crash" : "reopen without a crash");
    LogWorld w(11, latency(10ms));
    w.open_or_fail();
    const ActorKey key{"r", "1"};
    const uint64_t token = w.lease(key, "a");
    const Snapshot first = make_snapshot(key, 1, token, 100, 1);
    ASSERT_TRUE(w.run(w.provider->write_snapshot(first, 0)).ok());
    const Snapshot second = make_snapshot(key, 2, token, 100, 1);
    auto call = w.start(w.provider->write_snapshot(second, 1));
    w.exec.advance(15ms);  // appended; the sync completes at 20 ms
    sim::DiskConfig failing = latency(10ms);
    failing.eio_probability = 1.0;
    ASSERT_TRUE(w.disk().configure(failing).ok());
    w.exec.advance(10ms);
    ASSERT_TRUE(call->has_value());
    ASSERT_FALSE((*call)->ok());
    EXPECT_EQ((*call)->code(), ErrorCode::kIo);
    EXPECT_EQ(w.provider->health().state, HealthState::kUnhealthy);
    ASSERT_TRUE(w.disk().configure(latency(10ms)).ok());  // the disk is fine again; the provider is not
    auto later = w.run(w.provider->write_snapshot(make_snapshot(key, 3, token, 10, 1), 2));
    EXPECT_EQ(later.code(), ErrorCode::kIo);
    auto read = w.run(w.provider->read_snapshots(key));
    EXPECT_EQ(read.code(), ErrorCode::kIo) << "the index may be ahead of the disk";
    EXPECT_GE(w.provider->metrics().errors, 3u);
    if (crash) {
      w.crash();
    } else {
      w.close();
    }
    w.open_or_fail();
    auto r = w.run(w.provider->read_snapshots(key));
    ASSERT_TRUE(r.ok());
    // Acknowledged: present. Failed: maybe applied (present whole) or not at all.
    const std::vector<Snapshot> without{first};
    const std::vector<Snapshot> with{second, first};
    EXPECT_TRUE(*r == without || *r == with);
    if (!crash) {
      EXPECT_EQ(*r, with) << "the append reached the page cache and the reopen synced it";
    }
    EXPECT_EQ(w.provider->health().state, HealthState::kHealthy);
  }
}

TEST(LogProviderFailureTest, AFailedSyncFailsEveryCallOfItsBatch) {
  LogProviderConfig config;
  config.group_commit_window = 5ms;
  LogWorld w(12, latency(10ms), config);
  w.open_or_fail();
  std::vector<std::shared_ptr<std::optional<Result<LeaseOutcome>>>> calls;
  for (int i = 0; i < 5; ++i) calls.push_back(w.start(w.provider->acquire_lease({"k", std::to_string(i)}, "a", 1h, {})));
  // Window until 5 ms, append until 15 ms, sync until 25 ms.
  w.exec.advance(20ms);
  sim::DiskConfig failing = latency(10ms);
  failing.eio_probability = 1.0;
  ASSERT_TRUE(w.disk().configure(failing).ok());
  w.exec.advance(10ms);
  for (auto& c : calls) {
    ASSERT_TRUE(c->has_value());
    EXPECT_EQ((*c)->code(), ErrorCode::kIo);
  }
  EXPECT_EQ(w.provider->log_stats().batches, 0u);
}

TEST(LogProviderFailureTest, EioDuringRecoveryFailsTheOpenAndARetryRecovers) {
  LogWorld w(13);
  w.open_or_fail();
  RotFixture f;
  f.fill(w, 13);
  w.crash();
  sim::DiskConfig failing;
  failing.eio_probability = 1.0;
  ASSERT_TRUE(w.disk().configure(failing).ok());
  auto r = w.open();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kIo);
  ASSERT_TRUE(w.disk().configure({}).ok());
  w.open_or_fail();
  EXPECT_EQ(f.check(w), 0);
}

// --- (e) A full disk.

TEST(LogProviderFailureTest, EnospcIsAnErrorValueAndCorruptsNothing) {
  for (const bool crash : {false, true}) {
    SCOPED_TRACE(crash ? "crash" : "no crash");
    sim::DiskConfig small;
    small.capacity_bytes = 6000;
    LogWorld w(14, small);
    w.open_or_fail();
    const ActorKey key{"r", "1"};
    const uint64_t token = w.lease(key, "a");
    std::vector<Snapshot> acked;
    Result<void> last;
    for (uint64_t v = 1; v <= 100 && last.ok(); ++v) {
      const Snapshot s = make_snapshot(key, v, token, 500, 14);
      last = w.run(w.provider->write_snapshot(s, v - 1));
      if (last.ok()) acked.insert(acked.begin(), s);
    }
    ASSERT_FALSE(last.ok());
    EXPECT_EQ(last.code(), ErrorCode::kNoSpace);
    EXPECT_EQ(w.provider->health().state, HealthState::kUnhealthy);
    EXPECT_EQ(w.run(w.provider->acquire_lease({"r", "2"}, "a", 1s, {})).code(), ErrorCode::kNoSpace);
    if (crash) w.crash(); else w.close();
    w.open_or_fail();
    acked.resize(3);
    auto r = w.run(w.provider->read_snapshots(key));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, acked) << "everything acknowledged, nothing of the failed write";
    EXPECT_EQ(w.provider->health().state, HealthState::kHealthy);
    EXPECT_EQ(w.provider->metrics().corrupt_records, 0u);
  }
}

// --- (f) Compaction.

// A store with several segments of mostly superseded versions. Deterministic.
std::unique_ptr<LogWorld> compaction_world(Duration disk_latency) {
  LogProviderConfig config;
  config.segment_bytes = 2048;
  config.auto_compact_garbage_percent = 0;
  auto w = std::make_unique<LogWorld>(21, latency(disk_latency), config);
  EXPECT_TRUE(w->open().ok());
  for (int k = 0; k < 3; ++k) {
    const ActorKey key{"r", std::to_string(k)};
    const uint64_t token = w->lease(key, "a");
    for (uint64_t v = 1; v <= 12; ++v) {
      EXPECT_TRUE(w->run(w->provider->write_snapshot(make_snapshot(key, v, token, 150, k, 1h), v - 1)).ok());
    }
  }
  const uint64_t version = w->provider->state().find_lease({"r", "0"})->version;
  EXPECT_TRUE(w->run(w->provider->release_lease({"r", "0"}, "a", version)).ok());
  return w;
}

TEST(LogProviderCompactionTest, CompactionShrinksTheStoreAndKeepsEveryLiveRecord) {
  auto w = compaction_world(0ms);
  const MemoryState expected = w->provider->state();
  const uint64_t before = w->store_bytes();
  const uint64_t segments_before = w->files().size();
  ASSERT_GT(segments_before, 3u);
  auto r = w->run(w->provider->compact());
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_LT(w->store_bytes() * 3, before) << "12 versions per key down to 3";
  EXPECT_EQ(w->files(), std::vector<std::string>{segment_path(segments_before + 1)});
  EXPECT_EQ(w->provider->log_stats().total_bytes, w->store_bytes());
  EXPECT_TRUE(same_contents(w->provider->state(), expected));
  // Writes go on after it, into the compacted segment, and all of it survives a crash.
  const uint64_t token = w->provider->state().find_lease({"r", "1"})->version;
  ASSERT_TRUE(w->run(w->provider->write_snapshot(make_snapshot({"r", "1"}, 13, token, 150, 1), 12)).ok());
  const MemoryState after = w->provider->state();
  w->crash();
  ASSERT_TRUE(w->open().ok());
  EXPECT_TRUE(same_contents(w->provider->state(), after));
}

TEST(LogProviderCompactionTest, ACrashAtAnyStepOfCompactionLosesNothing) {
  bool saw_temp = false, saw_old_and_new = false, finished = false;
  // Each disk operation takes 1 ms: crashing after k ms stops the compaction after its
  // k-th step (open, truncate, append, sync, rename, each removal), or before.
  for (int crash_ms = 0; crash_ms < 100 && !finished; ++crash_ms) {
    SCOPED_TRACE("crash after " + std::to_string(crash_ms) + " ms");
    auto w = compaction_world(1ms);
    const MemoryState expected = w->provider->state();
    const size_t old_segments = w->files().size();
    auto call = w->start(w->provider->compact());
    w->exec.advance(Duration(crash_ms * 1'000'000));
    finished = call->has_value();
    if (finished) {
      ASSERT_TRUE((*call)->ok()) << to_string((*call)->error());
    }
    w->crash();
    const std::vector<std::string> files = w->files();
    saw_temp |= std::count(files.begin(), files.end(), std::string(kDir) + "/compact.tmp") > 0;
    saw_old_and_new |= files.size() > 1 && files.back() == segment_path(old_segments + 1);
    ASSERT_TRUE(w->open().ok());
    EXPECT_TRUE(same_contents(w->provider->state(), expected));
    EXPECT_EQ(w->provider->health().state, HealthState::kHealthy);
    EXPECT_FALSE(w->disk().volatile_contents(std::string(kDir) + "/compact.tmp").has_value());
  }
  EXPECT_TRUE(finished);
  EXPECT_TRUE(saw_temp) << "some crash hit before the rename";
  EXPECT_TRUE(saw_old_and_new) << "some crash hit between the rename and the last removal";
}

TEST(LogProviderCompactionTest, CallsDuringCompactionAreKeptInOrder) {
  auto w = compaction_world(1ms);
  const ActorKey key{"r", "2"};
  const uint64_t token = w->provider->state().find_lease(key)->version;
  auto compaction = w->start(w->provider->compact());
  auto during = w->start(w->provider->write_snapshot(make_snapshot(key, 13, token, 150, 2), 12));
  w->advance_until([&] { return compaction->has_value() && during->has_value(); });
  ASSERT_TRUE((*compaction)->ok());
  ASSERT_TRUE((*during)->ok());
  auto after = w->run(w->provider->write_snapshot(make_snapshot(key, 14, token, 150, 2), 13));
  ASSERT_TRUE(after.ok());
  const MemoryState expected = w->provider->state();
  w->crash();
  ASSERT_TRUE(w->open().ok());
  EXPECT_TRUE(same_contents(w->provider->state(), expected));
  EXPECT_EQ(w->provider->state().snapshots().at(key).rbegin()->first, 14u);
}

TEST(LogProviderCompactionTest, AutoCompactionKeepsTheStoreBounded) {
  LogProviderConfig config;
  config.segment_bytes = 2048;
  config.auto_compact_garbage_percent = 100;
  LogWorld w(22, {}, config);
  w.open_or_fail();
  const ActorKey key{"r", "1"};
  const uint64_t token = w.lease(key, "a");
  for (uint64_t v = 1; v <= 300; ++v) {
    ASSERT_TRUE(w.run(w.provider->write_snapshot(make_snapshot(key, v, token, 200, 1), v - 1)).ok());
  }
  EXPECT_GT(w.provider->log_stats().compactions, 5u);
  EXPECT_LT(w.store_bytes(), 8u * 2048) << "300 versions written, 3 live";
  const MemoryState expected = w.provider->state();
  w.crash();
  w.open_or_fail();
  EXPECT_TRUE(same_contents(w.provider->state(), expected));
}

// --- (g) The randomized model test.

// One call, as both providers see it.
struct Op {
  enum Kind { kAcquire, kRenew, kRelease, kWrite, kSweep, kCompact, kReadLease, kListLeases, kReadSnapshots, kListKeys };
  Kind kind = kAcquire;
  ActorKey key;
  std::string holder;
  Duration duration{0};
  uint64_t version = 0;
  Tags metadata;
  Snapshot snapshot;
  uint64_t expected = 0;
};

std::string describe(const Error& e) { return "error " + std::string(to_string(e.code)) + ": " + e.message; }

std::string describe(const LeaseRecord& l) {
  return l.key.to_string() + " holder=" + l.holder + " v=" + std::to_string(l.version) +
         " exp=" + std::to_string(l.expires_at_ns) + " dur=" + std::to_string(l.duration.count()) +
         " md=" + std::to_string(l.metadata.size());
}

template <typename T, typename F>
std::string describe(const Result<T>& r, F value) {
  if (!r.ok()) return describe(r.error());
  return "ok " + value(*r);
}
std::string describe(const Result<void>& r) { return r.ok() ? "ok" : describe(r.error()); }

// Runs `op` on `p` and describes the outcome. The model has no compaction: for it, ok.
Task<std::string> run_op(PersistenceProvider& p, LogProvider* log, Op op) {
  switch (op.kind) {
    case Op::kAcquire:
      co_return describe(co_await p.acquire_lease(op.key, op.holder, op.duration, op.metadata),
                         [](const LeaseOutcome& o) { return std::to_string(o.granted) + " " + describe(o.record); });
    case Op::kRenew:
      co_return describe(co_await p.renew_lease(op.key, op.holder, op.version, op.duration),
                         [](const LeaseOutcome& o) { return std::to_string(o.granted) + " " + describe(o.record); });
    case Op::kRelease:
      co_return describe(co_await p.release_lease(op.key, op.holder, op.version));
    case Op::kWrite:
      co_return describe(co_await p.write_snapshot(op.snapshot, op.expected));
    case Op::kSweep:
      co_return describe(co_await p.sweep_expired(), [](uint64_t n) { return std::to_string(n); });
    case Op::kCompact:
      if (log == nullptr) co_return "ok";
      co_return describe(co_await log->compact());
    case Op::kReadLease:
      co_return describe(co_await p.read_lease(op.key), [](const LeaseRecord& l) { return describe(l); });
    case Op::kListLeases:
      co_return describe(co_await p.list_leases(std::nullopt), [](const std::vector<LeaseRecord>& ls) {
        std::string out;
        for (const auto& l : ls) out += describe(l) + "; ";
        return out;
      });
    case Op::kReadSnapshots:
      co_return describe(co_await p.read_snapshots(op.key), [](const std::vector<Snapshot>& ss) {
        std::string out;
        for (const auto& s : ss) out += s.key.to_string() + "@" + std::to_string(s.version) + "#" + s.sha256 + "; ";
        return out;
      });
    case Op::kListKeys:
      co_return describe(co_await p.list_snapshot_keys(std::nullopt), [](const std::vector<ActorKey>& ks) {
        std::string out;
        for (const auto& k : ks) out += k.to_string() + "; ";
        return out;
      });
  }
  co_return "unknown op";
}

bool indeterminate(const std::string& outcome) {
  return outcome.rfind("error io_error", 0) == 0 || outcome.rfind("error no_space", 0) == 0;
}

class ModelRun {
 public:
  explicit ModelRun(uint64_t seed) : seed_(seed), rng_(seed), world_(seed, disk_config(seed), log_config(seed)) {}

  void play(int groups) {
    ASSERT_TRUE(world_.open(20).ok());
    model_ = std::make_unique<MemoryProvider>(world_.exec, world_.config().retained_versions);
    for (int g = 0; g < groups; ++g) {
      SCOPED_TRACE("group " + std::to_string(g));
      const uint64_t dice = rng_.below(100);
      if (dice < 8) {
        world_.exec.advance(Duration(static_cast<int64_t>(rng_.below(8000)) * 1'000'000));
      } else if (dice < 13) {
        ASSERT_NO_FATAL_FAILURE(crash_and_check({model_->state()}, 0, rng_.chance(0.8)));
      } else if (dice < 25) {
        ASSERT_NO_FATAL_FAILURE(play_read());
      } else {
        ASSERT_NO_FATAL_FAILURE(play_writes());
      }
    }
    ASSERT_NO_FATAL_FAILURE(crash_and_check({model_->state()}, 0, true));
  }

  int crashes() const { return crashes_; }
  int indeterminates() const { return indeterminates_; }

 private:
  static sim::DiskConfig disk_config(uint64_t seed) {
    env::Random r(seed ^ 0x5eed);
    sim::DiskConfig c;
    if (r.chance(0.5)) {
      c.latency_min = 0ms;
      c.latency_max = Duration(static_cast<int64_t>(1 + r.below(3)) * 1'000'000);
    }
    if (r.chance(0.4)) c.eio_probability = 0.004;
    c.tear_last_write_on_crash = r.chance(0.8);
    return c;
  }
  static LogProviderConfig log_config(uint64_t seed) {
    env::Random r(seed ^ 0xc0f1);
    LogProviderConfig c;
    c.segment_bytes = 1024 + r.below(4096);
    c.retained_versions = 1 + r.below(3);
    c.group_commit_window = r.chance(0.3) ? 1ms : 0ms;
    const uint32_t percents[] = {0, 50, 200};
    c.auto_compact_garbage_percent = percents[r.below(3)];
    return c;
  }

  ActorKey pick_key() {
    static const ActorKey keys[] = {{"a", "1"}, {"a", "2"}, {"b", "1"}};
    return keys[rng_.below(3)];
  }
  std::string pick_holder() { return "h" + std::to_string(rng_.below(3)); }

  uint64_t sometimes_off(uint64_t right) {
    if (rng_.chance(0.85)) return right;
    return right + rng_.below(3) - (right > 0 ? 1 : 0);
  }

  Op make_write_op() {
    Op op;
    op.key = pick_key();
    const MemoryState& s = model_->state();
    const LeaseRecord* lease = s.find_lease(op.key);
    auto it = s.snapshots().find(op.key);
    const uint64_t latest = it != s.snapshots().end() ? it->second.rbegin()->first : 0;
    const uint64_t serial = ++serial_;
    switch (rng_.below(6)) {
      case 0:
      case 1:
        op.kind = Op::kAcquire;
        op.holder = pick_holder();
        op.duration = Duration(static_cast<int64_t>(1 + rng_.below(20)) * 1'000'000'000);
        op.metadata = {{"serial", std::to_string(serial)}};
        break;
      case 2:
        op.kind = rng_.chance(0.6) ? Op::kRenew : Op::kRelease;
        op.holder = lease != nullptr && rng_.chance(0.8) ? lease->holder : pick_holder();
        op.version = sometimes_off(lease != nullptr ? lease->version : 0);
        op.duration = Duration(static_cast<int64_t>(1 + rng_.below(20)) * 1'000'000'000);
        if (op.holder.empty()) op.holder = pick_holder();
        break;
      case 3:
      case 4: {
        op.kind = Op::kWrite;
        op.expected = sometimes_off(latest);
        const uint64_t version = sometimes_off(op.expected + 1);
        const uint64_t token = sometimes_off(lease != nullptr ? lease->version : 0);
        const size_t bytes = rng_.chance(0.1) ? 2000 + rng_.below(3000) : rng_.below(300);
        std::optional<Duration> ttl;
        if (rng_.chance(0.3)) ttl = Duration(static_cast<int64_t>(1 + rng_.below(15)) * 1'000'000'000);
        op.snapshot = make_snapshot(op.key, version, token, bytes, serial, ttl);
        break;
      }
      default:
        op.kind = rng_.chance(0.6) ? Op::kSweep : Op::kCompact;
        break;
    }
    return op;
  }

  std::string run_model(const Op& op) {
    std::optional<std::string> out;
    TaskScope scope;
    scope.spawn([](PersistenceProvider& p, Op o, std::optional<std::string>& result) -> Task<void> {
      result.emplace(co_await run_op(p, nullptr, std::move(o)));
    }(*model_, op, out));
    EXPECT_TRUE(out.has_value()) << "the model completes synchronously";
    return out.value_or("model did not complete");
  }

  std::shared_ptr<std::optional<std::string>> start_log(const Op& op) {
    auto out = std::make_shared<std::optional<std::string>>();
    world_.calls.spawn([](LogProvider& p, Op o, std::shared_ptr<std::optional<std::string>> result) -> Task<void> {
      result->emplace(co_await run_op(p, &p, std::move(o)));
    }(*world_.provider, op, out));
    return out;
  }

  void play_read() {
    Op op;
    const Op::Kind kinds[] = {Op::kReadLease, Op::kListLeases, Op::kReadSnapshots, Op::kListKeys};
    op.kind = kinds[rng_.below(4)];
    op.key = pick_key();
    auto log = start_log(op);
    const std::string expected = run_model(op);
    world_.advance_until([&] { return log->has_value(); });
    ASSERT_TRUE(log->has_value());
    if (indeterminate(**log)) {
      // An auto-compaction that failed after its rename fails the provider with nobody
      // waiting; the next call learns of it.
      ASSERT_NO_FATAL_FAILURE(crash_and_check({model_->state()}, 0, rng_.chance(0.5)));
      return;
    }
    EXPECT_EQ(**log, expected) << "seed " << seed_;
  }

  // One to three calls started together (so they may share a batch), then either run to
  // completion or cut short by a crash.
  void play_writes() {
    const size_t n = rng_.chance(0.7) ? 1 : 2 + rng_.below(2);
    std::vector<MemoryState> states{model_->state()};
    std::vector<std::string> expected;
    std::vector<std::shared_ptr<std::optional<std::string>>> log;
    for (size_t i = 0; i < n; ++i) {
      const Op op = make_write_op();
      // Both decide at the same store time, in the same order.
      log.push_back(start_log(op));
      expected.push_back(run_model(op));
      states.push_back(model_->state());
    }
    const bool cut_short = rng_.chance(0.15);
    if (cut_short) {
      const int steps = static_cast<int>(rng_.below(8));
      for (int s = 0; s < steps; ++s) world_.exec.advance(1ms);
    } else {
      world_.advance_until([&] { return std::all_of(log.begin(), log.end(), [](auto& l) { return l->has_value(); }); });
    }
    // Every call that answered (other than with an I/O error) must have answered as the
    // model did, and is durable: states before it are no longer possible.
    size_t min_state = 0;
    bool unknown = false;
    for (size_t i = 0; i < n; ++i) {
      if (!log[i]->has_value() || indeterminate(**log[i])) {
        unknown = true;
        continue;
      }
      EXPECT_EQ(**log[i], expected[i]) << "seed " << seed_ << " call " << i;
      min_state = i + 1;
    }
    if (unknown || cut_short) {
      ++indeterminates_;
      ASSERT_NO_FATAL_FAILURE(crash_and_check(states, min_state, cut_short || rng_.chance(0.5)));
    } else {
      EXPECT_TRUE(same_contents(world_.provider->state(), model_->state())) << "seed " << seed_;
    }
  }

  // Crashes (or just closes) the store, reopens it and requires its state to be one of
  // `candidates[min..]`; the model continues from the one it matched.
  void crash_and_check(const std::vector<MemoryState>& candidates, size_t min, bool crash) {
    ++crashes_;
    if (crash) {
      world_.crash();
    } else {
      world_.close();
    }
    auto opened = world_.open(20);
    ASSERT_TRUE(opened.ok()) << "seed " << seed_ << ": " << to_string(opened.error());
    EXPECT_NE(world_.provider->health().state, HealthState::kDegraded) << "seed " << seed_ << ": no rot here";
    EXPECT_EQ(world_.provider->log_stats().total_bytes, world_.store_bytes()) << "seed " << seed_;
    for (size_t j = candidates.size(); j-- > min;) {
      if (same_contents(world_.provider->state(), candidates[j])) {
        model_ = std::make_unique<MemoryProvider>(world_.exec, candidates[j]);
        return;
      }
    }
    FAIL() << "seed " << seed_ << ": after reopening, the store matches none of the " << candidates.size() - min
           << " states the acknowledged calls allow";
  }

  uint64_t seed_;
  env::Random rng_;
  LogWorld world_;
  std::unique_ptr<MemoryProvider> model_;
  uint64_t serial_ = 0;
  int crashes_ = 0;
  int indeterminates_ = 0;
};

TEST(LogProviderModelTest, RandomCallsCrashesAndEioMatchTheModel) {
  int crashes = 0, indeterminates = 0;
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ModelRun run(seed);
    ASSERT_NO_FATAL_FAILURE(run.play(150));
    crashes += run.crashes();
    indeterminates += run.indeterminates();
  }
  EXPECT_GT(crashes, 500);
  EXPECT_GT(indeterminates, 100);
}

}  // namespace
}  // namespace orbit::persistence
