// Client drivers: they call actors from every member and record each operation as a
// Jepsen-style pair in the history, on the client's node:
//   history::OpInvoke   {process, op, actor, f, value, expected}
//   history::OpComplete {process, op, actor, type: ok|fail|info, value, error, precondition_failed}
// "fail" only when the runtime said the call was definitely not applied (kUnavailable,
// kRejected, a CAS that did not match); "info" when the outcome is unknown (kTimeout and
// everything else). A client that dies with its node leaves its last invoke open, which
// checkers also treat as indeterminate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/env/task.h"
#include "runtime/node/orbit_node.h"

namespace orbit::scenarios {

struct ClientOptions {
  std::vector<std::string> ids;   // actor ids the client picks from
  Duration op_timeout = 8s;
  Duration think_min = 5ms;
  Duration think_max = 50ms;
  double read_share = 0.5;        // register: reads; the rest split between writes and CAS
  double cas_share = 0.2;
};

// Run-wide state shared by every client (kept outside the nodes, so it survives crashes):
// the op id sequence and the stop flag.
struct ClientShared {
  uint64_t next_op = 1;
  uint64_t next_value = 1;  // written values are unique, which makes histories checkable
  bool stopped = false;
};

// Loops until shared.stopped: register reads, writes and CAS against options.ids.
Task<void> register_client(node::OrbitNode& node, std::string process, ClientOptions options,
                           std::shared_ptr<ClientShared> shared);

// Loops until shared.stopped: counter adds of 1 and reads (read_share).
Task<void> counter_client(node::OrbitNode& node, std::string process, ClientOptions options,
                          std::shared_ptr<ClientShared> shared);

}  // namespace orbit::scenarios
