// Client operations as recorded by the scenario client drivers (Jepsen-style): an op_invoke
// event and, unless the client died first, one op_complete event per op.
//   op_invoke   {process, op (unique per history), actor, f (read|write|cas|add),
//                value (write value | CAS new value | add amount), expected (CAS expected value)}
//   op_complete {process, op, actor, type (ok|fail|info), value (a read's result), error,
//                precondition_failed}
// An empty value or expected is the register's "null" (unset). "fail" means definitely not
// applied. "info" (a timeout) and a missing completion mean the outcome is unknown:
// possibly applied at any time after the invoke, possibly never.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "history/history.h"
#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

enum class OpOutcome { kOk, kFail, kInfo, kMissing };

std::string_view to_string(OpOutcome outcome);

struct ClientOp {
  int64_t id = 0;
  history::Sym process;
  history::Sym actor;
  history::OpFunction f = history::OpFunction::kRead;
  history::OptInt value;     // the invoke's value: write value, CAS new value, add amount
  history::OptInt expected;  // the invoke's expected value (CAS)

  size_t invoke_index = 0;
  int64_t invoke_ns = 0;

  OpOutcome outcome = OpOutcome::kMissing;
  size_t complete_index = 0;  // meaningful unless outcome == kMissing
  int64_t complete_ns = 0;    // meaningful unless outcome == kMissing
  history::OptInt result;     // the completion's value (a read's result)
  // A "fail" the system answered on purpose (a CAS whose expected value did not match):
  // the op did not apply, but the system was live. op_complete's precondition_failed.
  bool precondition_failed = false;

  bool completed() const { return outcome != OpOutcome::kMissing; }
  // "info" or never completed: possibly applied, possibly not.
  bool indeterminate() const { return outcome == OpOutcome::kInfo || outcome == OpOutcome::kMissing; }
  // "op 17 (read by c2 on counter/c1, ok)" (names from `history`, the op's own).
  std::string describe(const history::History& history) const;
  // The op's events in the history: the invoke, and the completion if there is one.
  std::vector<size_t> event_indices() const;
};

struct ClientOps {
  std::vector<ClientOp> ops;  // in invoke order
  MalformedEvents malformed;  // duplicate or orphan op events (ignored)
};

// Pairs every op_invoke with its op_complete. An invoke reusing an op id, a completion
// without an earlier invoke, a second completion, or one naming another actor is malformed
// and ignored. `f` is not judged here: each checker picks the functions it models.
ClientOps read_client_ops(const history::History& history);

}  // namespace orbit::checkers
