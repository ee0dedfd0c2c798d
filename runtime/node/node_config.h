// From orbit.toml (config::OrbitConfig, already validated by parse_config) to the settings
// the node's parts take. One mapping, used by the simulator's scenarios and by orbit-node.
#pragma once

#include "runtime/config/orbit_config.h"
#include "runtime/env/result.h"
#include "runtime/node/orbit_node.h"

namespace orbit::node {

// Errors name the key when the file is valid TOML but cannot run here (a member needs
// persistence.provider = "remote" with persistence.remote.store_node set).
Result<NodeConfig> to_node_config(const config::OrbitConfig& config);

}  // namespace orbit::node
