#include "scenarios/checkers/liveness.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

using testing::ms;
using testing::sec;
using testing::kNull;
using testing::TestHistory;

const std::string kReg = "register/r1";

CheckContext phase_from(int64_t start_ns) {
  CheckContext context;
  context.liveness_start_ns = start_ns;
  context.liveness_bound_ns = sec(10);
  return context;
}

std::string describe(const CheckResult& r) {
  std::string out = std::string(to_string(r.verdict)) + ": " + r.note;
  for (const Violation& v : r.violations) out += "\n  " + v.explanation;
  return out;
}

TEST(LivenessTest, NoLivenessPhasePassesWithANote) {
  TestHistory h;
  h.invoke(0, 1, "c1", kReg, "write", 1);  // never completes
  const CheckResult r = testing::run(LivenessChecker{}, h, CheckContext{});
  EXPECT_EQ(r.verdict, Verdict::kPass);
  EXPECT_NE(r.note.find("no liveness phase"), std::string::npos) << r.note;
}

TEST(LivenessTest, OpsCompletingOkInTimePass) {
  TestHistory h;
  h.op(sec(1), sec(30), 1, "c1", kReg, "write", 1, "info");  // before the phase: not judged
  h.op(sec(20), sec(21), 2, "c1", kReg, "write", 2, "ok");
  h.op(sec(22), sec(32), 3, "c2", kReg, "read", kNull, "ok", 2);  // exactly at the bound
  const CheckResult r = testing::run(LivenessChecker{}, h, phase_from(sec(20)));
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_NE(r.note.find("2 ops judged"), std::string::npos) << r.note;
}

TEST(LivenessTest, TimeoutInThePhaseFails) {
  TestHistory h;
  h.op(sec(20), sec(21), 1, "c1", kReg, "write", 2, "ok");
  const size_t invoke = h.invoke(sec(22), 2, "c2", kReg, "read");
  const size_t complete = h.complete(sec(27), 2, "info");
  const CheckResult r = testing::run(LivenessChecker{}, h, phase_from(sec(20)));
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].events, (std::vector<size_t>{invoke, complete}));
  EXPECT_EQ(r.violations[0].actor, kReg);
  EXPECT_NE(r.violations[0].explanation.find("op 2 (read by c2"), std::string::npos) << r.violations[0].explanation;
  EXPECT_NE(r.violations[0].explanation.find("completed \"info\""), std::string::npos) << r.violations[0].explanation;
}

TEST(LivenessTest, FailAndLateOkInThePhaseFail) {
  TestHistory h;
  h.op(sec(20), sec(21), 1, "c1", kReg, "write", 2, "fail");
  h.op(sec(22), sec(33), 2, "c2", kReg, "read", kNull, "ok", 2);
  const CheckResult r = testing::run(LivenessChecker{}, h, phase_from(sec(20)));
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  ASSERT_EQ(r.violations.size(), 2u);
  EXPECT_NE(r.violations[1].explanation.find("completed ok only after 11000000000 ns"), std::string::npos)
      << r.violations[1].explanation;
}

TEST(LivenessTest, MissingCompletionFailsOnceTheBoundHasPassed) {
  TestHistory h;
  h.invoke(sec(22), 1, "c1", kReg, "write", 1);
  h.event(sec(40), -1, history::Heal{});
  const CheckResult r = testing::run(LivenessChecker{}, h, phase_from(sec(20)));
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  EXPECT_NE(r.violations[0].explanation.find("never completed"), std::string::npos);
}

TEST(LivenessTest, MissingCompletionNearTheEndIsUnknown) {
  TestHistory h;
  h.op(sec(20), sec(21), 1, "c1", kReg, "write", 2, "ok");
  h.invoke(sec(25), 2, "c1", kReg, "write", 3);
  h.event(sec(30), -1, history::Heal{});
  const CheckResult r = testing::run(LivenessChecker{}, h, phase_from(sec(20)));
  EXPECT_EQ(r.verdict, Verdict::kUnknown) << describe(r);
  EXPECT_NE(r.note.find("1 op has no completion yet"), std::string::npos) << r.note;
}

}  // namespace
}  // namespace orbit::checkers

namespace orbit::checkers {
namespace {

TEST(LivenessPreconditionTest, AnsweredCasMismatchIsLiveButAnUnavailableFailIsNot) {
  testing::TestHistory h;
  h.invoke_cas(21'000'000'000, 1, "c1", "register/r1", 1, 2);
  h.complete(21'100'000'000, 1, "fail", testing::kNull, /*precondition_failed=*/true);
  h.invoke_cas(22'000'000'000, 2, "c1", "register/r1", 1, 2);
  h.complete(22'100'000'000, 2, "fail");
  CheckContext context;
  context.liveness_start_ns = 20'000'000'000;
  context.liveness_bound_ns = 10'000'000'000;
  h.event(40'000'000'000, 0, history::Heal{});
  const CheckResult r = testing::run(LivenessChecker{}, h, context);
  EXPECT_EQ(r.verdict, Verdict::kViolation);
  ASSERT_EQ(r.violations.size(), 1u) << "only the unanswered fail";
  EXPECT_NE(r.violations[0].explanation.find("op 2"), std::string::npos) << r.violations[0].explanation;
}

}  // namespace
}  // namespace orbit::checkers
