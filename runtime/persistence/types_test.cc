#include "runtime/persistence/types.h"

#include <gtest/gtest.h>

#include "runtime/persistence/snapshot_hash.h"

namespace orbit::persistence {
namespace {

TEST(TypesTest, Sha256MatchesTheStandardVector) {
  EXPECT_EQ(sha256_hex(to_bytes("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(Bytes{}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(TypesTest, HashVerificationDetectsAFlippedBit) {
  Snapshot s;
  s.state = to_bytes("{\"value\":1}");
  s.sha256 = sha256_hex(s.state);
  EXPECT_TRUE(hash_verifies(s));
  s.state[3] ^= 0x01;
  EXPECT_FALSE(hash_verifies(s));
}

TEST(TypesTest, LeaseAndSnapshotRoundTripThroughMsgpack) {
  LeaseRecord lease{{"counter", "c1"}, "node-2#7", 42, 123456789, 5s, {{"node", "2"}}};
  LeaseRecord lease_back;
  auto lj = nlohmann::json::from_msgpack(nlohmann::json::to_msgpack(to_json(lease)));
  ASSERT_FALSE(from_json(lj, lease_back).has_value());
  EXPECT_EQ(lease_back, lease);

  Snapshot snap;
  snap.key = {"register", "r9"};
  snap.version = 3;
  snap.state = Bytes{0, 1, 2, 255};
  snap.sha256 = sha256_hex(snap.state);
  snap.fencing_token = 7;
  snap.created_at_ns = -5;
  snap.updated_at_ns = 99;
  snap.node = "node-1";
  snap.tags = {{"a", "b"}};
  snap.ttl = 30s;
  Snapshot snap_back;
  auto sj = nlohmann::json::from_msgpack(nlohmann::json::to_msgpack(to_json(snap)));
  ASSERT_FALSE(from_json(sj, snap_back).has_value());
  EXPECT_EQ(snap_back, snap);
}

TEST(TypesTest, ParseErrorsNameTheField) {
  LeaseRecord lease;
  auto j = to_json(LeaseRecord{{"k", "i"}, "h", 1, 0, 1s, {}});
  j["version"] = "seven";
  EXPECT_EQ(from_json(j, lease).value_or(""), "lease.version: expected an unsigned integer");
  j.erase("version");
  EXPECT_EQ(from_json(j, lease).value_or(""), "lease.version: missing");
  Snapshot snap;
  EXPECT_EQ(from_json(nlohmann::json::array(), snap).value_or(""), "snapshot: expected an object");
  auto s = to_json(Snapshot{});
  s["key"]["kind"] = 5;
  EXPECT_EQ(from_json(s, snap).value_or(""), "snapshot.key.kind: expected a string");
}

}  // namespace
}  // namespace orbit::persistence
