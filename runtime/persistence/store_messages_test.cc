// The store messages and the record codec on their own: every message round-trips, the
// byte layout is the one docs/WIRE.md ("Store messages") documents, and decoding is strict
// (missing, extra and mistyped fields are refused, naming the field).
#include "runtime/persistence/store_messages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/persistence/record_codec.h"
#include "runtime/rpc/codec.h"
#include "runtime/rpc/frame.h"

namespace orbit::persistence {
namespace {

using rpc::Method;

// A method's messages are fixed at compile time.
static_assert(std::is_same_v<wire::StoreMethod<Method::kWriteSnapshot>::Request, wire::WriteSnapshotRequest>);
static_assert(std::is_same_v<wire::StoreMethod<Method::kRenewLease>::Reply, LeaseOutcome>);
static_assert(std::is_same_v<wire::StoreMethod<Method::kStoreHealth>::Request, rpc::Empty>);
static_assert(codec::Record<Snapshot> && codec::Record<wire::ReadSnapshotsReply> && !codec::Record<rpc::Empty>);

Snapshot sample_snapshot(std::optional<Duration> ttl) {
  Snapshot s;
  s.key = {"counter", "c1"};
  s.version = 3;
  s.state = Bytes{0x00, 0x01, 0xff, 'x'};
  s.sha256 = "abc";
  s.fencing_token = 1ull << 40;
  s.created_at_ns = -5;
  s.updated_at_ns = std::numeric_limits<int64_t>::max();
  s.node = "node-1";
  s.tags = {{"a", "1"}, {"b", ""}};
  s.ttl = ttl;
  return s;
}

template <typename T>
T round_trip(const T& value) {
  const Bytes bytes = orbit::wire::encode(value);
  Result<T> back = codec::decode<T>(bytes, "test", ErrorCode::kCorrupt);
  EXPECT_TRUE(back.ok()) << to_string(back.error());
  return back.ok() ? std::move(*back) : T{};
}

TEST(StoreMessagesTest, EveryMessageRoundTrips) {
  const ActorKey key{"bank", "acct-7"};
  const LeaseRecord lease{key, "node-2#9", 12, -1, 5s, {{"node", "2"}}};

  const wire::AcquireLeaseRequest acquire{key, "h", 5'000'000'000, {{"m", "v"}}};
  const auto acquire_back = round_trip(acquire);
  EXPECT_EQ(acquire_back.key, acquire.key);
  EXPECT_EQ(acquire_back.holder, acquire.holder);
  EXPECT_EQ(acquire_back.duration_ns, acquire.duration_ns);
  EXPECT_EQ(acquire_back.metadata, acquire.metadata);

  const wire::RenewLeaseRequest renew{key, "h", 7, 1};
  const auto renew_back = round_trip(renew);
  EXPECT_EQ(renew_back.version, 7u);
  EXPECT_EQ(renew_back.duration_ns, 1);

  const wire::ReleaseLeaseRequest release{key, "h", 9};
  EXPECT_EQ(round_trip(release).version, 9u);
  EXPECT_EQ(round_trip(wire::KeyRequest{key}).key, key);
  EXPECT_EQ(round_trip(wire::KindRequest{std::nullopt}).kind, std::nullopt);
  EXPECT_EQ(round_trip(wire::KindRequest{"bank"}).kind, "bank");

  for (const std::optional<Duration>& ttl : {std::optional<Duration>{}, std::optional<Duration>{9s}}) {
    const wire::WriteSnapshotRequest write{sample_snapshot(ttl), 2};
    const auto write_back = round_trip(write);
    EXPECT_EQ(write_back.snapshot, write.snapshot);
    EXPECT_EQ(write_back.expected_version, 2u);
  }

  EXPECT_EQ(round_trip(LeaseOutcome{true, lease}).record, lease);
  EXPECT_EQ(round_trip(wire::ReadLeaseReply{lease}).lease, lease);
  EXPECT_EQ(round_trip(wire::ListLeasesReply{{lease, lease}}).leases, (std::vector<LeaseRecord>{lease, lease}));
  const std::vector<Snapshot> snapshots{sample_snapshot(1s), sample_snapshot(std::nullopt)};
  EXPECT_EQ(round_trip(wire::ReadSnapshotsReply{snapshots}).snapshots, snapshots);
  EXPECT_EQ(round_trip(wire::ListSnapshotKeysReply{{key}}).keys, std::vector<ActorKey>{key});
  EXPECT_EQ(round_trip(wire::SweepExpiredReply{4}).removed, 4u);

  ProviderMetrics metrics;
  metrics.lease_acquires = 1;
  metrics.corrupt_records = 12;
  metrics.bytes_read = 1ull << 50;
  const ProviderMetrics metrics_back = round_trip(wire::StoreMetricsReply{metrics}).metrics;
  EXPECT_EQ(metrics_back.lease_acquires, 1u);
  EXPECT_EQ(metrics_back.corrupt_records, 12u);
  EXPECT_EQ(metrics_back.bytes_read, 1ull << 50);

  const auto health = round_trip(wire::StoreHealthReply{Health{HealthState::kDegraded, "why"}, 3});
  EXPECT_EQ(health.health.state, HealthState::kDegraded);
  EXPECT_EQ(health.health.reason, "why");
  EXPECT_EQ(health.retained_versions, 3u);
}

TEST(StoreMessagesTest, BytesAreArraysOfTheFieldsInOrder) {
  // docs/WIRE.md: [key: [kind, id], holder, duration_ns, metadata: {str: str}].
  const wire::AcquireLeaseRequest acquire{{"k", "i"}, "h", 5, {{"a", "b"}}};
  EXPECT_EQ(orbit::wire::encode(acquire),
            (Bytes{0x94, 0x92, 0xa1, 'k', 0xa1, 'i', 0xa1, 'h', 0x05, 0x81, 0xa1, 'a', 0xa1, 'b'}));
  // A kind filter: nil for every kind.
  EXPECT_EQ(orbit::wire::encode(wire::KindRequest{}), (Bytes{0x91, 0xc0}));
  // A snapshot: state as bin, ttl_ns nil when unset, last.
  Snapshot s;
  s.key = {"k", "i"};
  s.version = 1;
  s.state = Bytes{0xff};
  const Bytes snapshot = orbit::wire::encode(s);
  EXPECT_EQ(snapshot, (Bytes{0x9a, 0x92, 0xa1, 'k', 0xa1, 'i', 0x01, 0xc4, 0x01, 0xff, 0xa0, 0x00, 0x00, 0x00, 0xa0,
                             0x80, 0xc0}));
  // The encode-only view of a write request gives the request's bytes.
  const wire::WriteSnapshotRequest write{sample_snapshot(3s), 7};
  EXPECT_EQ(orbit::wire::encode(wire::WriteSnapshotRequestRef{write.snapshot, 7}), orbit::wire::encode(write));
  // Lists of records: [leases: [...]].
  EXPECT_EQ(orbit::wire::encode(wire::ListSnapshotKeysReply{{{"k", "i"}}}),
            (Bytes{0x91, 0x91, 0x92, 0xa1, 'k', 0xa1, 'i'}));
  // A message behind the RPC frame header.
  const Bytes frame = rpc::encode_message(wire::SweepExpiredReply{2});
  EXPECT_EQ(Bytes(frame.begin() + rpc::kHeaderBytes, frame.end()), (Bytes{0x91, 0x02}));
}

TEST(StoreMessagesTest, ASnapshotIsWrittenIntoItsFrameOnce) {
  // encoded_size_bound() really bounds the encoding, so the frame reserved for it never
  // grows (growing would copy the state again), whatever the field sizes.
  for (size_t scale : {0, 1, 100, 70000}) {
    Snapshot s = sample_snapshot(5s);
    s.key.kind.assign(scale % 300, 'k');
    s.node.assign(scale % 70, 'n');
    s.sha256.assign(64, 'f');
    s.state.assign(scale * 3, 0xab);
    for (size_t i = 0; i < scale % 50; ++i) s.tags[std::string(i + 1, 't')] = std::string(scale % 40, 'v');
    s.fencing_token = std::numeric_limits<uint64_t>::max();
    s.created_at_ns = std::numeric_limits<int64_t>::min();
    const size_t bound = 16 + codec::encoded_size_bound(s);
    const Bytes frame = wire::encode_message_reserved(wire::WriteSnapshotRequestRef{s, ~0ull}, bound);
    EXPECT_LE(frame.size(), rpc::kHeaderBytes + bound) << scale;
    EXPECT_EQ(frame.capacity(), rpc::kHeaderBytes + bound) << scale << ": the frame grew";
  }
}

// Encodes a hand-built (possibly malformed) value.
template <typename Build>
Bytes raw(Build build) {
  Bytes out;
  orbit::wire::ByteSink sink(out);
  msgpack::packer<orbit::wire::ByteSink> p(sink);
  build(p);
  return out;
}

using Packer = msgpack::packer<orbit::wire::ByteSink>;

template <typename T>
std::string decode_error(const Bytes& bytes) {
  Result<T> r = codec::decode<T>(bytes, "store.x", ErrorCode::kInvalidArgument);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "(decoded)";
  EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
  return r.error().message;
}

void pack_key(Packer& p, const char* kind, const char* id) {
  p.pack_array(2);
  p.pack(kind);
  p.pack(id);
}

TEST(StoreMessagesTest, DecodingIsStrictAndNamesTheField) {
  // A missing field is not read as its default.
  EXPECT_EQ(decode_error<wire::ReleaseLeaseRequest>(raw([](Packer& p) {
              p.pack_array(2);
              pack_key(p, "k", "i");
              p.pack("h");
            })),
            "store.x: expected 3 fields, got 2");
  // Nor is an extra one ignored.
  EXPECT_EQ(decode_error<wire::KeyRequest>(raw([](Packer& p) {
              p.pack_array(2);
              pack_key(p, "k", "i");
              p.pack(1);
            })),
            "store.x: expected 1 field, got 2");
  EXPECT_EQ(decode_error<wire::KeyRequest>(raw([](Packer& p) {
              p.pack_map(1);
              p.pack("key");
              pack_key(p, "k", "i");
            })),
            "store.x: expected an array of 1 field, got a map");
  // Nested fields are named by their path.
  EXPECT_EQ(decode_error<wire::AcquireLeaseRequest>(raw([](Packer& p) {
              p.pack_array(4);
              p.pack_array(2);
              p.pack("k");
              p.pack(5);
              p.pack("h");
              p.pack(1);
              p.pack_map(0);
            })),
            "store.x: key.id: expected a string, got an unsigned integer");
  EXPECT_EQ(decode_error<wire::AcquireLeaseRequest>(raw([](Packer& p) {
              p.pack_array(4);
              pack_key(p, "k", "i");
              p.pack("h");
              p.pack(1);
              p.pack_map(1);
              p.pack("n");
              p.pack(1);
            })),
            "store.x: metadata.n: expected a string, got an unsigned integer");
  EXPECT_EQ(decode_error<wire::RenewLeaseRequest>(raw([](Packer& p) {
              p.pack_array(4);
              pack_key(p, "k", "i");
              p.pack("h");
              p.pack("seven");
              p.pack(1);
            })),
            "store.x: version: expected an unsigned integer, got a string");
  EXPECT_EQ(decode_error<wire::RenewLeaseRequest>(raw([](Packer& p) {
              p.pack_array(4);
              pack_key(p, "k", "i");
              p.pack("h");
              p.pack(-1);
              p.pack(1);
            })),
            "store.x: version: expected an unsigned integer, got a negative integer");
  EXPECT_EQ(decode_error<wire::RenewLeaseRequest>(raw([](Packer& p) {
              p.pack_array(4);
              pack_key(p, "k", "i");
              p.pack("h");
              p.pack(1);
              p.pack_uint64(std::numeric_limits<uint64_t>::max());
            })),
            "store.x: duration_ns: out of range for a signed 64-bit integer");
  // The state is binary, never text.
  Bytes text_state = raw([](Packer& p) {
    p.pack_array(2);
    p.pack_array(10);
    pack_key(p, "k", "i");
    p.pack(1);
    p.pack("not binary");
    p.pack("");   // sha256
    p.pack(0);    // fencing_token
    p.pack(0);    // created_at_ns
    p.pack(0);    // updated_at_ns
    p.pack("");   // node
    p.pack_map(0);  // tags
    p.pack_nil();   // ttl_ns
    p.pack(0);    // expected_version
  });
  EXPECT_EQ(decode_error<wire::WriteSnapshotRequest>(text_state),
            "store.x: snapshot.state: expected binary, got a string");
  // Elements of lists are named by index.
  const LeaseRecord good{{"k", "i"}, "h", 1, 2, 3s, {}};
  Bytes list = raw([&good](Packer& p) {
    p.pack_array(1);
    p.pack_array(2);
    codec::put(p, good);
    p.pack_array(6);
    pack_key(p, "k", "i");
    p.pack_nil();  // holder
    p.pack(1);     // version
    p.pack(0);     // expires_at_ns
    p.pack(0);     // duration_ns
    p.pack_map(0);  // metadata
  });
  EXPECT_EQ(decode_error<wire::ListLeasesReply>(list), "store.x: leases[1].holder: expected a string, got nil");
  EXPECT_EQ(decode_error<wire::StoreHealthReply>(raw([](Packer& p) {
              p.pack_array(2);
              p.pack_array(2);
              p.pack(7);
              p.pack("");
              p.pack(3);
            })),
            "store.x: health.state: unknown health state 7");
  EXPECT_EQ(decode_error<wire::KindRequest>(raw([](Packer& p) {
              p.pack_array(1);
              p.pack(3);
            })),
            "store.x: kind: expected a string, got an unsigned integer");
}

TEST(StoreMessagesTest, TruncatedTrailingAndForgedInputsAreRefused) {
  const Bytes good = orbit::wire::encode(wire::KeyRequest{{"counter", "c1"}});
  for (size_t cut = 0; cut < good.size(); ++cut) {
    const std::string message = decode_error<wire::KeyRequest>(Bytes(good.begin(), good.begin() + cut));
    EXPECT_EQ(message.rfind("store.x: truncated (" + std::to_string(cut) + " bytes", 0), 0u) << message;
  }
  Bytes trailing = good;
  trailing.push_back(0xc0);
  EXPECT_EQ(decode_error<wire::KeyRequest>(trailing), "store.x: 1 trailing bytes after the message");
  // An array claiming four billion elements in a few bytes: refused before allocating.
  const Bytes forged{0x91, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
  EXPECT_EQ(decode_error<wire::ListSnapshotKeysReply>(forged).rfind("store.x: truncated (7 bytes, but its arrays", 0),
            0u);
  // An empty message for a method without arguments: any array, nothing else.
  EXPECT_TRUE(codec::decode<rpc::Empty>(orbit::wire::encode(rpc::Empty{}), "x", ErrorCode::kCorrupt).ok());
  EXPECT_EQ(decode_error<rpc::Empty>(Bytes{0xa1, 'x'}), "store.x: unexpected shape (std::bad_cast)");
}

}  // namespace
}  // namespace orbit::persistence
