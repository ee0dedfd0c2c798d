// Fault points for real-mode test runs. Production orbit-node has none: env::FaultPoints is
// NoFaultPoints there and --fault-point is refused. Only the test-only binary
// //tools/real:orbit_node_fault_points links :armed_fault_points, whose strong definition of
// make_real_fault_points() replaces the weak default (the planted-bug pattern, bugs/).
//
// Why real mode needs them at all: a stale writer exists only when a node stalls between its
// lease check and the write leaving (a GC pause at the worst instant). A SIGSTOP lands in
// that microsecond window by luck only; arming actor.stall_before_snapshot_write on a node
// makes each write wait there, so a SIGSTOP of that node reliably catches one in the window
// and the write leaves, with its old fencing token, when the node resumes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/env/fault_points.h"
#include "runtime/env/result.h"

namespace orbit::tools {

// `specs` are "SITE=PROBABILITY" (a site of runtime/env/fault_sites.h, a probability in
// [0, 1]). An empty list gives NoFaultPoints. Errors (kInvalidArgument) name the spec.
[[nodiscard]] Result<std::unique_ptr<env::FaultPoints>> make_real_fault_points(const std::vector<std::string>& specs);

}  // namespace orbit::tools
