// Test-only: switches on the planted bug PlantedBug::kValidityFromReceipt (runtime/env/planted_bugs.h).
#include "runtime/env/planted_bugs.h"

namespace orbit::env {

bool planted_bug(PlantedBug bug) { return bug == PlantedBug::kValidityFromReceipt; }

}  // namespace orbit::env
