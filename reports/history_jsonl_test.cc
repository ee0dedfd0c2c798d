#include "reports/history_jsonl.h"

#include <gtest/gtest.h>

#include "history/sha256.h"

namespace orbit::reports {
namespace {

using namespace orbit::history;

// Renders `e` of `h`, parses the line into a fresh history and checks it says the same.
void expect_round_trip(const History& h, const Event& e) {
  const std::string line = render_event(h, e);
  History back;
  Result<void> r = parse_line(line, back);
  ASSERT_TRUE(r.ok()) << line << "\n" << to_string(r.error());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(same_event(h, e, back, back[0])) << line << "\n" << render_event(back, back[0]);
  EXPECT_EQ(render_event(back, back[0]), line);
}

TEST(HistoryJsonlTest, EveryKindRoundTripsDefaultConstructed) {
  for (size_t i = 0; i < kKindCount; ++i) {
    History h;
    const Event& e = h.append(static_cast<int64_t>(i) * 1000 - 5, static_cast<int64_t>(i % 4) - 1, default_payload(i));
    ASSERT_EQ(static_cast<size_t>(e.kind()), i);
    SCOPED_TRACE(std::string(kind_name(e.kind())));
    expect_round_trip(h, e);
    EXPECT_NE(render_event(h, e).find("\"kind\":\"" + std::string(kind_name(e.kind())) + "\""), std::string::npos);
  }
}

TEST(HistoryJsonlTest, PopulatedEventsRoundTrip) {
  History h;
  h.append(1, 2, LinkConfig{3, 4, 1500ns, Duration(-7), 0.25, 1e-9, 0.3333333333333333});
  h.append(2, 0, Partition{{0, 1}, {2, -3}, true});
  h.append(3, 1, MembershipView{7, {h.intern("n1.b1"), h.intern("n2.b3")}, {h.intern("n2.b3")}});
  Sha256 d;
  for (size_t i = 0; i < d.bytes.size(); ++i) d.bytes[i] = static_cast<uint8_t>(i * 9);
  h.append(4, 1, SnapshotWrite{h.intern("counter/1"), h.intern("n1.b1"), 5, 9, d, false, StoreError::kRejected});
  h.append(5, kWorldNode,
           OpInvoke{h.intern("client-0"), 12, h.intern("register/0"), OpFunction::kCas, int64_t{-4}, std::nullopt});
  h.append(6, kWorldNode,
           OpComplete{h.intern("client-0"), 12, h.intern("register/0"), OpType::kInfo, std::nullopt,
                      h.intern("timeout \"quoted\" \xc3\xa9"), true});
  h.append(7, 2, Workload{h.intern("bank"), h.intern("transfer"), Blob{0, 1, 0xfe, 0xff, 0x7f}});
  h.append(8, 2, Resume{9, UINT64_MAX});
  h.append(INT64_MAX, INT64_MIN, Crash{INT64_MIN, h.intern("SIGKILL")});
  for (const Event& e : h.events()) {
    SCOPED_TRACE(std::string(kind_name(e.kind())));
    expect_round_trip(h, e);
  }
  auto all = parse_jsonl(render_jsonl(h));
  ASSERT_TRUE(all.ok()) << to_string(all.error());
  EXPECT_TRUE(same_history(h, *all));
}

TEST(HistoryJsonlTest, RendersTheDocumentedShape) {
  History h;
  Sha256 d;
  d.bytes[0] = 0xab;
  h.append(10, 1,
           SnapshotLoad{h.intern("a"), h.intern("n1.b1"), 3, d, d, true, false});
  h.append(11, -1, Workload{h.intern("w"), h.intern("r"), Blob{0x0a, 0xff}});
  h.append(12, 0, OpInvoke{h.intern("p"), 1, h.intern("a"), OpFunction::kRead, std::nullopt, std::nullopt});
  EXPECT_EQ(render_event(h, h[0]),
            "{\"data\":{\"actor\":\"a\",\"holder\":\"n1.b1\",\"loaded_sha256\":\"ab" + std::string(62, '0') +
                "\",\"newest\":false,\"sha256\":\"ab" + std::string(62, '0') +
                "\",\"verified\":true,\"version\":3},\"kind\":\"snapshot_load\",\"node\":1,\"t\":10}");
  EXPECT_EQ(render_event(h, h[1]),
            "{\"data\":{\"name\":\"r\",\"ns\":\"w\",\"payload\":\"0aff\"},\"kind\":\"workload\",\"node\":-1,\"t\":11}");
  EXPECT_EQ(render_event(h, h[2]),
            "{\"data\":{\"actor\":\"a\",\"expected\":null,\"f\":\"read\",\"op\":1,\"process\":\"p\",\"value\":null},"
            "\"kind\":\"op_invoke\",\"node\":0,\"t\":12}");
}

std::string error_of(const std::string& text) {
  auto r = parse_jsonl(text);
  if (r.ok()) return "<parsed>";
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  return r.error().message;
}

TEST(HistoryJsonlTest, GarbageGivesClearErrors) {
  const std::string ok = "{\"data\":{\"pid\":1},\"kind\":\"pause\",\"node\":0,\"t\":1}\n";
  EXPECT_EQ(error_of(ok + "garbage\n"), "history line 2: not valid JSON");
  EXPECT_EQ(error_of("[1,2]"), "history line 1: not a JSON object");
  EXPECT_EQ(error_of("{\"data\":{},\"kind\":\"nope\",\"node\":0,\"t\":1}"),
            "history line 1: unknown event kind \"nope\"");
  EXPECT_EQ(error_of("{\"data\":{},\"kind\":\"pause\",\"node\":0,\"t\":1}"),
            "history line 1: pause: missing field \"pid\"");
  EXPECT_EQ(error_of("{\"data\":{\"pid\":\"x\"},\"kind\":\"pause\",\"node\":0,\"t\":1}"),
            "history line 1: pause: field \"pid\" must be a 64-bit signed integer");
  EXPECT_EQ(error_of("{\"data\":{\"pid\":1,\"x\":2},\"kind\":\"pause\",\"node\":0,\"t\":1}"),
            "history line 1: pause: unknown field \"x\"");
  EXPECT_EQ(error_of("{\"data\":{\"pid\":1},\"kind\":\"pause\",\"node\":0,\"t\":1.5}"),
            "history line 1: field \"t\" must be an integer");
  EXPECT_EQ(error_of("{\"data\":{\"pid\":1},\"kind\":\"pause\",\"node\":0}"),
            "history line 1: field \"t\" must be an integer");
  EXPECT_EQ(error_of("{\"data\":{\"pid\":1},\"kind\":\"pause\",\"node\":0,\"t\":1,\"extra\":0}"),
            "history line 1: unknown field \"extra\" (expected data, kind, node, t)");
  EXPECT_EQ(error_of("{\"data\":[],\"kind\":\"pause\",\"node\":0,\"t\":1}"),
            "history line 1: pause: field \"data\" must be an object");
  EXPECT_EQ(error_of("{\"data\":{\"boot_count\":-1},\"kind\":\"boot\",\"node\":0,\"t\":1}"),
            "history line 1: boot: field \"boot_count\" must be a non-negative integer");
  EXPECT_EQ(error_of("{\"data\":{\"pid\":9223372036854775808},\"kind\":\"pause\",\"node\":0,\"t\":1}"),
            "history line 1: pause: field \"pid\" must be a 64-bit signed integer");
  const std::string load =
      "{\"data\":{\"actor\":\"a\",\"holder\":\"h\",\"loaded_sha256\":\"zz\",\"newest\":false,\"sha256\":\"" +
      std::string(64, '0') + "\",\"verified\":true,\"version\":3},\"kind\":\"snapshot_load\",\"node\":1,\"t\":10}";
  EXPECT_EQ(error_of(load), "history line 1: snapshot_load: field \"loaded_sha256\" must be 64 hex digits (a SHA-256 digest)");
  EXPECT_EQ(error_of("{\"data\":{\"actor\":\"a\",\"expected\":null,\"f\":\"frob\",\"op\":1,\"process\":\"p\",\"value\":null},"
                     "\"kind\":\"op_invoke\",\"node\":0,\"t\":12}"),
            "history line 1: op_invoke: field \"f\" must be one of \"read\", \"write\", \"cas\", \"add\" (not \"frob\")");
  EXPECT_EQ(error_of("{\"data\":{\"name\":\"r\",\"ns\":\"w\",\"payload\":\"0g\"},\"kind\":\"workload\",\"node\":-1,\"t\":11}"),
            "history line 1: workload: field \"payload\" must be a string of hex digit pairs (bytes)");
  EXPECT_EQ(error_of("{\"data\":{\"a\":[1,\"x\"],\"b\":[],\"one_way\":false},\"kind\":\"partition\",\"node\":0,\"t\":1}"),
            "history line 1: partition: field \"a\" must be an array of integers");
  // Nothing is appended on error; empty lines are skipped.
  History h;
  EXPECT_FALSE(parse_line("{\"data\":{},\"kind\":\"pause\",\"node\":0,\"t\":1}", h).ok());
  EXPECT_EQ(h.size(), 0u);
  auto two = parse_jsonl("\n" + ok + "\n" + ok);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  // Arbitrary bytes never crash.
  for (const char* junk : {"", "{", "{\"t\":", "\xff\xfe", "null", "{\"data\":null}", "{\"kind\":5}"}) {
    History j;
    (void)parse_line(junk, j);
  }
}

}  // namespace
}  // namespace orbit::reports
