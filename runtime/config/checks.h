// Small validation helpers shared by the configuration's validators (actor_management.cc,
// orbit_config.cc): one wording for every "must be positive" message, naming the key.
#pragma once

#include <optional>
#include <string>

#include "runtime/env/time.h"

namespace orbit::config {

// A problem with a setting, as the message to show; nullopt when there is none.
using Problem = std::optional<std::string>;

// The shortest form that reads back exactly ("0.001", "1.5", "nan").
std::string format_double(double v);
// A duration as configuration files spell it, in quotes ("\"250ms\"").
std::string quoted_duration(Duration d);

Problem check_positive(const std::string& path, Duration d);
Problem check_not_negative(const std::string& path, Duration d);

}  // namespace orbit::config
