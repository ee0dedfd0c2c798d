#include "scenarios/checkers/single_activation.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

using testing::ms;
using testing::sec;
using testing::kNull;
using testing::TestHistory;

const std::string kActor = "counter/c1";
const std::string kOld = "n1.b1.a1";
const std::string kNew = "n2.b1.a1";

CheckResult check(const TestHistory& h, CheckContext context = {}) {
  return testing::run(SingleActivationChecker{}, h, context);
}

std::string describe(const CheckResult& r) {
  std::string out = std::string(to_string(r.verdict)) + ": " + r.note;
  for (const Violation& v : r.violations) out += "\n  " + v.explanation;
  return out;
}

TEST(SingleActivationTest, SuccessiveActivationsPass) {
  TestHistory h;
  h.activation(0, 1, kActor, kOld, 1, 0);
  h.snapshot_write(sec(1), 1, kActor, kOld, 1, 1, "a", true);
  h.deactivation(sec(2), 1, kActor, kOld, 1);
  h.activation(sec(3), 2, kActor, kNew, 2, 1);
  h.snapshot_write(sec(4), 2, kActor, kNew, 2, 2, "b", true);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_NE(r.note.find("2 activations"), std::string::npos) << r.note;
}

// The old activation (token 1) is cut off by a partition; the new one (token 2) loads version
// 1. The old one then has version 2 accepted, and so does the new one: two lineages, both
// acknowledged (Akka #17955).
TEST(SingleActivationTest, DuplicateThatWroteAfterBeingSupersededFails) {
  TestHistory h;
  const size_t old_start = h.activation(0, 1, kActor, kOld, 1, 0);
  h.snapshot_write(sec(1), 1, kActor, kOld, 1, 1, "a", true);
  const size_t new_start = h.activation(sec(5), 2, kActor, kNew, 2, 1);
  const size_t stale = h.snapshot_write(sec(6), 1, kActor, kOld, 2, 1, "b", true);
  const size_t fresh = h.snapshot_write(sec(7), 2, kActor, kNew, 2, 2, "c", true);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  ASSERT_EQ(r.violations.size(), 1u);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.actor, kActor);
  EXPECT_EQ(v.explanation.rfind("both wrote", 0), 0u) << v.explanation;
  EXPECT_EQ(v.events, (std::vector<size_t>{old_start, new_start, stale, fresh}));
  ASSERT_EQ(v.holders.size(), 2u);
  EXPECT_EQ(v.holders[0].holder, kOld);
  EXPECT_EQ(v.holders[0].node, 1);
  EXPECT_EQ(v.holders[0].lease_version, 1);
  EXPECT_EQ(v.holders[0].event, old_start);
  EXPECT_EQ(v.holders[1].holder, kNew);
  EXPECT_EQ(v.holders[1].lease_version, 2);
  EXPECT_EQ(v.holders[1].event, new_start);
}

TEST(SingleActivationTest, FencedDuplicatePasses) {
  TestHistory h;
  h.activation(0, 1, kActor, kOld, 1, 0);
  h.snapshot_write(sec(1), 1, kActor, kOld, 1, 1, "a", true);
  h.activation(sec(5), 2, kActor, kNew, 2, 1);
  h.snapshot_write(sec(6), 1, kActor, kOld, 2, 1, "b", false, "rejected");
  h.event(sec(6), 1, history::DuplicateDetected{h.sym(kActor), h.sym(kOld), 1});
  h.deactivation(sec(6), 1, kActor, kOld, 1, "duplicate");
  h.snapshot_write(sec(7), 2, kActor, kNew, 2, 2, "c", true);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_NE(r.note.find("1 duplicates"), std::string::npos) << r.note;
}

TEST(SingleActivationTest, StaleDuplicateWriteFailsEvenIfTheNewOneNeverWrote) {
  TestHistory h;
  h.activation(0, 1, kActor, kOld, 1, 0);
  h.activation(sec(5), 2, kActor, kNew, 2, 0);
  h.snapshot_write(sec(6), 1, kActor, kOld, 1, 1, "b", true);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  EXPECT_EQ(r.violations[0].explanation.rfind("stale duplicate wrote", 0), 0u) << r.violations[0].explanation;
}

// A holder paused with a write in flight: the store applied it (version 1) before the new
// lease existed, and the new activation loaded it; the old holder records the success only
// when it wakes, after the new activation started. Not a violation.
TEST(SingleActivationTest, LateAcknowledgementOfAWriteTheNewActivationLoadedPasses) {
  TestHistory h;
  h.activation(0, 1, kActor, kOld, 1, 0);
  h.event(sec(1), 1, history::Pause{});
  h.activation(sec(5), 2, kActor, kNew, 2, 1);
  h.snapshot_write(ms(5500), 2, kActor, kNew, 2, 2, "c", true);
  h.event(sec(6), 1, history::Resume{0, 2});
  h.snapshot_write(sec(6), 1, kActor, kOld, 1, 1, "a", true);
  h.deactivation(sec(6), 1, kActor, kOld, 1, "lease_lapsed");
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
}

TEST(SingleActivationTest, FallbackPastACorruptSnapshotIsNotAStaleWrite) {
  TestHistory h;
  h.activation(0, 1, kActor, kOld, 1, 0);
  h.integrity_failure(sec(4), 2, kActor, 1);  // the new activation's load saw version 1 corrupt
  h.activation(sec(5), 2, kActor, kNew, 2, 0);
  h.snapshot_write(sec(6), 1, kActor, kOld, 1, 1, "a", true);  // late acknowledgement
  h.deactivation(sec(6), 1, kActor, kOld, 1, "lease_lapsed");
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(SingleActivationTest, CrashEndsEveryActivationOnTheNode) {
  TestHistory h;
  h.activation(0, 1, kActor, kOld, 1, 0);
  h.activation(0, 1, "counter/c2", "n1.b1.a2", 1, 0);
  h.crash(sec(1), 1);
  h.activation(sec(2), 2, kActor, kNew, 2, 0);
  h.activation(sec(2), 2, "counter/c2", "n2.b1.a2", 2, 0);
  h.snapshot_write(sec(3), 2, kActor, kNew, 1, 2, "c", true);
  // A write recorded by the crashed node's old holder would be impossible; none here.
  const CheckResult r = check(h, CheckContext{.liveness_start_ns = sec(2)});
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_NE(r.note.find("0 overlapping pairs"), std::string::npos) << r.note;
}

TEST(SingleActivationTest, ActivationTwiceWithoutADeactivationIsMalformed) {
  TestHistory h;
  h.activation(0, 1, kActor, kOld, 1, 0);
  h.activation(sec(1), 1, kActor, kOld, 1, 0);  // the first one was never closed
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kUnknown) << describe(r);
  EXPECT_NE(r.note.find("holder n1.b1.a1 activated again without a deactivation"), std::string::npos) << r.note;
}

TEST(SingleActivationTest, TheLowerTokenIsTheDuplicateWhateverTheOrder) {
  TestHistory h;
  h.activation(0, 2, kActor, kNew, 2, 3);
  h.activation(sec(1), 1, kActor, kOld, 1, 3);  // a stale grant finishing late
  h.snapshot_write(sec(2), 1, kActor, kOld, 4, 1, "x", true);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  EXPECT_NE(r.violations[0].explanation.find("activation " + kOld), std::string::npos) << r.violations[0].explanation;
}

// The duplicate (token 1) never writes, so fencing never tells it: it must still go away.
TestHistory undetected_duplicate(int64_t deactivated_at, int64_t history_end) {
  TestHistory h;
  h.activation(0, 1, kActor, kOld, 1, 0);
  h.activation(sec(5), 2, kActor, kNew, 2, 0);
  if (deactivated_at > 0) h.deactivation(deactivated_at, 1, kActor, kOld, 1, "lease_lost");
  h.event(history_end, -1, history::Heal{});
  return h;
}

TEST(SingleActivationTest, DuplicateMustBeDetectedAfterFaultsHeal) {
  const CheckContext context{.liveness_start_ns = sec(10), .duplicate_detection_bound_ns = sec(30)};
  const CheckResult never = check(undetected_duplicate(0, sec(60)), context);
  ASSERT_EQ(never.verdict, Verdict::kViolation) << describe(never);
  EXPECT_EQ(never.violations[0].explanation.rfind("duplicate never detected", 0), 0u);
  EXPECT_EQ(never.violations[0].events, (std::vector<size_t>{0}));

  const CheckResult late = check(undetected_duplicate(sec(45), sec(60)), context);
  EXPECT_EQ(late.verdict, Verdict::kViolation) << describe(late);

  const CheckResult in_time = check(undetected_duplicate(sec(20), sec(60)), context);
  EXPECT_EQ(in_time.verdict, Verdict::kPass) << describe(in_time);

  const CheckResult too_short = check(undetected_duplicate(0, sec(20)), context);
  EXPECT_EQ(too_short.verdict, Verdict::kUnknown) << describe(too_short);
  EXPECT_NE(too_short.note.find("before the detection deadline"), std::string::npos) << too_short.note;
}

TEST(SingleActivationTest, WithoutALivenessPhaseOnlyWritesAreJudged) {
  const CheckResult r = check(undetected_duplicate(0, sec(60)));
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_NE(r.note.find("no liveness phase"), std::string::npos) << r.note;
}

}  // namespace
}  // namespace orbit::checkers
