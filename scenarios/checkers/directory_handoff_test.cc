#include "scenarios/checkers/directory_handoff.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

using testing::ms;
using testing::sec;
using testing::TestHistory;

const std::vector<std::string> kFive = {"n0:1", "n1:1", "n2:1", "n3:1", "n4:1"};
const std::vector<std::string> kFour = {"n0:1", "n1:1", "n2:1", "n3:1"};

CheckResult check(const TestHistory& h) { return testing::run(DirectoryHandoffChecker{}, h); }

size_t view(TestHistory& h, int64_t t, int64_t node, uint64_t version, const std::vector<std::string>& members) {
  history::SymList syms;
  for (const std::string& m : members) syms.push_back(h.sym(m));
  return h.event(t, node, history::MembershipView{version, std::move(syms), {}});
}

size_t place(TestHistory& h, int64_t t, int64_t node, bool owner) {
  return h.event(t, node, history::DirectoryPlace{h.sym("register/r0"), 1, owner});
}

// Node 2 holds r0; every member moves to the view without node 4 at 5s; node 1 (the new
// owner of r0) places r0 at `place_at`.
struct HandOff {
  TestHistory h;
  size_t activation = 0;
  size_t place = 0;

  explicit HandOff(int64_t place_at, bool owner = true) {
    for (int64_t n = 0; n < 5; ++n) view(h, 0, n, 1, kFive);
    activation = h.activation(sec(1), 2, "register/r0", "n2.b1.a1", 1, 0);
    h.crash(sec(4), 4);
    for (int64_t n = 0; n < 4; ++n) view(h, sec(5) + ms(n), n, 2, kFour);
    place = checkers::place(h, place_at, 1, owner);
  }
};

TEST(DirectoryHandoffTest, OwnerPlacingANameActiveElsewhereAfterAQuietHandOffFails) {
  HandOff f(sec(6));
  CheckResult r = check(f.h);
  ASSERT_EQ(r.verdict, Verdict::kViolation) << r.note;
  ASSERT_EQ(r.violations.size(), 1u);
  const Violation& v = r.violations[0];
  EXPECT_EQ(v.actor, "register/r0");
  ASSERT_EQ(v.holders.size(), 1u);
  EXPECT_EQ(v.holders[0].holder, "n2.b1.a1");
  EXPECT_EQ(v.holders[0].node, 2);
  EXPECT_EQ(v.events.front(), f.activation);
  EXPECT_EQ(v.events.back(), f.place);
  EXPECT_NE(v.explanation.find("hand-off"), std::string::npos) << v.explanation;
}

TEST(DirectoryHandoffTest, PlacingBeforeTheRegistrationCouldArrivePasses) {
  HandOff f(sec(5) + ms(100));  // the holder changed views at 5.002s: 98ms is within the bound
  EXPECT_EQ(check(f.h).verdict, Verdict::kPass);
}

TEST(DirectoryHandoffTest, PlacementByANonOwnerPasses) {
  HandOff f(sec(6), /*owner=*/false);
  EXPECT_EQ(check(f.h).verdict, Verdict::kPass);
}

TEST(DirectoryHandoffTest, AFaultAfterTheRegistrationExcusesThePlacement) {
  HandOff f(sec(6));
  // The same history with a partition between the view change and the placement.
  TestHistory h;
  for (const auto& e : f.h.history.events()) {
    if (e.is<history::DirectoryPlace>()) h.event(ms(5500), -1, history::Partition{{1}, {2}, false});
    h.copy(f.h, e);
  }
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(DirectoryHandoffTest, ALossyNetworkExcusesThePlacement) {
  TestHistory h;
  h.event(0, -1, history::NetworkConfig{.loss = 0.1, .duplicate = 0.0});
  HandOff f(sec(6));
  for (const auto& e : f.h.history.events()) h.copy(f.h, e);
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
  // A later clean network_config is itself noise: judged again only after a new registration.
}

TEST(DirectoryHandoffTest, ANameTheOwnerForgotMayBePlacedAgain) {
  TestHistory h;
  HandOff f(sec(6));
  for (const auto& e : f.h.history.events()) {
    if (e.is<history::DirectoryPlace>()) {
      h.event(ms(5800), 1, history::DirectoryForget{h.sym("register/r0"), 2, h.sym("no_answer")});
    }
    h.copy(f.h, e);
  }
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(DirectoryHandoffTest, DifferentViewsOrAnEndedClaimPass) {
  {
    HandOff f(sec(6));
    view(f.h, sec(7), 1, 3, kFive);
    place(f.h, sec(8), 1, true);
    // Only the first placement (same views) is a violation; the second is under another view.
    EXPECT_EQ(check(f.h).violations.size(), 1u);
  }
  {
    TestHistory h;
    HandOff f(sec(6));
    for (const auto& e : f.h.history.events()) {
      if (e.is<history::DirectoryPlace>()) h.deactivation(ms(5900), 2, "register/r0", "n2.b1.a1", 1);
      h.copy(f.h, e);
    }
    EXPECT_EQ(check(h).verdict, Verdict::kPass);
  }
}

TEST(DirectoryHandoffTest, ALossyLinkExcusesThePlacement) {
  TestHistory h;
  h.event(0, -1, history::LinkConfig{.from = 1, .to = 2, .loss = 0.0, .duplicate = 0.5});
  HandOff f(sec(6));
  for (const auto& e : f.h.history.events()) h.copy(f.h, e);
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

}  // namespace
}  // namespace orbit::checkers
