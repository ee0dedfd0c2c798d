#include "sim/network.h"

#include <cmath>
#include <string>

namespace orbit::sim {
namespace {

Result<void> check_probability(std::string_view prefix, const char* field, double p) {
  if (!(p >= 0.0 && p <= 1.0)) {  // also rejects NaN
    return Error{ErrorCode::kInvalidArgument, std::string(prefix) + "." + field +
                                                  " must be in [0, 1], got " + std::to_string(p)};
  }
  return {};
}

Result<void> check_duration(std::string_view prefix, const char* field, Duration d) {
  if (d < Duration::zero()) {
    return Error{ErrorCode::kInvalidArgument, std::string(prefix) + "." + field +
                                                  " must not be negative, got " +
                                                  std::to_string(d.count()) + " ns"};
  }
  return {};
}

}  // namespace

Result<void> LinkConfig::validate(std::string_view prefix) const {
  if (auto r = check_duration(prefix, "latency_min", latency_min); !r) return r;
  if (auto r = check_duration(prefix, "latency_max", latency_max); !r) return r;
  if (latency_max < latency_min) {
    return Error{ErrorCode::kInvalidArgument,
                 std::string(prefix) + ".latency_max must be >= latency_min"};
  }
  if (auto r = check_probability(prefix, "loss_probability", loss_probability); !r) return r;
  if (auto r = check_probability(prefix, "duplicate_probability", duplicate_probability); !r) {
    return r;
  }
  if (auto r = check_probability(prefix, "reorder_probability", reorder_probability); !r) return r;
  if (auto r = check_duration(prefix, "reorder_window", reorder_window); !r) return r;
  return {};
}

}  // namespace orbit::sim
