#include "scenarios/checkers/client_ops.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

TEST(ClientOpsTest, PairsInvokesWithCompletions) {
  testing::TestHistory h;
  h.invoke(0, 7, "c1", "register/r", "write", 3);
  h.invoke(1, 8, "c2", "register/r", "read");
  h.complete(2, 8, "ok", 3);
  h.complete(3, 7, "info");
  h.invoke(4, 9, "c1", "register/r", "cas", {3, 4});
  const ClientOps ops = read_client_ops(h.history);
  EXPECT_TRUE(ops.malformed.empty()) << ops.malformed.summary();
  ASSERT_EQ(ops.ops.size(), 3u);
  EXPECT_EQ(ops.ops[0].id, 7);
  EXPECT_EQ(ops.ops[0].outcome, OpOutcome::kInfo);
  EXPECT_TRUE(ops.ops[0].indeterminate());
  EXPECT_EQ(ops.ops[0].complete_index, 3u);
  EXPECT_EQ(ops.ops[1].outcome, OpOutcome::kOk);
  EXPECT_EQ(ops.ops[1].result, 3);
  EXPECT_EQ(ops.ops[2].outcome, OpOutcome::kMissing);
  EXPECT_TRUE(ops.ops[2].indeterminate());
  EXPECT_EQ(ops.ops[2].event_indices(), (std::vector<size_t>{4}));
  EXPECT_EQ(ops.ops[2].argument, nlohmann::json({3, 4}));
}

TEST(ClientOpsTest, MalformedEventsAreCountedAndIgnored) {
  testing::TestHistory h;
  h.invoke(0, 1, "c1", "register/r", "write", 3);
  h.invoke(1, 1, "c1", "register/r", "write", 4);                                 // op id reused
  h.event(2, 100, "op_complete", {{"op", 2}, {"type", "ok"}});                     // never invoked
  h.complete(3, 1, "ok");
  h.complete(4, 1, "ok");                                                          // completed twice
  h.event(5, 100, "op_invoke", {{"op", "x"}, {"process", "c"}, {"actor", "a"}, {"f", "read"}});  // op not an int
  h.invoke(6, 3, "c1", "register/r", "read");
  h.event(7, 100, "op_complete", {{"op", 3}, {"type", "maybe"}});                  // bad type
  h.event(8, 100, "op_complete", {{"op", 3}, {"type", "ok"}, {"actor", "register/other"}});  // other actor
  const ClientOps ops = read_client_ops(h.history);
  EXPECT_EQ(ops.malformed.count(), 6u) << ops.malformed.summary();
  ASSERT_EQ(ops.ops.size(), 2u);
  EXPECT_EQ(ops.ops[0].argument, 3);
  EXPECT_EQ(ops.ops[0].complete_index, 3u);
  EXPECT_EQ(ops.ops[1].outcome, OpOutcome::kMissing);
}

}  // namespace
}  // namespace orbit::checkers
