#include "scenarios/checkers/snapshot_integrity.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

using testing::sec;
using testing::kNull;
using testing::TestHistory;

const std::string kActor = "counter/c1";
const std::string kA = "n1.b1.a1";
const std::string kB = "n2.b1.a1";

CheckResult check(const TestHistory& h) { return testing::run(SnapshotIntegrityChecker{}, h, CheckContext{}); }

std::string describe(const CheckResult& r) {
  std::string out = std::string(to_string(r.verdict)) + ": " + r.note;
  for (const Violation& v : r.violations) out += "\n  " + v.explanation;
  return out;
}

TEST(SnapshotIntegrityTest, LoadOfWhatWasWrittenPasses) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", true);
  h.snapshot_write(sec(2), 1, kActor, kA, 2, 1, "bbb", true);
  h.snapshot_load(sec(3), 2, kActor, 2, "bbb", "bbb");
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_EQ(r.note, "1 loads and 2 accepted writes on 1 actors");
}

TEST(SnapshotIntegrityTest, LoadedHashThatDiffersFromTheWrittenOneFails) {
  TestHistory h;
  const size_t write = h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", true);
  // The store's record says "aaa" but the bytes loaded hash to something else.
  const size_t load = h.snapshot_load(sec(3), 2, kActor, 1, "aaa", "ccc");
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].explanation.rfind("corrupt state loaded", 0), 0u) << r.violations[0].explanation;
  EXPECT_EQ(r.violations[0].events, (std::vector<size_t>{write, load}));
  EXPECT_EQ(r.violations[0].actor, kActor);
  ASSERT_TRUE(r.violations[0].snapshot.has_value());
  const SnapshotRef& s = *r.violations[0].snapshot;
  EXPECT_EQ(s.actor, kActor);
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.sha256, testing::hex("ccc"));
  EXPECT_EQ(s.expected_sha256, testing::hex("aaa"));
  EXPECT_EQ(s.sha256.size(), 64u);
  EXPECT_EQ(s.event, load);
}

TEST(SnapshotIntegrityTest, LoadOfAVersionNeverWrittenFails) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", true);
  h.snapshot_load(sec(3), 2, kActor, 7, "zzz", "zzz");
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_NE(r.violations[0].explanation.find("never written"), std::string::npos) << r.violations[0].explanation;
}

TEST(SnapshotIntegrityTest, UnverifiedLoadFails) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", true);
  h.snapshot_load(sec(3), 2, kActor, 1, "aaa", "aaa", /*verified=*/false);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_EQ(r.violations[0].explanation.rfind("unverified state loaded", 0), 0u);
}

TEST(SnapshotIntegrityTest, LoadOfAWriteWithUnknownOutcomePasses) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", false, "timeout");  // it landed after all
  h.snapshot_load(sec(3), 2, kActor, 1, "aaa", "aaa");
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(SnapshotIntegrityTest, LoadOfARefusedWriteFails) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", false, "rejected");
  h.snapshot_load(sec(3), 2, kActor, 1, "aaa", "aaa");
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_EQ(r.violations[0].explanation.rfind("refused write loaded", 0), 0u) << r.violations[0].explanation;
}

TEST(SnapshotIntegrityTest, LoadBeforeTheWriteDoesNotCount) {
  TestHistory h;
  h.snapshot_load(sec(1), 2, kActor, 1, "aaa", "aaa");
  h.snapshot_write(sec(2), 1, kActor, kA, 1, 1, "aaa", true);
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

TEST(SnapshotIntegrityTest, AcceptedVersionsMustIncrease) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 2, 1, "aaa", true);
  h.snapshot_write(sec(2), 1, kActor, kA, 2, 1, "bbb", true);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation);
  EXPECT_EQ(r.violations[0].explanation.rfind("accepted versions not increasing", 0), 0u);
  EXPECT_EQ(r.violations[0].events, (std::vector<size_t>{0, 1}));
}

TEST(SnapshotIntegrityTest, ANewerTokenCannotGoBackInVersions) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 3, 1, "aaa", true);
  h.snapshot_write(sec(2), 2, kActor, kB, 2, 2, "bbb", true);
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

// A paused holder (token 1) records its accepted version 1 only after the next holder
// (token 2) had version 2 accepted: store order is token order, so this is fine.
TEST(SnapshotIntegrityTest, LateAcknowledgementFromAnOlderTokenPasses) {
  TestHistory h;
  h.snapshot_write(sec(2), 2, kActor, kB, 2, 2, "bbb", true);
  h.snapshot_write(sec(3), 1, kActor, kA, 1, 1, "aaa", true);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
}

TEST(SnapshotIntegrityTest, LoadOlderThanTheNewestAcknowledgedWriteFails) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", true);
  const size_t newest = h.snapshot_write(sec(2), 1, kActor, kA, 2, 1, "bbb", true);
  const size_t load = h.snapshot_load(sec(3), 2, kActor, 1, "aaa", "aaa");
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].explanation.rfind("acknowledged snapshot lost", 0), 0u);
  EXPECT_EQ(r.violations[0].events, (std::vector<size_t>{newest, load}));
}

// Found by the campaign (lease-storm seed 768): a holder paused with its read in flight
// records the version that was newest when the read was served, after a newer one was
// acknowledged. The load is judged from the moment its read began.
TEST(SnapshotIntegrityTest, ALoadWhoseReadBeganBeforeTheAcknowledgementPasses) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", true);
  h.snapshot_read_begin(sec(2), 2, kActor, kB);
  h.snapshot_write(sec(3), 1, kActor, kA, 2, 1, "bbb", true);
  h.snapshot_load(sec(4), 2, kActor, 1, "aaa", "aaa", /*verified=*/true, kB);
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
}

TEST(SnapshotIntegrityTest, ALoadWhoseReadBeganAfterTheAcknowledgementFails) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", true);
  const size_t newest = h.snapshot_write(sec(2), 1, kActor, kA, 2, 1, "bbb", true);
  h.snapshot_read_begin(sec(3), 2, kActor, kB);
  const size_t load = h.snapshot_load(sec(4), 2, kActor, 1, "aaa", "aaa", /*verified=*/true, kB);
  const CheckResult r = check(h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << describe(r);
  EXPECT_EQ(r.violations[0].events, (std::vector<size_t>{newest, load}));
}

TEST(SnapshotIntegrityTest, FallbackPastARecordedIntegrityFailurePasses) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", true);
  h.snapshot_write(sec(2), 1, kActor, kA, 2, 1, "bbb", true);
  h.integrity_failure(sec(3), 2, kActor, 2);
  h.snapshot_load(sec(3), 2, kActor, 1, "aaa", "aaa");
  const CheckResult r = check(h);
  EXPECT_EQ(r.verdict, Verdict::kPass) << describe(r);
  EXPECT_NE(r.note.find("1 loads fell back"), std::string::npos) << r.note;
}

TEST(SnapshotIntegrityTest, AnIntegrityFailureBeforeTheAcknowledgementDoesNotExcuse) {
  TestHistory h;
  h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", true);
  h.integrity_failure(sec(1), 2, kActor, 2);
  h.snapshot_write(sec(2), 1, kActor, kA, 2, 1, "bbb", true);
  h.snapshot_load(sec(3), 2, kActor, 1, "aaa", "aaa");
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

TEST(SnapshotIntegrityTest, ConflictingWriteIsARefusalButOtherErrorsMayHaveLanded) {
  for (const std::string error : {"conflict", "io", "unavailable"}) {
    TestHistory h;
    h.snapshot_write(sec(1), 1, kActor, kA, 1, 1, "aaa", false, error);
    h.snapshot_load(sec(3), 2, kActor, 1, "aaa", "aaa");
    const CheckResult r = check(h);
    if (error == "conflict") {
      ASSERT_EQ(r.verdict, Verdict::kViolation) << error;
      EXPECT_NE(r.violations[0].explanation.find("the store refused (conflict)"), std::string::npos)
          << r.violations[0].explanation;
    } else {
      EXPECT_EQ(r.verdict, Verdict::kPass) << error << " " << describe(r);
    }
  }
}

}  // namespace
}  // namespace orbit::checkers

namespace orbit::checkers {
namespace {

TEST(SnapshotIntegrityInFlightTest, AWriteWhoseNodeDiedMidFlightMayBeLoaded) {
  testing::TestHistory h;
  h.snapshot_write_begin(1, 2, "counter/c", "n2.b1.a1", 5, 3, "aa");
  h.crash(2, 2);
  h.snapshot_load(9, 1, "counter/c", 5, "aa", "aa");
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(SnapshotIntegrityInFlightTest, ARefusedWriteIsNotInFlightAnyMore) {
  testing::TestHistory h;
  h.snapshot_write_begin(1, 2, "counter/c", "n2.b1.a1", 5, 3, "aa");
  h.snapshot_write(2, 2, "counter/c", "n2.b1.a1", 5, 3, "aa", false, "rejected");
  h.snapshot_load(9, 1, "counter/c", 5, "aa", "aa");
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

// lease-storm seed 126 after the typed wire (issue 13): the new holder's write of v5 is still
// in flight when a stale holder's write of the same bytes at v5 is fenced; the load of v5
// is the new holder's write, and the refused one must not hide it.
TEST(SnapshotIntegrityInFlightTest, ARefusedWriteOfTheSameBytesDoesNotHideOneInFlight) {
  testing::TestHistory h;
  h.snapshot_write_begin(1, 1, "counter/c", "n1.b1.a2", 5, 2, "aa");
  h.snapshot_write_begin(2, 2, "counter/c", "n2.b1.a1", 5, 1, "aa");
  h.snapshot_write(3, 2, "counter/c", "n2.b1.a1", 5, 1, "aa", false, "rejected");
  h.snapshot_load(9, 2, "counter/c", 5, "aa", "aa");
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
  // Without the write in flight the same load is the refused write's bytes.
  testing::TestHistory refused;
  refused.snapshot_write_begin(2, 2, "counter/c", "n2.b1.a1", 5, 1, "aa");
  refused.snapshot_write(3, 2, "counter/c", "n2.b1.a1", 5, 1, "aa", false, "rejected");
  refused.snapshot_load(9, 2, "counter/c", 5, "aa", "aa");
  EXPECT_EQ(check(refused).verdict, Verdict::kViolation);
}

TEST(SnapshotIntegrityInFlightTest, DifferentBytesThanInFlightAreStillCorrupt) {
  testing::TestHistory h;
  h.snapshot_write_begin(1, 2, "counter/c", "n2.b1.a1", 5, 3, "aa");
  h.snapshot_load(9, 1, "counter/c", 5, "bb", "bb");
  EXPECT_EQ(check(h).verdict, Verdict::kViolation);
}

}  // namespace
}  // namespace orbit::checkers
