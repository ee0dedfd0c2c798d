#include "scenarios/judge.h"

#include <gtest/gtest.h>

namespace orbit::scenarios {
namespace {

using history::History;

// Two ops on register/r0: a write of 1 that completed, then a read that saw 2. Not
// linearizable, so the linearizability checker must fail it.
History non_linearizable_register() {
  History h;
  const history::Sym p = h.intern("n0.b1.c0"), r = h.intern("register/r0");
  h.append(1'000, 0, history::OpInvoke{p, 1, r, history::OpFunction::kWrite, 1, {}});
  h.append(2'000, 0, history::OpComplete{p, 1, r, history::OpType::kOk, {}, {}, false});
  h.append(3'000, 0, history::OpInvoke{p, 2, r, history::OpFunction::kRead, {}, {}});
  h.append(4'000, 0, history::OpComplete{p, 2, r, history::OpType::kOk, 2, {}, false});
  return h;
}

TEST(JudgeTest, AnUnknownCheckerIsAnErrorNamingIt) {
  JudgeSpec spec;
  spec.required_checkers = {"liveness", "linearisability"};
  auto judged = judge(History(), spec, checkers::CheckContext{});
  ASSERT_FALSE(judged.ok());
  EXPECT_NE(judged.error().message.find("unknown checker 'linearisability'"), std::string::npos)
      << judged.error().message;
}

TEST(JudgeTest, ChecksComeBackByNameAndDecideTheOutcome) {
  JudgeSpec spec;
  spec.required_checkers = {"linearizability", "liveness", "durability"};
  auto judged = judge(non_linearizable_register(), spec, checkers::CheckContext{});
  ASSERT_TRUE(judged.ok()) << judged.error().message;
  ASSERT_EQ(judged->checks.size(), 3u);
  EXPECT_EQ(judged->checks[0].checker, "durability");
  EXPECT_EQ(judged->checks[1].checker, "linearizability");
  EXPECT_EQ(judged->checks[2].checker, "liveness");
  EXPECT_EQ(judged->checks[1].verdict, checkers::Verdict::kViolation);
  EXPECT_EQ(judged->outcome, Outcome::kSafetyViolation);
}

TEST(JudgeTest, AFailedLivenessCheckIsALivenessViolation) {
  History h;
  const history::Sym p = h.intern("n0.b1.c0"), r = h.intern("counter/c0");
  h.append(1'000, 0, history::LivenessWindowStart{500, 1ms});
  h.append(2'000, 0, history::OpInvoke{p, 1, r, history::OpFunction::kAdd, 1, {}});  // never completes
  h.append(10'000'000, 0, history::Heal{});
  JudgeSpec spec;
  spec.required_checkers = {"liveness"};
  auto judged = judge(h, spec, context_from_history(h));
  ASSERT_TRUE(judged.ok());
  EXPECT_EQ(judged->outcome, Outcome::kLivenessViolation);
}

TEST(JudgeTest, TheHistoryNamesItsLivenessWindow) {
  History h;
  EXPECT_EQ(context_from_history(h).liveness_start_ns, checkers::CheckContext{}.liveness_start_ns);
  h.append(7, history::kWorldNode, history::LivenessWindowStart{38'000'000'000, 8s});
  const checkers::CheckContext context = context_from_history(h);
  EXPECT_EQ(context.liveness_start_ns, 38'000'000'000);
  EXPECT_EQ(context.liveness_bound_ns, 8'000'000'000);
}

TEST(JudgeTest, SummaryCountsOpsAndOnlyInjectedFaults) {
  History h = non_linearizable_register();
  h.append(5'000, 1, history::Crash{});
  h.append(6'000, 1, history::Restart{});
  h.append(6'000, 1, history::Boot{2});  // a boot is not a fault: the restart is
  h.append(7'000, history::kWorldNode, history::Heal{});
  const HistorySummary s = summarize(h);
  EXPECT_EQ(s.ops_invoked, 2u);
  EXPECT_EQ(s.ops_ok, 2u);
  EXPECT_EQ(s.ops_failed + s.ops_indeterminate, 0u);
  EXPECT_EQ(s.faults_injected, (std::map<std::string, uint64_t>{{"crash", 1}, {"heal", 1}, {"restart", 1}}));
}

}  // namespace
}  // namespace orbit::scenarios
