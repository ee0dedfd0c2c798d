#include "scenarios/checkers/linearizability.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

using testing::kNull;
using testing::TestHistory;

const std::string kReg = "register/r1";

CheckResult check(const TestHistory& h, CheckContext context = {}) {
  return testing::run(LinearizabilityChecker{}, h, context);
}

std::string describe(const CheckResult& r) {
  std::string out = std::string(to_string(r.verdict)) + ": " + r.note;
  for (const Violation& v : r.violations) out += "\n  " + v.explanation;
  return out;
}

// Times are event order; the integers passed as t only keep the history readable.

TEST(LinearizabilityTest, SequentialHistoryPasses) {
  TestHistory h;
  h.op(0, 1, 1, "c1", kReg, "read", kNull, "ok", kNull);  // the initial value is null
  h.op(2, 3, 2, "c1", kReg, "write", 1, "ok");
  h.op(4, 5, 3, "c2", kReg, "read", kNull, "ok", 1);
  h.op(6, 7, 4, "c2", kReg, "write", -7, "ok");
  h.op(8, 9, 5, "c1", kReg, "read", kNull, "ok", -7);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_NE(r.note.find("5 ops (0 indeterminate) on 1 registers"), std::string::npos) << r.note;
}

TEST(LinearizabilityTest, StaleReadAfterACompletedWriteFails) {
  TestHistory h;
  h.op(0, 1, 1, "c1", kReg, "write", 1, "ok");
  h.op(2, 3, 2, "c1", kReg, "write", 2, "ok");
  h.op(4, 5, 3, "c2", kReg, "read", kNull, "ok", 1);  // 2 was written and acknowledged before
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  ASSERT_EQ(r.violations.size(), 1u);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.actor, kReg);
  EXPECT_NE(v.explanation.find("op 3 (read -> 1 by c2, ok) cannot take effect"), std::string::npos) << v.explanation;
  EXPECT_NE(v.explanation.find("leaves the register at 2"), std::string::npos) << v.explanation;
  EXPECT_NE(v.explanation.find("last write completed before it: op 2 (write 2"), std::string::npos) << v.explanation;
  EXPECT_EQ(v.events, (std::vector<size_t>{2, 3, 4, 5}));  // the read and the write it missed
}

TEST(LinearizabilityTest, ReadConcurrentWithAWriteMaySeeEitherValue) {
  for (const history::OptInt seen : {history::OptInt(), history::OptInt(1)}) {
    TestHistory h;
    h.invoke(0, 1, "c1", kReg, "write", 1);
    h.invoke(1, 2, "c2", kReg, "read");
    h.complete(2, 2, "ok", seen);
    h.complete(3, 1, "ok");
    EXPECT_EQ(check(h).verdict, Verdict::kPass) << seen.value_or(-1);
  }
}

TEST(LinearizabilityTest, ReadsMustNotSeeValuesGoBackward) {
  // Two writes concurrent with each other; two later sequential reads see 1 then 2 then 1.
  TestHistory h;
  h.invoke(0, 1, "c1", kReg, "write", 1);
  h.invoke(1, 2, "c2", kReg, "write", 2);
  h.complete(2, 1, "ok");
  h.complete(3, 2, "ok");
  h.op(4, 5, 3, "c3", kReg, "read", kNull, "ok", 1);
  h.op(6, 7, 4, "c3", kReg, "read", kNull, "ok", 1);
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
  h.op(8, 9, 5, "c3", kReg, "read", kNull, "ok", 2);
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

TEST(LinearizabilityTest, CasSemantics) {
  {
    TestHistory h;  // a successful cas moves the value
    h.op(0, 1, 1, "c1", kReg, "write", 1, "ok");
    h.cas(2, 3, 2, "c2", kReg, 1, 2, "ok");
    h.op(4, 5, 3, "c1", kReg, "read", kNull, "ok", 2);
    EXPECT_EQ(check(h).verdict, Verdict::kPass) << describe(check(h));
  }
  {
    TestHistory h;  // a cas cannot succeed against another value
    h.op(0, 1, 1, "c1", kReg, "write", 1, "ok");
    h.cas(2, 3, 2, "c2", kReg, 5, 6, "ok");
    EXPECT_EQ(check(h).verdict, Verdict::kViolation);
  }
  {
    TestHistory h;  // a failed cas did not happen
    h.op(0, 1, 1, "c1", kReg, "write", 1, "ok");
    h.cas(2, 3, 2, "c2", kReg, 1, 2, "fail");
    h.op(4, 5, 3, "c1", kReg, "read", kNull, "ok", 1);
    EXPECT_EQ(check(h).verdict, Verdict::kPass);
    h.op(6, 7, 4, "c1", kReg, "read", kNull, "ok", 2);
    EXPECT_EQ(check(h).verdict, Verdict::kViolation);
  }
  {
    TestHistory h;  // concurrent cas from null: only one can win
    h.invoke_cas(0, 1, "c1", kReg, kNull, 1);
    h.invoke_cas(1, 2, "c2", kReg, kNull, 2);
    h.complete(2, 1, "ok");
    h.complete(3, 2, "ok");
    EXPECT_EQ(check(h).verdict, Verdict::kViolation);
  }
  {
    TestHistory h;  // an unknown cas applies only if its expected value is there
    h.op(0, 1, 1, "c1", kReg, "write", 1, "ok");
    h.cas(2, 3, 2, "c2", kReg, 7, 8, "info");
    h.op(4, 5, 3, "c1", kReg, "read", kNull, "ok", 8);
    EXPECT_EQ(check(h).verdict, Verdict::kViolation);
  }
}

TEST(LinearizabilityTest, IndeterminateWriteMayOrMayNotApply) {
  for (const int64_t seen : {1, 2}) {
    TestHistory h;
    h.op(0, 1, 1, "c1", kReg, "write", 1, "ok");
    h.op(2, 3, 2, "c2", kReg, "write", 2, "info");  // timed out: maybe applied, maybe never
    h.op(4, 5, 3, "c1", kReg, "read", kNull, "ok", seen);
    h.op(6, 7, 4, "c1", kReg, "read", kNull, "ok", seen);
    const CheckResult r = check(h);
    EXPECT_EQ(r.verdict, Verdict::kPass) << seen << " " << describe(r);
    EXPECT_NE(r.note.find("(1 indeterminate)"), std::string::npos) << r.note;
  }
}

TEST(LinearizabilityTest, IndeterminateWriteMayTakeEffectLateButOnlyOnce) {
  TestHistory h;
  h.op(0, 1, 1, "c1", kReg, "write", 1, "ok");
  h.invoke(2, 2, "c2", kReg, "write", 2);  // the client died: no completion at all
  h.op(4, 5, 3, "c1", kReg, "read", kNull, "ok", 1);
  h.op(6, 7, 4, "c1", kReg, "read", kNull, "ok", 2);  // it took effect between the reads
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
  h.op(8, 9, 5, "c1", kReg, "read", kNull, "ok", 1);  // but cannot be undone
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
}

TEST(LinearizabilityTest, IndeterminateReadsAreIgnored) {
  TestHistory h;
  h.op(0, 1, 1, "c1", kReg, "write", 1, "ok");
  h.op(2, 3, 2, "c1", kReg, "read", kNull, "info", 99);
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(LinearizabilityTest, ActorsAreCheckedSeparately) {
  TestHistory h;
  h.op(0, 1, 1, "c1", "register/a", "write", 1, "ok");
  h.op(2, 3, 2, "c1", "register/b", "read", kNull, "ok", kNull);  // b was never written
  h.op(4, 5, 3, "c1", "register/b", "write", 2, "ok");
  h.op(6, 7, 4, "c1", "register/a", "read", kNull, "ok", 1);
  h.op(8, 9, 5, "c1", "register/b", "read", kNull, "ok", 1);  // a's value, not b's
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].actor, "register/b");
}

TEST(LinearizabilityTest, CountersAreSkipped) {
  TestHistory h;
  h.op(0, 1, 1, "c1", "counter/c", "add", 1, "ok");
  h.op(2, 3, 2, "c1", "counter/c", "read", kNull, "ok", 1);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass);
  EXPECT_NE(r.note.find("1 non-register actors skipped"), std::string::npos) << r.note;
}

TEST(LinearizabilityTest, AWriteOfNullResetsTheRegister) {
  TestHistory h;
  h.op(0, 1, 1, "c1", kReg, "write", 1, "ok");
  h.op(2, 3, 2, "c1", kReg, "write", kNull, "ok");
  h.op(4, 5, 3, "c1", kReg, "read", kNull, "ok", kNull);
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
  h.op(6, 7, 4, "c1", kReg, "read", kNull, "ok", 1);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_NE(r.violations[0].explanation.find("leaves the register at null"), std::string::npos)
      << r.violations[0].explanation;
}

// Actors of equal size are searched (and listed) in name order, whatever order the history
// interned their names in: the shared budget is spent the same way.
TEST(LinearizabilityTest, EqualActorsAreSearchedInNameOrder) {
  for (const bool b_first : {false, true}) {
    TestHistory h;
    int64_t op = 0;
    for (const std::string actor : {b_first ? "register/b" : "register/a", b_first ? "register/a" : "register/b"}) {
      h.op(2 * op, 2 * op + 1, op, "c1", actor, "write", 1, "ok");
      ++op;
    }
    CheckContext context;
    context.max_search_steps = 0;
    const CheckResult r = check(h, context);
    EXPECT_EQ(r.verdict, Verdict::kUnknown) << r.note;
    EXPECT_NE(r.note.find("deciding register/a (1 ops), register/b (1 ops)"), std::string::npos)
        << b_first << " " << r.note;
  }
}

// Many writes of distinct values all concurrent, then a read of a value nobody wrote: to
// prove it impossible the search must try every subset of the writes. The budget stops it,
// and the answer is "unknown", not "pass" (the history is in fact not linearizable).
TestHistory wide_concurrent_history(int writers) {
  TestHistory h;
  for (int i = 0; i < writers; ++i) h.invoke(i, i + 1, "c" + std::to_string(i), kReg, "write", i);
  for (int i = 0; i < writers; ++i) h.complete(100 + i, i + 1, i % 3 == 0 ? "info" : "ok");
  h.op(200, 201, 1000, "r", kReg, "read", kNull, "ok", -1);
  return h;
}

TEST(LinearizabilityTest, StepBudgetGivesUnknownOnALargeConcurrentHistory) {
  const TestHistory h = wide_concurrent_history(24);
  CheckContext context;
  context.max_search_steps = 20'000;
  const CheckResult r = check(h, context);
  EXPECT_EQ(r.verdict, Verdict::kUnknown) << describe(r);
  EXPECT_NE(r.note.find("budget (20000) exhausted before deciding register/r1 (25 ops)"), std::string::npos) << r.note;
  EXPECT_NE(r.note.find("20000 search steps"), std::string::npos) << r.note;
}

TEST(LinearizabilityTest, SmallConcurrentHistoryIsDecidedWithinTheBudget) {
  const CheckResult r = check(wide_concurrent_history(6));
  EXPECT_EQ(r.verdict, Verdict::kViolation) << describe(r);
}

TEST(LinearizabilityTest, BudgetIsSharedAndSmallActorsGoFirst) {
  TestHistory h = wide_concurrent_history(24);
  h.op(300, 301, 2000, "c1", "register/small", "write", 1, "ok");
  h.op(302, 303, 2001, "c1", "register/small", "read", kNull, "ok", 2);
  CheckContext context;
  context.max_search_steps = 20'000;
  const CheckResult r = check(h, context);
  // The small register is judged (and fails) although the big one exhausts the budget.
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  EXPECT_EQ(r.violations[0].actor, "register/small");
  EXPECT_NE(r.note.find("exhausted"), std::string::npos) << r.note;
}

TEST(LinearizabilityTest, LongSequentialHistoryIsCheap) {
  TestHistory h;
  int64_t t = 0;
  for (int i = 0; i < 5000; ++i) {
    h.op(t, t + 1, 2 * i, "c1", kReg, "write", i, "ok");
    h.op(t + 2, t + 3, 2 * i + 1, "c2", kReg, "read", kNull, "ok", i);
    t += 4;
  }
  CheckContext context;
  context.max_search_steps = 100'000;
  const CheckResult r = check(h, context);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
}

}  // namespace
}  // namespace orbit::checkers
