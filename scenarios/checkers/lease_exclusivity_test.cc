#include "scenarios/checkers/lease_exclusivity.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

using testing::ms;
using testing::sec;
using testing::kNull;
using testing::TestHistory;

const std::string kActor = "counter/c1";

CheckResult check(const TestHistory& h) { return testing::run(LeaseExclusivityChecker{}, h, CheckContext{}); }

TEST(LeaseExclusivityTest, SuccessiveHoldersPass) {
  TestHistory h;
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(1));
  h.acquire(sec(1) + 1, 2, kActor, "n2.b1.a1", 2, sec(1));
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << r.note;
  EXPECT_EQ(r.checker, "lease_exclusivity");
  EXPECT_NE(r.note.find("2 lease beliefs"), std::string::npos) << r.note;
}

TEST(LeaseExclusivityTest, OverlappingBeliefsFail) {
  TestHistory h;
  const size_t a = h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(1));
  const size_t b = h.acquire(ms(500), 2, kActor, "n2.b1.a1", 2, sec(1));
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  ASSERT_EQ(r.violations.size(), 1u);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.actor, kActor);
  EXPECT_EQ(v.events, (std::vector<size_t>{a, b}));
  EXPECT_NE(v.explanation.find("n1.b1.a1"), std::string::npos) << v.explanation;
  EXPECT_NE(v.explanation.find("n2.b1.a1"), std::string::npos) << v.explanation;
  EXPECT_NE(v.explanation.find("[0.500000000s, 1.000000000s)"), std::string::npos) << v.explanation;
  // The two holders as structured data (reports and timelines read these).
  ASSERT_EQ(v.holders.size(), 2u);
  EXPECT_EQ(v.holders[0].holder, "n1.b1.a1");
  EXPECT_EQ(v.holders[0].node, 1);
  EXPECT_EQ(v.holders[0].lease_version, 1);
  EXPECT_EQ(v.holders[0].event, a);
  EXPECT_EQ(v.holders[1].holder, "n2.b1.a1");
  EXPECT_EQ(v.holders[1].node, 2);
  EXPECT_EQ(v.holders[1].lease_version, 2);
  EXPECT_EQ(v.holders[1].event, b);
}

// The holder's validity is counted on its own clock: only its drift turns two back-to-back
// beliefs into overlapping ones. The holder on node 1 believes for 1 s of *local* time from
// t=0; the next holder acquires at t=1.5 s.
TestHistory drifted(int64_t ppm) {
  TestHistory h;
  h.drift(0, 1, ppm);
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(1));
  h.acquire(ms(1500), 2, kActor, "n2.b1.a1", 2, sec(1));
  return h;
}

TEST(LeaseExclusivityTest, NoDriftNoOverlap) { EXPECT_EQ(check(drifted(0)).verdict, Verdict::kPass); }

TEST(LeaseExclusivityTest, FastClockShortensTheBelief) {
  // +50%: 1 s local is 0.667 s true. (A fast clock ends a belief early: always safe.)
  EXPECT_EQ(check(drifted(500'000)).verdict, Verdict::kPass);
}

TEST(LeaseExclusivityTest, SlowClockStretchesTheBeliefIntoTheNextHolders) {
  // -50%: the holder's clock runs at half speed, so 1 s local lasts 2 s of true time.
  const TestHistory h = drifted(-500'000);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << r.note;
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].events, (std::vector<size_t>{0, 1, 2}));  // includes the clock_drift
  EXPECT_NE(r.violations[0].explanation.find("[1.500000000s, 2.000000000s)"), std::string::npos)
      << r.violations[0].explanation;
  EXPECT_NE(r.violations[0].explanation.find("-500000 ppm"), std::string::npos) << r.violations[0].explanation;
}

TEST(LeaseExclusivityTest, DriftOfAnotherNodeOrSetLaterDoesNotApply) {
  TestHistory h;
  h.drift(0, 3, -500'000);  // another node
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(1));
  h.drift(ms(10), 1, -500'000);  // after the belief started: the next one would use it
  h.acquire(ms(1500), 2, kActor, "n2.b1.a1", 2, sec(1));
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(LeaseExclusivityTest, RenewalExtendsTheBelief) {
  TestHistory h;
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(1));
  h.renew(ms(600), 1, kActor, "n1.b1.a1", 1, sec(1));  // believed until 1.6 s
  h.acquire(ms(1200), 2, kActor, "n2.b1.a1", 2, sec(1));
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_EQ(r.violations[0].events, (std::vector<size_t>{1, 2}));
}

TEST(LeaseExclusivityTest, OneHoldersOwnRenewalsMayOverlap) {
  TestHistory h;
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(1));
  h.renew(ms(300), 1, kActor, "n1.b1.a1", 1, sec(1));
  h.renew(ms(600), 1, kActor, "n1.b1.a1", 1, sec(1));
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(LeaseExclusivityTest, DifferentActorsDoNotConflict) {
  TestHistory h;
  h.acquire(0, 1, "counter/c1", "n1.b1.a1", 1, sec(1));
  h.acquire(ms(100), 2, "counter/c2", "n2.b1.a1", 1, sec(1));
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(LeaseExclusivityTest, DeactivationLeaseLostAndCrashEndTheBelief) {
  for (const std::string kind : {"deactivation", "lease_lost", "crash"}) {
    TestHistory h;
    h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(10));
    if (kind == "crash") {
      h.crash(sec(1), 1);
    } else if (kind == "deactivation") {
      h.deactivation(sec(1), 1, kActor, "n1.b1.a1", 1);
    } else {
      h.event(sec(1), 1, history::LeaseLost{h.sym(kActor), h.sym("n1.b1.a1"), 1, h.sym("n2.b1.a1"), 2});
    }
    h.acquire(sec(2), 2, kActor, "n2.b1.a1", 2, sec(10));
    EXPECT_EQ(check(h).verdict, Verdict::kPass) << kind;
  }
}

TEST(LeaseExclusivityTest, CrashOfAnotherNodeDoesNotEndTheBelief) {
  TestHistory h;
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(10));
  h.crash(sec(1), 3);
  h.acquire(sec(2), 2, kActor, "n2.b1.a1", 2, sec(10));
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

TEST(LeaseExclusivityTest, ReleaseEndsTheBeliefWhenItWasSent) {
  // The final snapshot at 1 s, then the release goes out; the store grants the next holder
  // at 1.1 s, before the release's reply reaches the first holder at 1.2 s.
  TestHistory h;
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(10));
  h.snapshot_write(sec(1), 1, kActor, "n1.b1.a1", 3, 1, "aa", true);
  h.acquire(ms(1100), 2, kActor, "n2.b1.a1", 2, sec(10));
  h.event(ms(1200), 1, history::LeaseReleased{h.sym(kActor), h.sym("n1.b1.a1"), 1, true});
  h.deactivation(ms(1200), 1, kActor, "n1.b1.a1", 1);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << (r.violations.empty() ? r.note : r.violations[0].explanation);
}

TEST(LeaseExclusivityTest, ANewHolderBeforeTheLastWorkOfTheOldOneStillFails) {
  TestHistory h;
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(10));
  h.acquire(ms(900), 2, kActor, "n2.b1.a1", 2, sec(10));
  h.snapshot_write(sec(1), 1, kActor, "n1.b1.a1", 3, 1, "aa", true);
  h.event(ms(1200), 1, history::LeaseReleased{h.sym(kActor), h.sym("n1.b1.a1"), 1, true});
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_NE(r.violations[0].explanation.find("[0.900000000s, 1.000000000s)"), std::string::npos)
      << r.violations[0].explanation;
}

TEST(LeaseExclusivityTest, EachPairOfHoldersIsReportedOnce) {
  TestHistory h;
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(1));
  h.acquire(ms(100), 2, kActor, "n2.b1.a1", 2, sec(1));
  h.renew(ms(400), 1, kActor, "n1.b1.a1", 1, sec(1));
  h.renew(ms(500), 2, kActor, "n2.b1.a1", 2, sec(1));
  const CheckResult r = check(h);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_NE(r.violations[0].explanation.find("more overlapping"), std::string::npos) << r.violations[0].explanation;
}

// A snapshot_integrity_failure is recorded while loading, not work done under the lease:
// it does not move the release cut.
TEST(LeaseExclusivityTest, AnIntegrityFailureIsNotTheHoldersLastWork) {
  TestHistory h;
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(10));
  h.acquire(ms(500), 2, kActor, "n2.b1.a1", 2, sec(10));
  h.event(sec(1), 1,
          history::SnapshotIntegrityFailure{h.sym(kActor), h.sym("n1.b1.a1"), 3, testing::digest("e"),
                                            testing::digest("a"), h.sym("")});
  h.event(ms(1200), 1, history::ActivationFailed{h.sym(kActor), h.sym("n1.b1.a1"), h.sym("corrupt")});
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << (r.violations.empty() ? r.note : r.violations[0].explanation);
}

TEST(LeaseExclusivityTest, ImpossibleDriftMakesItUnknown) {
  TestHistory h;
  h.drift(0, 1, -1'000'000);  // a clock that stands still
  h.acquire(0, 1, kActor, "n1.b1.a1", 1, sec(1));
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_NE(r.note.find("\"ppm\" > -1000000"), std::string::npos) << r.note;
}

}  // namespace
}  // namespace orbit::checkers
