// env::Env: the whole seam for one node, as the runtime receives it. Non-owning: the
// simulator's World (or real mode's node process) owns the pieces and outlives the runtime.
#pragma once

#include "runtime/env/clock.h"
#include "runtime/env/disk.h"
#include "runtime/env/executor.h"
#include "runtime/env/fault_points.h"
#include "runtime/env/random.h"
#include "runtime/env/recorder.h"
#include "runtime/env/transport.h"

namespace orbit::env {

struct Env {
  NodeId node;
  Executor& executor;
  const Clock& clock;
  Transport& transport;
  Disk& disk;
  Random& random;
  Recorder& recorder;
  FaultPoints& faults;
};

}  // namespace orbit::env
