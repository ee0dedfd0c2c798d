#include "tools/real/real_fault_points.h"

namespace orbit::tools {

// Weak: production binaries keep this; the test-only :armed_fault_points replaces it.
__attribute__((weak)) Result<std::unique_ptr<env::FaultPoints>> make_real_fault_points(
    const std::vector<std::string>& specs) {
  if (!specs.empty()) {
    return Error{ErrorCode::kInvalidArgument,
                 "--fault-point " + specs.front() +
                     ": fault points exist only in the test-only orbit_node_fault_points binary"};
  }
  return std::unique_ptr<env::FaultPoints>(std::make_unique<env::NoFaultPoints>());
}

}  // namespace orbit::tools
