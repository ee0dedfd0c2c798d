// RemoteProvider + StorageServer in the simulator: a store node serving a MemoryProvider and
// a client node forwarding to it. First the conformance suite through the wire, then what
// only a remote store has: crash, pause past the call timeout, partition, duplicated
// frames, malformed requests, oversize frames.
#include "runtime/persistence/remote_provider.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/persistence/memory_provider.h"
#include "runtime/persistence/provider_conformance.h"
#include "runtime/persistence/record_codec.h"
#include "runtime/persistence/remote_store_world.h"
#include "runtime/persistence/snapshot_hash.h"
#include "runtime/persistence/storage_server.h"
#include "runtime/persistence/store_messages.h"
#include "runtime/rpc/frame.h"

namespace orbit::persistence {
namespace {

using testing::RemoteStoreWorld;
using testing::RemoteStoreWorldOptions;
using rpc::Method;
using Packer = msgpack::packer<orbit::wire::ByteSink>;

// The whole provider contract, through the wire: a MemoryProvider on the store node.
using RemoteHarnesses = ::testing::Types<testing::RemoteProviderHarness<MemoryProvider>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Remote, ProviderConformance, RemoteHarnesses);

constexpr size_t kStoreRetained = 4;

RemoteStoreWorldOptions options(uint64_t seed = 1) {
  RemoteStoreWorldOptions o;
  o.seed = seed;
  o.world.disk.tear_last_write_on_crash = false;
  o.make_store_provider = [](sim::NodeContext& ctx) -> std::unique_ptr<PersistenceProvider> {
    return std::make_unique<MemoryProvider>(ctx.clock(), kStoreRetained);
  };
  return o;
}

Snapshot make_snapshot(const ActorKey& key, uint64_t version, uint64_t token, std::string state) {
  Snapshot s;
  s.key = key;
  s.version = version;
  s.state = to_bytes(state);
  s.sha256 = sha256_hex(s.state);
  s.fencing_token = token;
  s.created_at_ns = 100;
  s.updated_at_ns = 100 + static_cast<int64_t>(version);
  s.node = "node-1";
  s.tags = {{"policy", "write_through"}};
  return s;
}

// Named, never braced inside co_await: GCC 12 miscompiles braced temporaries there.
const ActorKey kKey{"counter", "c1"};
const ActorKey kBank{"bank", "x"};
const ActorKey kMissing{"counter", "nope"};
const Tags kNoTags;

// Acquires kKey for `holder` through the client and returns the fencing token.
uint64_t acquire(RemoteStoreWorld& w, const std::string& holder) {
  auto r = w.run([holder](PersistenceProvider& p) -> Task<Result<LeaseOutcome>> {
    co_return co_await p.acquire_lease(kKey, holder, 10s, kNoTags);
  });
  EXPECT_TRUE(r.has_value() && r->ok());
  EXPECT_TRUE((*r)->granted);
  return (*r)->record.version;
}

TEST(RemoteProviderTest, EveryOperationRoundTrips) {
  RemoteStoreWorld w(options());
  RemoteProvider& client = w.client()->provider;

  // Leases: grant, refusal with the holder's record, renewal, read, list.
  auto granted = w.run([](PersistenceProvider& p) -> Task<Result<LeaseOutcome>> {
    const Tags metadata{{"node", "1"}};
    co_return co_await p.acquire_lease(kKey, "a#1", 5s, metadata);
  });
  ASSERT_TRUE(granted && granted->ok()) << to_string(granted->error());
  EXPECT_TRUE((*granted)->granted);
  EXPECT_EQ((*granted)->record.version, 1u);
  EXPECT_EQ((*granted)->record.holder, "a#1");
  EXPECT_EQ((*granted)->record.metadata, (Tags{{"node", "1"}}));
  EXPECT_EQ((*granted)->record.duration, 5s);

  auto refused = w.run([](PersistenceProvider& p) -> Task<Result<LeaseOutcome>> {
    co_return co_await p.acquire_lease(kKey, "b#2", 5s, kNoTags);
  });
  ASSERT_TRUE(refused && refused->ok());
  EXPECT_FALSE((*refused)->granted);
  EXPECT_EQ((*refused)->record.holder, "a#1");

  auto renewed = w.run([](PersistenceProvider& p) -> Task<Result<LeaseOutcome>> {
    co_return co_await p.renew_lease(kKey, "a#1", 1, 7s);
  });
  ASSERT_TRUE(renewed && renewed->ok());
  EXPECT_TRUE((*renewed)->granted);
  EXPECT_EQ((*renewed)->record.duration, 7s);

  auto read = w.run([](PersistenceProvider& p) -> Task<Result<LeaseRecord>> { co_return co_await p.read_lease(kKey); });
  ASSERT_TRUE(read && read->ok());
  EXPECT_EQ(**read, (*renewed)->record);

  auto missing = w.run([](PersistenceProvider& p) -> Task<Result<LeaseRecord>> {
    co_return co_await p.read_lease(kMissing);
  });
  ASSERT_TRUE(missing && !missing->ok());
  EXPECT_EQ(missing->code(), ErrorCode::kNotFound);

  ASSERT_TRUE(w.run([](PersistenceProvider& p) -> Task<Result<LeaseOutcome>> {
                 co_return co_await p.acquire_lease(kBank, "a#1", 5s, kNoTags);
               }).value().ok());
  auto all = w.run([](PersistenceProvider& p) -> Task<Result<std::vector<LeaseRecord>>> {
    co_return co_await p.list_leases(std::nullopt);
  });
  ASSERT_TRUE(all && all->ok());
  ASSERT_EQ((*all)->size(), 2u);
  EXPECT_EQ((**all)[0].key, kBank);
  EXPECT_EQ((**all)[1].key, kKey);
  auto counters = w.run([](PersistenceProvider& p) -> Task<Result<std::vector<LeaseRecord>>> {
    co_return co_await p.list_leases("counter");
  });
  ASSERT_TRUE(counters && counters->ok());
  ASSERT_EQ((*counters)->size(), 1u);

  // Snapshots: binary state survives the trip bit for bit.
  Snapshot v1 = make_snapshot(kKey, 1, 1, std::string("\x00\x01\xff state", 9));
  v1.ttl = 2s;
  auto wrote = w.run([&](PersistenceProvider& p) -> Task<Result<void>> { co_return co_await p.write_snapshot(v1, 0); });
  ASSERT_TRUE(wrote && wrote->ok()) << to_string(wrote->error());
  Snapshot v2 = make_snapshot(kKey, 2, 1, "second");
  ASSERT_TRUE(w.run([&](PersistenceProvider& p) -> Task<Result<void>> {
                 co_return co_await p.write_snapshot(v2, 1);
               }).value().ok());
  auto snaps = w.run([](PersistenceProvider& p) -> Task<Result<std::vector<Snapshot>>> {
    co_return co_await p.read_snapshots(kKey);
  });
  ASSERT_TRUE(snaps && snaps->ok());
  ASSERT_EQ((*snaps)->size(), 2u);
  EXPECT_EQ((**snaps)[0], v2);
  EXPECT_EQ((**snaps)[1], v1);
  EXPECT_TRUE(hash_verifies((**snaps)[1]));

  auto keys = w.run([](PersistenceProvider& p) -> Task<Result<std::vector<ActorKey>>> {
    co_return co_await p.list_snapshot_keys(std::nullopt);
  });
  ASSERT_TRUE(keys && keys->ok());
  EXPECT_EQ(**keys, (std::vector<ActorKey>{kKey}));
  auto none = w.run([](PersistenceProvider& p) -> Task<Result<std::vector<ActorKey>>> {
    co_return co_await p.list_snapshot_keys("bank");
  });
  ASSERT_TRUE(none && none->ok());
  EXPECT_TRUE((*none)->empty());

  // TTL sweep on the store's clock: v1 had a 2 s TTL.
  w.world().run_for(3s);
  auto swept = w.run([](PersistenceProvider& p) -> Task<Result<uint64_t>> { co_return co_await p.sweep_expired(); });
  ASSERT_TRUE(swept && swept->ok());
  EXPECT_EQ(**swept, 1u);

  auto released = w.run([](PersistenceProvider& p) -> Task<Result<void>> {
    co_return co_await p.release_lease(kKey, "a#1", 1);
  });
  ASSERT_TRUE(released && released->ok());
  auto after = w.run([](PersistenceProvider& p) -> Task<Result<LeaseRecord>> { co_return co_await p.read_lease(kKey); });
  ASSERT_TRUE(after && after->ok());
  EXPECT_EQ((*after)->holder, "");
  EXPECT_EQ((*after)->version, 1u) << "release keeps the version";

  // The store's own counters and health; the health reply teaches the client the store's K.
  EXPECT_EQ(client.retained_versions(), 3u) << "configured until learned";
  auto remote = w.run([](RemoteProvider& p) -> Task<Result<ProviderMetrics>> { co_return co_await p.remote_metrics(); });
  ASSERT_TRUE(remote && remote->ok());
  EXPECT_EQ((*remote)->snapshot_writes, 2u);
  EXPECT_EQ((*remote)->lease_renewals, 1u);
  EXPECT_EQ((*remote)->lease_releases, 1u);
  auto health = w.run([](RemoteProvider& p) -> Task<Result<Health>> { co_return co_await p.remote_health(); });
  ASSERT_TRUE(health && health->ok());
  EXPECT_EQ((*health)->state, HealthState::kHealthy);
  EXPECT_EQ(client.retained_versions(), kStoreRetained);

  // The client's own view.
  const ProviderMetrics m = client.metrics();
  EXPECT_EQ(m.lease_acquires, 2u);
  EXPECT_EQ(m.lease_conflicts, 1u);
  EXPECT_EQ(m.lease_renewals, 1u);
  EXPECT_EQ(m.lease_releases, 1u);
  EXPECT_EQ(m.snapshot_writes, 2u);
  EXPECT_EQ(m.snapshot_reads, 1u);
  EXPECT_EQ(m.bytes_written, v1.state.size() + v2.state.size());
  EXPECT_EQ(m.bytes_read, v1.state.size() + v2.state.size());
  EXPECT_EQ(m.errors, 0u);
  EXPECT_EQ(client.client_stats().retries, 0u);
  EXPECT_EQ(client.health().state, HealthState::kHealthy);
}

// Runs the same bad write through the client and directly on the store: the error must
// arrive with the store's code and message, unchanged.
void expect_same_error_remotely(RemoteStoreWorld& w, const Snapshot& bad, uint64_t expected_version,
                                ErrorCode code) {
  auto remote = w.run([&](PersistenceProvider& p) -> Task<Result<void>> {
    co_return co_await p.write_snapshot(bad, expected_version);
  });
  auto local = w.run_on_store([&](PersistenceProvider& p) -> Task<Result<void>> {
    co_return co_await p.write_snapshot(bad, expected_version);
  });
  ASSERT_TRUE(remote && local);
  ASSERT_FALSE(remote->ok());
  ASSERT_FALSE(local->ok());
  EXPECT_EQ(remote->code(), code);
  EXPECT_EQ(remote->error(), local->error());
}

TEST(RemoteProviderTest, FencingRejectionAndVersionConflictArriveIntact) {
  RemoteStoreWorld w(options());
  const uint64_t token = acquire(w, "a#1");
  ASSERT_TRUE(w.run([&](PersistenceProvider& p) -> Task<Result<void>> {
                 co_return co_await p.write_snapshot(make_snapshot(kKey, 1, token, "one"), 0);
               }).value().ok());

  // A stale token (as an orphaned activation would hold).
  expect_same_error_remotely(w, make_snapshot(kKey, 2, token + 7, "orphan"), 1, ErrorCode::kRejected);
  // A lost compare-and-set on the version.
  expect_same_error_remotely(w, make_snapshot(kKey, 1, token, "again"), 0, ErrorCode::kConflict);

  const ProviderMetrics m = w.client()->provider.metrics();
  EXPECT_EQ(m.fencing_rejections, 1u);
  EXPECT_EQ(m.version_conflicts, 1u);
  EXPECT_EQ(m.errors, 0u) << "refusals are answers, not I/O errors";
  EXPECT_EQ(w.client()->provider.health().state, HealthState::kHealthy);
}

TEST(RemoteProviderTest, StoreCrashFailsCallsInsteadOfHanging) {
  RemoteStoreWorld w(options());
  const uint64_t token = acquire(w, "a#1");
  RemoteProvider& client = w.client()->provider;

  // A write in flight when the store dies: the connection loss fails it (maybe applied).
  auto in_flight = w.start_on_client(0, [token](RemoteStoreWorld::ClientProcess& c) -> Task<Result<void>> {
    co_return co_await c.provider.write_snapshot(make_snapshot(kKey, 1, token, "one"), 0);
  });
  w.world().run_for(Duration::zero());  // the client sends; the frame is still on the wire
  ASSERT_TRUE(w.world().crash(RemoteStoreWorld::kStore).ok());
  auto lost = w.wait(in_flight, 10s);
  ASSERT_TRUE(lost.has_value()) << "the call hangs";
  ASSERT_FALSE(lost->ok());
  EXPECT_EQ(lost->code(), ErrorCode::kUnavailable) << to_string(lost->error());
  EXPECT_NE(lost->error().message.find("outcome unknown"), std::string::npos) << lost->error().message;

  // Calls while it is down time out, retries included, within a bounded time.
  const int64_t start = w.world().now_ns();
  auto read = w.run([](PersistenceProvider& p) -> Task<Result<LeaseRecord>> { co_return co_await p.read_lease(kKey); });
  ASSERT_TRUE(read.has_value()) << "the call hangs";
  ASSERT_FALSE(read->ok());
  EXPECT_EQ(read->code(), ErrorCode::kTimeout);
  const int64_t elapsed_ns = w.world().now_ns() - start;
  EXPECT_GE(elapsed_ns, 3'000'000'000) << "three attempts of 1 s each";
  EXPECT_LE(elapsed_ns, 3'300'000'000) << "plus at most 50 ms + 100 ms of backoff";
  EXPECT_EQ(client.client_stats().attempts, 1u + 1u + 3u);
  EXPECT_EQ(client.client_stats().indeterminate_writes, 1u);
  EXPECT_EQ(client.health().state, HealthState::kUnhealthy);
  EXPECT_NE(client.health().reason.find("store node 0"), std::string::npos) << client.health().reason;
  EXPECT_EQ(client.metrics().errors, 2u);

  // The store comes back (empty: its provider kept nothing) and serves again.
  ASSERT_TRUE(w.world().restart(RemoteStoreWorld::kStore).ok());
  w.world().run_for(10ms);
  auto again = w.run([](PersistenceProvider& p) -> Task<Result<LeaseOutcome>> {
    co_return co_await p.acquire_lease(kKey, "b#2", 5s, kNoTags);
  });
  ASSERT_TRUE(again && again->ok());
  EXPECT_TRUE((*again)->granted);
  EXPECT_EQ(client.health().state, HealthState::kDegraded);
}

TEST(RemoteProviderTest, WriteThatTimedOutWhileTheStoreWasPausedIsAppliedOnResume) {
  RemoteStoreWorld w(options());
  const uint64_t token = acquire(w, "a#1");
  RemoteProvider& client = w.client()->provider;
  const uint64_t attempts_before = client.client_stats().attempts;

  ASSERT_TRUE(w.world().pause(RemoteStoreWorld::kStore).ok());
  const Snapshot v1 = make_snapshot(kKey, 1, token, "paid");
  auto wrote = w.run([&](PersistenceProvider& p) -> Task<Result<void>> { co_return co_await p.write_snapshot(v1, 0); });
  ASSERT_TRUE(wrote.has_value());
  ASSERT_FALSE(wrote->ok());
  EXPECT_EQ(wrote->code(), ErrorCode::kTimeout);
  EXPECT_NE(wrote->error().message.find("outcome unknown"), std::string::npos) << wrote->error().message;
  EXPECT_EQ(client.client_stats().attempts - attempts_before, 1u) << "a write is never retried";
  EXPECT_EQ(client.client_stats().indeterminate_writes, 1u);

  // The store wakes up and applies the request that was waiting for it.
  w.world().run_for(2s);
  ASSERT_TRUE(w.world().resume(RemoteStoreWorld::kStore).ok());
  w.world().run_for(100ms);
  auto stored = w.run_on_store([](PersistenceProvider& p) -> Task<Result<std::vector<Snapshot>>> {
    co_return co_await p.read_snapshots(kKey);
  });
  ASSERT_TRUE(stored && stored->ok());
  ASSERT_EQ((*stored)->size(), 1u) << "the timed-out write did succeed";
  EXPECT_EQ((**stored)[0], v1);
  EXPECT_GE(w.client()->rpc.stats().late_replies, 1u);

  // Why blind retries are wrong: repeating the write now loses its own compare-and-set.
  auto retry = w.run([&](PersistenceProvider& p) -> Task<Result<void>> { co_return co_await p.write_snapshot(v1, 0); });
  ASSERT_TRUE(retry && !retry->ok());
  EXPECT_EQ(retry->code(), ErrorCode::kConflict);
}

TEST(RemoteProviderTest, StallFaultPointMakesAWriteTimeOutAndLandLater) {
  RemoteStoreWorld w(options());
  const uint64_t token = acquire(w, "a#1");
  ASSERT_TRUE(w.world().fault_points().force_delay("store.stall_before_apply", 1500ms).ok());
  const Snapshot v1 = make_snapshot(kKey, 1, token, "late");
  auto wrote = w.run([&](PersistenceProvider& p) -> Task<Result<void>> { co_return co_await p.write_snapshot(v1, 0); });
  ASSERT_TRUE(wrote && !wrote->ok());
  EXPECT_EQ(wrote->code(), ErrorCode::kTimeout);
  w.world().run_for(1s);
  auto stored = w.run_on_store([](PersistenceProvider& p) -> Task<Result<std::vector<Snapshot>>> {
    co_return co_await p.read_snapshots(kKey);
  });
  ASSERT_TRUE(stored && stored->ok());
  ASSERT_EQ((*stored)->size(), 1u) << "the stalled write was applied after the caller gave up";
  EXPECT_EQ(w.world().fault_points().sites().at("store.stall_before_apply").fired, 1u);
}

TEST(RemoteProviderTest, AcquireIsRetriedAndStaysIdempotentWhenTheFirstAttemptWasApplied) {
  RemoteStoreWorld w(options());
  RemoteProvider& client = w.client()->provider;
  ASSERT_TRUE(w.world().pause(RemoteStoreWorld::kStore).ok());
  // Resume after the first attempt timed out (1 s) and the second was sent.
  w.world().at(w.world().now_ns() + 1'500'000'000, [&w] { ASSERT_TRUE(w.world().resume(RemoteStoreWorld::kStore).ok()); });
  auto r = w.run([](PersistenceProvider& p) -> Task<Result<LeaseOutcome>> {
    co_return co_await p.acquire_lease(kKey, "a#1", 5s, kNoTags);
  });
  ASSERT_TRUE(r && r->ok()) << to_string(r->error());
  EXPECT_TRUE((*r)->granted);
  EXPECT_EQ((*r)->record.version, 1u) << "both attempts applied; the repeat kept the token";
  EXPECT_EQ(client.client_stats().retries, 1u);
  EXPECT_EQ(client.client_stats().timeouts, 1u);
  w.world().run_for(100ms);
  EXPECT_EQ(w.store()->rpc.stats().served, 2u) << "the store applied both attempts";
  auto stored = w.run_on_store([](PersistenceProvider& p) -> Task<Result<LeaseRecord>> {
    co_return co_await p.read_lease(kKey);
  });
  ASSERT_TRUE(stored && stored->ok());
  EXPECT_EQ((*stored)->holder, "a#1");
  EXPECT_EQ((*stored)->version, 1u);
}

TEST(RemoteProviderTest, PartitionThenHeal) {
  RemoteStoreWorld w(options());
  const uint64_t token = acquire(w, "a#1");
  RemoteProvider& client = w.client()->provider;
  const env::NodeId me = RemoteStoreWorld::client_node(0);

  ASSERT_TRUE(w.world().partition({me}, {RemoteStoreWorld::kStore}).ok());
  auto cut = w.run([&](PersistenceProvider& p) -> Task<Result<void>> {
    co_return co_await p.write_snapshot(make_snapshot(kKey, 1, token, "one"), 0);
  });
  ASSERT_TRUE(cut && !cut->ok());
  EXPECT_EQ(cut->code(), ErrorCode::kTimeout);
  auto read = w.run([](PersistenceProvider& p) -> Task<Result<std::vector<Snapshot>>> {
    co_return co_await p.read_snapshots(kKey);
  });
  ASSERT_TRUE(read && !read->ok());
  EXPECT_EQ(read->code(), ErrorCode::kTimeout);
  EXPECT_EQ(client.health().state, HealthState::kUnhealthy);

  w.world().heal();
  auto read_again = w.run([](PersistenceProvider& p) -> Task<Result<std::vector<Snapshot>>> {
    co_return co_await p.read_snapshots(kKey);
  });
  ASSERT_TRUE(read_again && read_again->ok());
  EXPECT_TRUE((*read_again)->empty()) << "the partition dropped the write";
  EXPECT_EQ(client.health().state, HealthState::kDegraded);
  auto wrote = w.run([&](PersistenceProvider& p) -> Task<Result<void>> {
    co_return co_await p.write_snapshot(make_snapshot(kKey, 1, token, "one"), 0);
  });
  ASSERT_TRUE(wrote && wrote->ok());

  // A clean window of answers makes it healthy again.
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(w.run([](PersistenceProvider& p) -> Task<Result<LeaseRecord>> {
                   co_return co_await p.read_lease(kKey);
                 }).value().ok());
  }
  EXPECT_EQ(client.health().state, HealthState::kHealthy);
}

TEST(RemoteProviderTest, ReadIsRetriedAcrossAShortPartition) {
  RemoteStoreWorld w(options());
  RemoteProvider& client = w.client()->provider;
  const env::NodeId me = RemoteStoreWorld::client_node(0);
  ASSERT_TRUE(w.world().partition({me}, {RemoteStoreWorld::kStore}).ok());
  w.world().at(w.world().now_ns() + 500'000'000, [&w] { w.world().heal(); });
  auto r = w.run([](PersistenceProvider& p) -> Task<Result<std::vector<LeaseRecord>>> {
    co_return co_await p.list_leases(std::nullopt);
  });
  ASSERT_TRUE(r && r->ok()) << to_string(r->error());
  EXPECT_EQ(client.client_stats().retries, 1u);
  EXPECT_EQ(client.metrics().errors, 0u) << "the operation succeeded";
  EXPECT_EQ(client.health().state, HealthState::kDegraded);
}

// A request frame whose body is whatever `build` packs (header room first, as
// rpc::encode_message() leaves it).
template <typename Build>
Bytes raw_request(Build build) {
  Bytes frame(rpc::kHeaderBytes, 0);
  orbit::wire::ByteSink sink(frame);
  Packer p(sink);
  build(p);
  return frame;
}

void pack_key(Packer& p) {
  p.pack_array(2);
  p.pack("counter");
  p.pack("c1");
}

// The fields of a snapshot after its key and version, all well-formed.
void pack_snapshot_tail(Packer& p) {
  p.pack("");     // sha256
  p.pack(1);      // fencing_token
  p.pack(0);      // created_at_ns
  p.pack(0);      // updated_at_ns
  p.pack("n");    // node
  p.pack_map(0);  // tags
  p.pack_nil();   // ttl_ns
}

TEST(RemoteProviderTest, MalformedRequestBodiesNameTheField) {
  RemoteStoreWorld w(options());
  struct Case {
    Method method;
    Bytes body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {Method::kAcquireLease, raw_request([](Packer& p) {
         p.pack_array(2);
         pack_key(p);
         p.pack("a");
       }),
       "store.acquire_lease: expected 4 fields, got 2"},
      {Method::kAcquireLease, raw_request([](Packer& p) {
         p.pack_array(4);
         p.pack_array(1);
         p.pack("counter");
         p.pack("a");
         p.pack(1);
         p.pack_map(0);
       }),
       "store.acquire_lease: key: expected 2 fields, got 1"},
      {Method::kAcquireLease, raw_request([](Packer& p) {
         p.pack_array(4);
         pack_key(p);
         p.pack(5);
         p.pack(1);
         p.pack_map(0);
       }),
       "store.acquire_lease: holder: expected a string, got an unsigned integer"},
      {Method::kAcquireLease, raw_request([](Packer& p) {
         p.pack_array(4);
         pack_key(p);
         p.pack("a");
         p.pack(1);
         p.pack_map(1);
         p.pack("n");
         p.pack(1);
       }),
       "store.acquire_lease: metadata.n: expected a string, got an unsigned integer"},
      {Method::kRenewLease, raw_request([](Packer& p) {
         p.pack_array(4);
         pack_key(p);
         p.pack("a");
         p.pack("seven");
         p.pack(1);
       }),
       "store.renew_lease: version: expected an unsigned integer, got a string"},
      {Method::kReleaseLease, raw_request([](Packer& p) {
         p.pack_array(2);
         pack_key(p);
         p.pack("a");
       }),
       "store.release_lease: expected 3 fields, got 2"},
      {Method::kReadLease, raw_request([](Packer& p) {
         p.pack_map(0);
       }),
       "store.read_lease: expected an array of 1 field, got a map"},
      {Method::kListLeases, raw_request([](Packer& p) {
         p.pack_array(1);
         p.pack(3);
       }),
       "store.list_leases: kind: expected a string, got an unsigned integer"},
      {Method::kWriteSnapshot, raw_request([](Packer& p) {
         p.pack_array(2);
         p.pack_array(10);
         pack_key(p);
         p.pack(1);
         p.pack("not binary");
         pack_snapshot_tail(p);
         p.pack(0);
       }),
       "store.write_snapshot: snapshot.state: expected binary, got a string"},
      {Method::kWriteSnapshot, raw_request([](Packer& p) {
         p.pack_array(1);
         p.pack_array(10);
         pack_key(p);
         p.pack(1);
         p.pack_bin(0);
         pack_snapshot_tail(p);
       }),
       "store.write_snapshot: expected 2 fields, got 1"},
      {Method::kReadSnapshots, raw_request([](Packer& p) {
         p.pack_array(1);
         p.pack("counter/c1");
       }),
       "store.read_snapshots: key: expected an array of 2 fields, got a string"},
      {Method::kListSnapshotKeys, raw_request([](Packer& p) { p.pack("all"); }),
       "store.list_snapshot_keys: expected an array of 1 field, got a string"},
      {Method::kReadLease, raw_request([](Packer& p) {
         p.pack_array(1);
         p.pack_array(2);
       }),
       "store.read_lease: truncated (2 bytes, but its arrays and maps claim at least 3 elements)"},
  };
  for (const Case& c : cases) {
    auto r = w.start_on_client(0, [c](RemoteStoreWorld::ClientProcess& p) -> Task<Result<Bytes>> {
      co_return co_await p.rpc.call(RemoteStoreWorld::kStore, c.method, c.body, 1s);
    });
    auto reply = w.wait(r);
    ASSERT_TRUE(reply.has_value()) << c.message;
    ASSERT_FALSE(reply->ok()) << c.message;
    EXPECT_EQ(reply->code(), ErrorCode::kInvalidArgument) << c.message;
    EXPECT_EQ(reply->error().message, c.message);
  }
  EXPECT_EQ(w.store()->server.stats().invalid_requests, cases.size());
  EXPECT_EQ(w.store()->server.stats().requests, cases.size());
  auto leases = w.run_on_store([](PersistenceProvider& p) -> Task<Result<std::vector<LeaseRecord>>> {
    co_return co_await p.list_leases(std::nullopt);
  });
  ASSERT_TRUE(leases && leases->ok());
  EXPECT_TRUE((*leases)->empty()) << "nothing malformed reached the provider";
}

// A store answering with a reply of the wrong shape (another build, a bug): the client
// reports kCorrupt naming the method and the field, counts it, and never retries it.
Task<Result<Bytes>> bad_lease_reply(rpc::NodeId, ByteView) {
  wire::ReadLeaseReply reply;
  reply.lease.key = kKey;
  Bytes frame = rpc::encode_message(reply);
  // Turn the holder (an empty string, 0xa0) into nil.
  const size_t holder = rpc::kHeaderBytes + 3 + 1 + kKey.kind.size() + 1 + kKey.id.size();
  EXPECT_EQ(frame[holder], 0xa0);
  frame[holder] = 0xc0;
  co_return frame;
}

TEST(RemoteProviderTest, MalformedReplyIsCorruptAndNamesTheField) {
  RemoteStoreWorld w(options());
  w.store()->rpc.serve(Method::kReadLease, &bad_lease_reply);
  RemoteProvider& client = w.client()->provider;
  auto read = w.run([](PersistenceProvider& p) -> Task<Result<LeaseRecord>> { co_return co_await p.read_lease(kKey); });
  ASSERT_TRUE(read && !read->ok());
  EXPECT_EQ(read->code(), ErrorCode::kCorrupt);
  EXPECT_EQ(read->error().message, "store.read_lease reply: lease.holder: expected a string, got nil");
  EXPECT_EQ(client.client_stats().malformed_replies, 1u);
  EXPECT_EQ(client.client_stats().attempts, 1u);
  EXPECT_EQ(client.metrics().errors, 1u);
}

TEST(RemoteProviderTest, DuplicatedNetworkDoesNotApplyAWriteTwice) {
  RemoteStoreWorld w(options());
  sim::LinkConfig dup;
  dup.duplicate_probability = 1.0;
  ASSERT_TRUE(w.world().set_all_links(dup).ok());

  const uint64_t token = acquire(w, "a#1");
  EXPECT_EQ(token, 1u) << "the duplicate acquire by the same holder kept the token";
  const Snapshot v1 = make_snapshot(kKey, 1, token, "once");
  auto wrote = w.run([&](PersistenceProvider& p) -> Task<Result<void>> { co_return co_await p.write_snapshot(v1, 0); });
  ASSERT_TRUE(wrote && wrote->ok()) << "the client sees the first reply";
  w.world().run_for(1s);

  auto store_metrics = w.run_on_store([](PersistenceProvider& p) -> Task<ProviderMetrics> { co_return p.metrics(); });
  ASSERT_TRUE(store_metrics);
  EXPECT_EQ(store_metrics->snapshot_writes, 1u);
  EXPECT_EQ(store_metrics->version_conflicts, 0u) << "the duplicate request never reached the provider";
  EXPECT_GE(w.store()->rpc.stats().duplicate_requests, 1u) << "it was dropped as a duplicate";
  auto stored = w.run_on_store([](PersistenceProvider& p) -> Task<Result<std::vector<Snapshot>>> {
    co_return co_await p.read_snapshots(kKey);
  });
  ASSERT_TRUE(stored && stored->ok());
  ASSERT_EQ((*stored)->size(), 1u);
  EXPECT_EQ((**stored)[0], v1);
  EXPECT_EQ(w.client()->provider.metrics().version_conflicts, 0u);
}

TEST(RemoteProviderTest, OversizeWriteIsRefusedWithoutBeingSent) {
  RemoteStoreWorld w(options());
  const uint64_t token = acquire(w, "a#1");
  const uint64_t sent_before = w.world().network_stats().sent;
  Snapshot big = make_snapshot(kKey, 1, token, std::string(2 << 20, 'x'));
  auto r = w.run([&](PersistenceProvider& p) -> Task<Result<void>> { co_return co_await p.write_snapshot(big, 0); });
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r->error().message.find("frame limit"), std::string::npos) << r->error().message;
  EXPECT_EQ(w.world().network_stats().sent, sent_before);
  EXPECT_EQ(w.client()->provider.client_stats().oversize_requests, 1u);
}

TEST(RemoteProviderTest, OversizeReadReplyIsAnErrorNotATimeout) {
  RemoteStoreWorld w(options());
  const uint64_t token = acquire(w, "a#1");
  // Each write fits in a frame; the four retained versions together do not.
  const std::string state(400 << 10, 'y');
  for (uint64_t v = 1; v <= 4; ++v) {
    auto r = w.run([&](PersistenceProvider& p) -> Task<Result<void>> {
      co_return co_await p.write_snapshot(make_snapshot(kKey, v, token, state), v - 1);
    });
    ASSERT_TRUE(r && r->ok()) << v;
  }
  auto read = w.run([](PersistenceProvider& p) -> Task<Result<std::vector<Snapshot>>> {
    co_return co_await p.read_snapshots(kKey);
  });
  ASSERT_TRUE(read && !read->ok());
  EXPECT_EQ(read->code(), ErrorCode::kIo);
  EXPECT_NE(read->error().message.find("frame limit"), std::string::npos) << read->error().message;
  EXPECT_EQ(w.store()->server.stats().oversize_replies, 1u);
}

TEST(RemoteProviderTest, ConfigIsValidated) {
  RemoteProviderConfig config;
  EXPECT_TRUE(config.validate().ok());
  config.call_timeout = Duration::zero();
  EXPECT_EQ(config.validate().error().message, "remote_provider.call_timeout must be positive");
  config = RemoteProviderConfig{};
  config.unhealthy_after = 9;
  EXPECT_EQ(config.validate().error().message, "remote_provider.unhealthy_after must be in [1, health_window], got 9");
  config = RemoteProviderConfig{};
  config.max_attempts = 0;
  EXPECT_FALSE(config.validate().ok());
}

// The same seed gives the same history, faults and retries included.
uint64_t faulty_run(uint64_t seed) {
  RemoteStoreWorldOptions o = options(seed);
  o.world.network.loss_probability = 0.2;
  o.world.network.duplicate_probability = 0.2;
  RemoteStoreWorld w(o);
  for (uint64_t v = 1; v <= 5; ++v) {
    (void)w.run([v](PersistenceProvider& p) -> Task<Result<void>> {
      auto lease = co_await p.acquire_lease(kKey, "a#1", 10s, kNoTags);
      if (!lease.ok()) co_return lease.error();
      co_return co_await p.write_snapshot(make_snapshot(kKey, v, lease->record.version, "s"), v - 1);
    });
  }
  return w.world().trace_hash();
}

TEST(RemoteProviderTest, RunsAreDeterministic) {
  EXPECT_EQ(faulty_run(7), faulty_run(7));
  EXPECT_NE(faulty_run(7), faulty_run(8));
}

}  // namespace
}  // namespace orbit::persistence
