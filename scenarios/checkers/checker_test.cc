#include "scenarios/checkers/checker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

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

TEST(CheckerRegistryTest, OnlyLivenessIsALivenessChecker) {
  for (const auto& checker : all_checkers()) {
    const CheckerClass expected = checker->name() == "liveness" ? CheckerClass::kLiveness : CheckerClass::kSafety;
    EXPECT_EQ(checker->checker_class(), expected) << checker->name();
  }
  EXPECT_EQ(to_string(CheckerClass::kSafety), "safety");
  EXPECT_EQ(to_string(CheckerClass::kLiveness), "liveness");
}

TEST(CheckerRegistryTest, TheLinearizabilitySearchCostsTheMost) {
  const auto checkers = all_checkers();
  const auto most = std::max_element(checkers.begin(), checkers.end(),
                                     [](const auto& a, const auto& b) { return a->cost_order() < b->cost_order(); });
  EXPECT_EQ((*most)->name(), "linearizability");
  for (const auto& checker : checkers) {
    if (checker.get() == most->get()) continue;
    EXPECT_LT(checker->cost_order(), (*most)->cost_order()) << checker->name();
  }
}

TEST(CheckerRegistryTest, FindsCheckersByName) {
  ASSERT_NE(find_checker("durability"), nullptr);
  EXPECT_EQ(find_checker("durability")->name(), "durability");
  EXPECT_EQ(find_checker("durabilty"), nullptr);
  EXPECT_EQ(find_checker(""), nullptr);
}

TEST(CheckerRegistryTest, ValidatesCheckerNames) {
  EXPECT_EQ(validate_checker_names({}), std::nullopt);
  EXPECT_EQ(validate_checker_names({"liveness", "linearizability"}), std::nullopt);
  EXPECT_EQ(validate_checker_names({"liveness", "lineariz", "x"}),
            "unknown checker 'lineariz' (known: directory_handoff, durability, lease_exclusivity, linearizability, "
            "liveness, single_activation, snapshot_integrity)");
}

TEST(CheckerRegistryTest, EmptyHistoryPassesEveryChecker) {
  history::History empty;
  const std::vector<CheckResult> results = run_all_checkers(empty, CheckContext{});
  ASSERT_EQ(results.size(), 7u);
  for (const CheckResult& r : results) {
    EXPECT_EQ(r.verdict, Verdict::kPass) << r.checker << ": " << r.note;
    EXPECT_TRUE(r.violations.empty()) << r.checker;
    EXPECT_FALSE(r.note.empty()) << r.checker;
  }
}

// Syms are numbered in first-use order: a history that interned its names in another order
// (a merge, a re-import) must be judged byte for byte the same.
TEST(CheckerRegistryTest, ResultsDoNotDependOnInterningOrder) {
  testing::TestHistory h;
  h.op(0, 10, 1, "c1", "register/r", "write", 1, "ok");
  h.op(20, 30, 2, "c2", "register/r", "read", testing::kNull, "ok", 2);  // stale: a violation
  h.op(0, 10, 3, "c1", "register/b", "write", 1, "ok");
  h.op(20, 30, 4, "c2", "register/b", "read", testing::kNull, "ok", 2);  // the same at the same instant
  h.acquire(0, 1, "register/r", "n1.b1.a1", 1, testing::sec(1));
  h.acquire(5, 2, "register/r", "n2.b1.a1", 2, testing::sec(1));
  h.acquire(0, 1, "register/b", "n1.b1.a1", 1, testing::sec(1));
  h.acquire(5, 2, "register/b", "n2.b1.a1", 2, testing::sec(1));
  history::History reversed;
  for (size_t i = h.history.string_count(); i-- > 0;) reversed.intern(h.history.str(history::Sym{static_cast<uint32_t>(i)}));
  for (const history::Event& e : h.history.events()) reversed.append_from(h.history, e);
  ASSERT_TRUE(history::same_history(h.history, reversed));
  const auto a = run_all_checkers(h.history, CheckContext{});
  const auto b = run_all_checkers(reversed, CheckContext{});
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].checker, b[i].checker);
    EXPECT_EQ(a[i].verdict, b[i].verdict);
    EXPECT_EQ(a[i].note, b[i].note);
    ASSERT_EQ(a[i].violations.size(), b[i].violations.size());
    for (size_t k = 0; k < a[i].violations.size(); ++k) {
      EXPECT_EQ(a[i].violations[k].explanation, b[i].violations[k].explanation);
      EXPECT_EQ(a[i].violations[k].events, b[i].violations[k].events);
      EXPECT_EQ(a[i].violations[k].actor, b[i].violations[k].actor);
    }
  }
}

TEST(MakeResultTest, VerdictPrecedence) {
  history::History h;
  h.append(0, 1, history::Heal{});
  MalformedEvents none;
  EXPECT_EQ(make_result("c", {}, "checked", "", none).verdict, Verdict::kPass);
  EXPECT_EQ(make_result("c", {}, "checked", "ran out", none).verdict, Verdict::kUnknown);
  MalformedEvents some;
  some.add(h, 0, "bad");
  const CheckResult unknown = make_result("c", {}, "checked", "", some);
  EXPECT_EQ(unknown.verdict, Verdict::kUnknown);
  EXPECT_NE(unknown.note.find("1 malformed event"), std::string::npos) << unknown.note;
  EXPECT_NE(unknown.note.find("event 0 (heal, t=0.000000000s, node 1): bad"), std::string::npos) << unknown.note;
  const CheckResult violation = make_result("c", {{"b", {5, 2}, "a/1", {}, {}}, {"a", {1}, "a/2", {}, {}}}, "checked", "ran out", some);
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

TEST(EventFieldsTest, DescribesEventsByKindName) {
  testing::TestHistory h;
  h.event(1'500'000'000, 2, history::LeaseAcquired{h.sym("a"), h.sym("b"), 1, Duration(5)});
  h.event(0, history::kWorldNode, history::Heal{});
  EXPECT_EQ(describe_event(h.history, 0), "event 0 (lease_acquired, t=1.500000000s, node 2)");
  EXPECT_EQ(describe_event(h.history, 1), "event 1 (heal, t=0.000000000s)");
  EXPECT_EQ(describe_event(h.history, 2), "event 2 (out of range)");
}

}  // namespace
}  // namespace orbit::checkers
