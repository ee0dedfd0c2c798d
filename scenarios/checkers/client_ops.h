// Client operations as recorded by the scenario client drivers (Jepsen-style): an
// "op_invoke" event and, unless the client died first, one "op_complete" event per op.
//   op_invoke   {"process", "op": <int unique per history>, "actor": "kind/id",
//                "f": "read"|"write"|"cas"|"add", "value": <write value | [expected, new] | amount | null>}
//   op_complete {"process", "op", "actor", "type": "ok"|"fail"|"info", "value": <read result | null>}
// "fail" means definitely not applied. "info" (a timeout) and a missing completion mean the
// outcome is unknown: possibly applied at any time after the invoke, possibly never.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenarios/checkers/event_fields.h"
#include "sim/history.h"

namespace orbit::checkers {

enum class OpOutcome { kOk, kFail, kInfo, kMissing };

std::string_view to_string(OpOutcome outcome);

struct ClientOp {
  int64_t id = 0;
  std::string process;
  std::string actor;
  std::string f;
  nlohmann::json argument;  // the invoke's "value"

  size_t invoke_index = 0;
  int64_t invoke_ns = 0;

  OpOutcome outcome = OpOutcome::kMissing;
  size_t complete_index = 0;  // meaningful unless outcome == kMissing
  int64_t complete_ns = 0;    // meaningful unless outcome == kMissing
  nlohmann::json result;      // the completion's "value"
  // A "fail" the system answered on purpose (a CAS whose expected value did not match):
  // the op did not apply, but the system was live. op_complete's "precondition_failed".
  bool precondition_failed = false;

  bool completed() const { return outcome != OpOutcome::kMissing; }
  // "info" or never completed: possibly applied, possibly not.
  bool indeterminate() const { return outcome == OpOutcome::kInfo || outcome == OpOutcome::kMissing; }
  // "op 17 (read by c2 on counter/c1, ok)".
  std::string describe() const;
  // The op's events in the history: the invoke, and the completion if there is one.
  std::vector<size_t> event_indices() const;
};

struct ClientOps {
  std::vector<ClientOp> ops;  // in invoke order
  MalformedEvents malformed;  // unreadable, duplicate or orphan op events (ignored)
};

// Pairs every op_invoke with its op_complete. An invoke reusing an op id, a completion
// without an earlier invoke, a second completion, or one naming another actor is malformed
// and ignored. `f` is not validated here: each checker picks the functions it models.
ClientOps read_client_ops(const sim::History& history);

}  // namespace orbit::checkers
