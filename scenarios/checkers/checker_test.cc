#include "scenarios/checkers/checker.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/event_fields.h"
#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

TEST(CheckerRegistryTest, HasTheSevenCheckersSortedByName) {
  std::vector<std::string> names;
  for (const auto& checker : all_checkers()) names.emplace_back(checker->name());
  EXPECT_EQ(names, (std::vector<std::string>{"directory_handoff", "durability", "lease_exclusivity", "linearizability", "liveness",
                                             "single_activation", "snapshot_integrity"}));
}

TEST(CheckerRegistryTest, EmptyHistoryPassesEveryChecker) {
  sim::History empty;
  const std::vector<CheckResult> results = run_all_checkers(empty, CheckContext{});
  ASSERT_EQ(results.size(), 7u);
  for (const CheckResult& r : results) {
    EXPECT_EQ(r.verdict, Verdict::kPass) << r.checker << ": " << r.note;
    EXPECT_TRUE(r.violations.empty()) << r.checker;
    EXPECT_FALSE(r.note.empty()) << r.checker;
  }
}

TEST(CheckerRegistryTest, ResultsAreDeterministicAndSurviveJsonLines) {
  testing::TestHistory h;
  h.op(0, 10, 1, "c1", "register/r", "write", 1, "ok");
  h.op(20, 30, 2, "c2", "register/r", "read", nullptr, "ok", 2);  // stale: a violation
  h.lease(0, 1, "lease_acquired", "register/r", "n1.b1.a1", 1, testing::sec(1));
  auto reparsed = sim::History::from_jsonl(h.history.to_jsonl());
  ASSERT_TRUE(reparsed.ok());
  const auto a = run_all_checkers(h.history, CheckContext{});
  const auto b = run_all_checkers(*reparsed, CheckContext{});
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].checker, b[i].checker);
    EXPECT_EQ(a[i].verdict, b[i].verdict);
    EXPECT_EQ(a[i].note, b[i].note);
    ASSERT_EQ(a[i].violations.size(), b[i].violations.size());
    for (size_t k = 0; k < a[i].violations.size(); ++k) {
      EXPECT_EQ(a[i].violations[k].explanation, b[i].violations[k].explanation);
      EXPECT_EQ(a[i].violations[k].events, b[i].violations[k].events);
    }
  }
}

TEST(MakeResultTest, VerdictPrecedence) {
  sim::History h;
  h.record(0, 1, "x", {});
  MalformedEvents none;
  EXPECT_EQ(make_result("c", {}, "checked", "", none).verdict, Verdict::kPass);
  EXPECT_EQ(make_result("c", {}, "checked", "ran out", none).verdict, Verdict::kUnknown);
  MalformedEvents some;
  some.add(h, 0, "bad");
  const CheckResult unknown = make_result("c", {}, "checked", "", some);
  EXPECT_EQ(unknown.verdict, Verdict::kUnknown);
  EXPECT_NE(unknown.note.find("1 malformed event"), std::string::npos) << unknown.note;
  EXPECT_NE(unknown.note.find("event 0 (x"), std::string::npos) << unknown.note;
  const CheckResult violation = make_result("c", {{"b", {5, 2}, "a/1"}, {"a", {1}, "a/2"}}, "checked", "ran out", some);
  EXPECT_EQ(violation.verdict, Verdict::kViolation);
  ASSERT_EQ(violation.violations.size(), 2u);
  EXPECT_EQ(violation.violations[0].explanation, "a");  // sorted by first event
  EXPECT_EQ(violation.violations[1].events, (std::vector<size_t>{2, 5}));
}

TEST(EventFieldsTest, FormatsTimes) {
  EXPECT_EQ(format_ns(1'500'000'000), "1.500000000s");
  EXPECT_EQ(format_ns(-5), "-0.000000005s");
  EXPECT_EQ(format_ns(std::numeric_limits<int64_t>::max()), "+inf");
}

TEST(EventFieldsTest, SaturatingAddKeepsNoDeadlineAsNoDeadline) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(saturating_add(kMax, 30'000'000'000), kMax);
  EXPECT_EQ(saturating_add(std::numeric_limits<int64_t>::min(), -1), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(saturating_add(5, -7), -2);
}

TEST(EventFieldsTest, TypedFieldsRejectWrongTypes) {
  sim::HistoryEvent e{0, 0, "k", {{"i", 3}, {"f", 3.5}, {"s", "x"}, {"b", true}, {"u", 18446744073709551615ULL}}};
  EXPECT_EQ(int_field(e, "i"), 3);
  EXPECT_FALSE(int_field(e, "f"));
  EXPECT_FALSE(int_field(e, "u"));
  EXPECT_FALSE(int_field(e, "missing"));
  EXPECT_EQ(string_field(e, "s"), "x");
  EXPECT_FALSE(string_field(e, "i"));
  EXPECT_EQ(bool_field(e, "b"), true);
  EXPECT_FALSE(bool_field(e, "i"));
}

}  // namespace
}  // namespace orbit::checkers
