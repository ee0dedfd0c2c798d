#include "scenarios/checkers/directory_handoff.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

using testing::ms;
using testing::sec;
using testing::TestHistory;

const nlohmann::json kFive = {"n0:1", "n1:1", "n2:1", "n3:1", "n4:1"};
const nlohmann::json kFour = {"n0:1", "n1:1", "n2:1", "n3:1"};

CheckResult check(const TestHistory& h) {
  CheckContext context;
  return DirectoryHandoffChecker().check(h.history, context);
}

// Node 2 holds r0; every member moves to the view without node 4 at 5s; node 1 (the new
// owner of r0) places r0 at `place_at`.
struct HandOff {
  TestHistory h;
  size_t activation = 0;
  size_t place = 0;

  explicit HandOff(int64_t place_at, bool owner = true) {
    for (int64_t n = 0; n < 5; ++n) h.event(0, n, "membership_view", {{"version", 1}, {"members", kFive}});
    activation = h.activation(sec(1), 2, "register/r0", "n2.b1.a1", 1, 0);
    h.event(sec(4), 4, "crash", nlohmann::json::object());
    for (int64_t n = 0; n < 4; ++n) h.event(sec(5) + ms(n), n, "membership_view", {{"version", 2}, {"members", kFour}});
    place = h.event(place_at, 1, "directory_place", {{"actor", "register/r0"}, {"target", 1}, {"owner", owner}});
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
    if (e.kind == "directory_place") h.event(ms(5500), -1, "partition", {{"a", {1}}, {"b", {2}}, {"one_way", false}});
    h.event(e.time_ns, e.node, e.kind, e.data);
  }
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(DirectoryHandoffTest, ALossyNetworkExcusesThePlacement) {
  TestHistory h;
  h.event(0, -1, "network_config", {{"loss", 0.1}, {"duplicate", 0.0}});
  HandOff f(sec(6));
  for (const auto& e : f.h.history.events()) h.event(e.time_ns, e.node, e.kind, e.data);
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
  // A later clean network_config is itself noise: judged again only after a new registration.
}

TEST(DirectoryHandoffTest, ANameTheOwnerForgotMayBePlacedAgain) {
  TestHistory h;
  HandOff f(sec(6));
  for (const auto& e : f.h.history.events()) {
    if (e.kind == "directory_place") h.event(ms(5800), 1, "directory_forget", {{"actor", "register/r0"}, {"node", 2}, {"reason", "no_answer"}});
    h.event(e.time_ns, e.node, e.kind, e.data);
  }
  EXPECT_EQ(check(h).verdict, Verdict::kPass);
}

TEST(DirectoryHandoffTest, DifferentViewsOrAnEndedClaimPass) {
  {
    HandOff f(sec(6));
    f.h.event(sec(7), 1, "membership_view", {{"version", 3}, {"members", kFive}});
    f.h.event(sec(8), 1, "directory_place", {{"actor", "register/r0"}, {"target", 1}, {"owner", true}});
    // Only the first placement (same views) is a violation; the second is under another view.
    EXPECT_EQ(check(f.h).violations.size(), 1u);
  }
  {
    TestHistory h;
    HandOff f(sec(6));
    for (const auto& e : f.h.history.events()) {
      if (e.kind == "directory_place") h.deactivation(ms(5900), 2, "register/r0", "n2.b1.a1", 1);
      h.event(e.time_ns, e.node, e.kind, e.data);
    }
    EXPECT_EQ(check(h).verdict, Verdict::kPass);
  }
}

TEST(DirectoryHandoffTest, MalformedPlacementIsUnknown) {
  TestHistory h;
  h.event(0, 1, "directory_place", {{"actor", "register/r0"}, {"target", 1}});
  EXPECT_EQ(check(h).verdict, Verdict::kUnknown);
}

}  // namespace
}  // namespace orbit::checkers
