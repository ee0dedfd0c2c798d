// Test helper: a node process whose behaviour the test supplies as a script.
#pragma once

#include <functional>
#include <memory>

#include "runtime/env/task_scope.h"
#include "sim/world.h"

namespace orbit::sim::testing {

class ScriptedNode final : public NodeProcess {
 public:
  TaskScope scope;
};

using Script = std::function<void(NodeContext&, TaskScope&)>;

inline BootFn scripted(Script script) {
  return [script](NodeContext& ctx) -> std::unique_ptr<NodeProcess> {
    auto node = std::make_unique<ScriptedNode>();
    script(ctx, node->scope);
    return node;
  };
}

inline std::unique_ptr<World> make_world(uint32_t nodes, uint64_t seed = 1) {
  WorldConfig config;
  config.nodes = nodes;
  config.disk.tear_last_write_on_crash = false;
  auto world = World::create(seed, config);
  if (!world) std::abort();
  return std::move(*world);
}

}  // namespace orbit::sim::testing
