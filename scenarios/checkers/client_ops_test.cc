#include "scenarios/checkers/client_ops.h"

#include <gtest/gtest.h>

#include "scenarios/checkers/test_history.h"

namespace orbit::checkers {
namespace {

using history::OpFunction;

TEST(ClientOpsTest, PairsInvokesWithCompletions) {
  testing::TestHistory h;
  h.invoke(0, 7, "c1", "register/r", "write", 3);
  h.invoke(1, 8, "c2", "register/r", "read");
  h.complete(2, 8, "ok", 3);
  h.complete(3, 7, "info");
  h.invoke_cas(4, 9, "c1", "register/r", 3, 4);
  const ClientOps ops = read_client_ops(h.history);
  EXPECT_TRUE(ops.malformed.empty()) << ops.malformed.summary();
  ASSERT_EQ(ops.ops.size(), 3u);
  EXPECT_EQ(ops.ops[0].id, 7);
  EXPECT_EQ(ops.ops[0].f, OpFunction::kWrite);
  EXPECT_EQ(ops.ops[0].value, 3);
  EXPECT_EQ(ops.ops[0].outcome, OpOutcome::kInfo);
  EXPECT_TRUE(ops.ops[0].indeterminate());
  EXPECT_EQ(ops.ops[0].complete_index, 3u);
  EXPECT_EQ(ops.ops[1].outcome, OpOutcome::kOk);
  EXPECT_EQ(ops.ops[1].result, 3);
  EXPECT_EQ(ops.ops[1].describe(h.history), "op 8 (read by c2 on register/r, ok)");
  EXPECT_EQ(ops.ops[2].outcome, OpOutcome::kMissing);
  EXPECT_TRUE(ops.ops[2].indeterminate());
  EXPECT_EQ(ops.ops[2].event_indices(), (std::vector<size_t>{4}));
  EXPECT_EQ(ops.ops[2].f, OpFunction::kCas);
  EXPECT_EQ(ops.ops[2].expected, 3);
  EXPECT_EQ(ops.ops[2].value, 4);
}

TEST(ClientOpsTest, MalformedEventsAreCountedAndIgnored) {
  testing::TestHistory h;
  h.invoke(0, 1, "c1", "register/r", "write", 3);
  h.invoke(1, 1, "c1", "register/r", "write", 4);  // op id reused
  h.event(2, 100, history::OpComplete{h.sym("c1"), 2, h.sym("register/r"), history::OpType::kOk, {}, {}, false});  // never invoked
  h.complete(3, 1, "ok");
  h.complete(4, 1, "ok");  // completed twice
  h.invoke(6, 3, "c1", "register/r", "read");
  h.event(8, 100, history::OpComplete{h.sym("c1"), 3, h.sym("register/other"), history::OpType::kOk, {}, {}, false});  // other actor
  const ClientOps ops = read_client_ops(h.history);
  EXPECT_EQ(ops.malformed.count(), 4u) << ops.malformed.summary();
  EXPECT_EQ(ops.malformed.summary(),
            "4 malformed events ignored; first: event 1 (op_invoke, t=0.000000001s, node 100): op id 1 invoked twice; "
            "event 2 (op_complete, t=0.000000002s, node 100): completes op 2, which was never invoked before; "
            "event 4 (op_complete, t=0.000000004s, node 100): op 1 completed twice");
  ASSERT_EQ(ops.ops.size(), 2u);
  EXPECT_EQ(ops.ops[0].value, 3);
  EXPECT_EQ(ops.ops[0].complete_index, 3u);
  EXPECT_EQ(ops.ops[1].outcome, OpOutcome::kMissing);
}

}  // namespace
}  // namespace orbit::checkers
