// Test-only: switches on the planted bug PlantedBug::kDirectoryNotRebuilt (runtime/env/planted_bugs.h).
#include "runtime/env/planted_bugs.h"

namespace orbit::env {

bool planted_bug(PlantedBug bug) { return bug == PlantedBug::kDirectoryNotRebuilt; }

}  // namespace orbit::env
