// Test-only: switches on the planted bug PlantedBug::kCasIgnoresVersion (runtime/env/planted_bugs.h):
// MemoryProvider accepts a snapshot write whatever version the writer expected. Caught by the
// provider state-machine test (//runtime/persistence:provider_model_test_cas_ignores_version).
#include "runtime/env/planted_bugs.h"

namespace orbit::env {

bool planted_bug(PlantedBug bug) { return bug == PlantedBug::kCasIgnoresVersion; }

}  // namespace orbit::env
