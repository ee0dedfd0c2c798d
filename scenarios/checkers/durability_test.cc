#include "scenarios/checkers/durability.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

using testing::ms;
using testing::kNull;
using testing::TestHistory;

const std::string kCounter = "counter/c1";

CheckResult check(const TestHistory& h) { return testing::run(DurabilityChecker{}, h, CheckContext{}); }

std::string describe(const CheckResult& r) {
  std::string out = std::string(to_string(r.verdict)) + ": " + r.note;
  for (const Violation& v : r.violations) out += "\n  " + v.explanation;
  return out;
}

TEST(DurabilityTest, ReadOfEveryAcknowledgedAddPasses) {
  TestHistory h;
  h.op(ms(0), ms(10), 1, "c1", kCounter, "add", 1, "ok");
  h.op(ms(20), ms(30), 2, "c2", kCounter, "add", 2, "ok");
  h.op(ms(40), ms(50), 3, "c1", kCounter, "read", kNull, "ok", 3);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_EQ(r.note, "1 ok reads against 2 adds on 1 counters");
}

TEST(DurabilityTest, ReadMissingAnAcknowledgedAddFails) {
  TestHistory h;
  h.op(ms(0), ms(10), 1, "c1", kCounter, "add", 1, "ok");
  h.op(ms(20), ms(30), 2, "c2", kCounter, "add", 2, "ok");
  h.op(ms(40), ms(50), 3, "c1", kCounter, "read", kNull, "ok", 2);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  ASSERT_EQ(r.violations.size(), 1u);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.actor, kCounter);
  EXPECT_NE(v.explanation.find("op 3"), std::string::npos) << v.explanation;
  EXPECT_NE(v.explanation.find("at least 3: 1 missing"), std::string::npos) << v.explanation;
  // The read's two events and the acknowledgements it should have seen.
  EXPECT_EQ(v.events, (std::vector<size_t>{1, 3, 4, 5}));
}

TEST(DurabilityTest, IndeterminateAddsMayOrMayNotBeCounted) {
  for (int64_t seen : {3, 8}) {
    TestHistory h;
    h.op(ms(0), ms(10), 1, "c1", kCounter, "add", 3, "ok");
    h.invoke(ms(20), 2, "c2", kCounter, "add", 5);
    h.invoke(ms(25), 3, "c3", kCounter, "add", 100);  // never completes (the client died)
    h.complete(ms(30), 2, "info");                    // timed out: maybe applied
    h.op(ms(40), ms(50), 4, "c1", kCounter, "read", kNull, "ok", seen);
    const CheckResult r = check(h);
    // Both unknown adds may or may not have been applied: any value in [3, 108] is possible.
    EXPECT_EQ(r.verdict, Verdict::kPass) << seen << " " << describe(r);
  }
}

TEST(DurabilityTest, ReadAboveEveryPossibleAddFails) {
  TestHistory h;
  h.op(ms(0), ms(10), 1, "c1", kCounter, "add", 3, "ok");
  h.op(ms(20), ms(30), 2, "c2", kCounter, "add", 5, "info");
  h.op(ms(40), ms(50), 3, "c1", kCounter, "read", kNull, "ok", 9);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  EXPECT_NE(r.violations[0].explanation.find("at most 8: 1 too many"), std::string::npos)
      << r.violations[0].explanation;
}

TEST(DurabilityTest, FailedAddMustNotBeSeen) {
  TestHistory h;
  h.op(ms(0), ms(10), 1, "c1", kCounter, "add", 3, "ok");
  h.invoke(ms(20), 2, "c2", kCounter, "add", 5);
  h.op(ms(40), ms(50), 3, "c1", kCounter, "read", kNull, "ok", 8);
  h.complete(ms(60), 2, "fail");  // the fail arrives after the read, but still means "not applied"
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

TEST(DurabilityTest, AddConcurrentWithTheReadMayGoEitherWay) {
  for (int64_t seen : {1, 3}) {
    TestHistory h;
    h.op(ms(0), ms(10), 1, "c1", kCounter, "add", 1, "ok");
    h.invoke(ms(20), 2, "c2", kCounter, "add", 2);
    h.invoke(ms(21), 3, "c1", kCounter, "read");
    h.complete(ms(22), 2, "ok");  // acknowledged after the read began: not required
    h.complete(ms(23), 3, "ok", seen);
    EXPECT_EQ(check(h).verdict, Verdict::kPass) << seen;
  }
}

TEST(DurabilityTest, AddInvokedAfterTheReadCompletedCannotBeSeen) {
  TestHistory h;
  h.op(ms(0), ms(10), 1, "c1", kCounter, "read", kNull, "ok", 4);
  h.op(ms(20), ms(30), 2, "c2", kCounter, "add", 4, "ok");
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

TEST(DurabilityTest, NegativeAmountsWidenTheLowerBound) {
  TestHistory h;
  h.op(ms(0), ms(10), 1, "c1", kCounter, "add", 10, "ok");
  h.op(ms(20), ms(30), 2, "c2", kCounter, "add", -4, "info");
  h.op(ms(40), ms(50), 3, "c1", kCounter, "read", kNull, "ok", 6);
  h.op(ms(60), ms(70), 4, "c1", kCounter, "read", kNull, "ok", 10);
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
  h.op(ms(80), ms(90), 5, "c1", kCounter, "read", kNull, "ok", 5);
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

TEST(DurabilityTest, RegistersAndFailedOrUnknownReadsAreNotJudged) {
  TestHistory h;
  h.op(ms(0), ms(10), 1, "c1", "register/r", "write", 5, "ok");
  h.op(ms(20), ms(30), 2, "c1", "register/r", "read", kNull, "ok", 7);
  h.op(ms(40), ms(50), 3, "c1", kCounter, "add", 1, "ok");
  h.op(ms(60), ms(70), 4, "c1", kCounter, "read", kNull, "info");
  h.op(ms(80), ms(90), 5, "c1", kCounter, "read", kNull, "fail");
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_EQ(r.note, "0 ok reads against 1 adds on 1 counters");
}

TEST(DurabilityTest, ReadWithoutAValueMakesItUnknown) {
  TestHistory h;
  h.op(ms(0), ms(10), 1, "c1", kCounter, "add", 1, "ok");
  h.op(ms(20), ms(30), 2, "c1", kCounter, "read", kNull, "ok", kNull);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_NE(r.note.find("a counter read needs an integer value"), std::string::npos) << r.note;
}

TEST(DurabilityTest, AddWithoutAnAmountMakesItUnknown) {
  TestHistory h;
  h.op(ms(0), ms(10), 1, "c1", kCounter, "add", kNull, "ok");
  h.op(ms(20), ms(30), 2, "c1", kCounter, "read", kNull, "ok", 0);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_EQ(r.note, "1 ok reads against 0 adds on 1 counters; 1 malformed event ignored; it was event 0 "
                    "(op_invoke, t=0.000000000s, node 100): add needs an integer amount");
}

}  // namespace
}  // namespace orbit::checkers
