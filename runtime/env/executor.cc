#include "runtime/env/executor.h"

namespace orbit::env {
namespace {
// Thread-local, not global: real mode may run several executors on separate threads in
// one process (tests); the simulator runs all nodes on one thread and switches it per event.
thread_local Executor* g_current = nullptr;
}  // namespace

Executor* current_executor() { return g_current; }

CurrentExecutorGuard::CurrentExecutorGuard(Executor* executor) : previous_(g_current) {
  g_current = executor;
}

CurrentExecutorGuard::~CurrentExecutorGuard() { g_current = previous_; }

}  // namespace orbit::env
