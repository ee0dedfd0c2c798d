#include "history/history.h"

#include <gtest/gtest.h>

#include "history/canonical.h"

namespace orbit::history {
namespace {

TEST(HistoryTest, InternsInFirstUseOrderAndKeepsTheEmptyString) {
  History h;
  EXPECT_EQ(h.intern(""), Sym{});
  const Sym a = h.intern("counter/c0");
  const Sym b = h.intern("n1.b1.a1");
  EXPECT_EQ(a.id, 1u);
  EXPECT_EQ(b.id, 2u);
  EXPECT_EQ(h.intern("counter/c0"), a);
  EXPECT_EQ(h.str(b), "n1.b1.a1");
  EXPECT_EQ(h.string_count(), 3u);
}

TEST(HistoryTest, CopiesKeepTheirOwnIndex) {
  History h;
  const Sym a = h.intern("x");
  History copy = h;
  EXPECT_EQ(copy.intern("x"), a);
  EXPECT_EQ(copy.intern("y").id, 2u);
  EXPECT_EQ(h.intern("z").id, 2u);
}

TEST(HistoryTest, AppendKeepsOrderAndKinds) {
  History h;
  h.append(5, 1, LeaseAcquired{h.intern("counter/c0"), h.intern("n1.b1.a1"), 3, 2s});
  h.append(7, kWorldNode, Heal{});
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].kind(), EventKind::kLeaseAcquired);
  EXPECT_EQ(h[1].kind(), EventKind::kHeal);
  ASSERT_NE(h[0].get<LeaseAcquired>(), nullptr);
  EXPECT_EQ(h[0].get<LeaseAcquired>()->version, 3);
  EXPECT_EQ(h[0].get<Heal>(), nullptr);
  EXPECT_EQ(h.indices_of<Heal>(), std::vector<size_t>{1});
}

TEST(HistoryTest, KindNamesRoundTrip) {
  for (size_t i = 0; i < kKindCount; ++i) {
    const auto kind = static_cast<EventKind>(i);
    const auto parsed = parse_kind(kind_name(kind));
    ASSERT_TRUE(parsed.has_value()) << kind_name(kind);
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_FALSE(parse_kind("no_such_kind").has_value());
}

TEST(HistoryTest, AppendFromReinternsNames) {
  History a;
  a.intern("unrelated");
  a.append(1, 2, MembershipView{4, {a.intern("n1.b1"), a.intern("n2.b1")}, {}});
  History b;
  const Event& copied = b.append_from(a, a[0]);
  EXPECT_TRUE(same_event(a, a[0], b, copied));
  EXPECT_EQ(b.str(copied.get<MembershipView>()->members[0]), "n1.b1");
  EXPECT_TRUE(same_history(a, b));
}

TEST(CanonicalTest, BytesDependOnContentNotOnSymIds) {
  History a;
  History b;
  b.intern("something else first");
  a.append(10, 0, Activation{a.intern("register/r1"), a.intern("n0.b1.a1"), 7, 3});
  b.append(10, 0, Activation{b.intern("register/r1"), b.intern("n0.b1.a1"), 7, 3});
  std::string x, y;
  encode_canonical(a, a[0], x);
  encode_canonical(b, b[0], y);
  EXPECT_EQ(x, y);
  // u16 kind, i64 time, i64 node, then "register/r1" (u32 + 11), "n0.b1.a1" (u32 + 8), 2 x i64.
  EXPECT_EQ(x.size(), 2u + 8 + 8 + (4 + 11) + (4 + 8) + 8 + 8);
  EXPECT_EQ(static_cast<uint8_t>(x[0]), static_cast<uint8_t>(EventKind::kActivation));
}

TEST(CanonicalTest, EveryFieldChangesTheBytes) {
  History h;
  Sha256 digest;
  digest.bytes[31] = 1;
  const SnapshotWrite base{h.intern("c/1"), h.intern("h"), 2, 3, digest, true, StoreError::kNone};
  auto bytes = [&](const SnapshotWrite& w) {
    std::string out;
    encode_canonical(h, Event{1, 1, w}, out);
    return out;
  };
  SnapshotWrite v = base;
  v.version = 9;
  EXPECT_NE(bytes(base), bytes(v));
  v = base;
  v.sha256.bytes[0] = 5;
  EXPECT_NE(bytes(base), bytes(v));
  v = base;
  v.error = StoreError::kRejected;
  EXPECT_NE(bytes(base), bytes(v));
  v = base;
  v.holder = h.intern("other");
  EXPECT_NE(bytes(base), bytes(v));
}

TEST(CanonicalTest, OptionalsAndListsAreLengthPrefixed) {
  History h;
  std::string none, zero;
  encode_canonical(h, Event{0, 0, OpComplete{{}, 1, {}, OpType::kOk, std::nullopt, {}, false}}, none);
  encode_canonical(h, Event{0, 0, OpComplete{{}, 1, {}, OpType::kOk, 0, {}, false}}, zero);
  EXPECT_EQ(zero.size(), none.size() + 8);
  EXPECT_NE(none, zero);
}

}  // namespace
}  // namespace orbit::history
