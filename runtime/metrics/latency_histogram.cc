#include "runtime/metrics/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace orbit::metrics {

void LatencyHistogram::record(Duration latency) {
  const int64_t ns = std::max<int64_t>(latency.count(), 0);
  // The first bound >= ns: bounds are inclusive, like Prometheus' `le`.
  const auto it = std::lower_bound(kUpperBoundsNs.begin(), kUpperBoundsNs.end(), ns);
  ++buckets_[static_cast<size_t>(it - kUpperBoundsNs.begin())];
  if (count_ == 0) {
    min_ns_ = ns;
    max_ns_ = ns;
  } else {
    min_ns_ = std::min(min_ns_, ns);
    max_ns_ = std::max(max_ns_, ns);
  }
  ++count_;
  sum_ns_ += static_cast<uint64_t>(ns);
}

Duration LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return Duration(0);
  if (!(q > 0.0)) return min();  // also NaN
  if (q >= 1.0) return max();
  // Nearest rank, 1-based: the sample with `rank` samples at or below it.
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t below = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    const uint64_t in_bucket = buckets_[i];
    if (below + in_bucket < rank) {
      below += in_bucket;
      continue;
    }
    // The bucket (lower, upper], narrowed to what was observed.
    const int64_t lower = std::max(i == 0 ? int64_t{0} : kUpperBoundsNs[i - 1], min_ns_);
    const int64_t upper = std::min(i < kFiniteBuckets ? kUpperBoundsNs[i] : max_ns_, max_ns_);
    const double position = static_cast<double>(rank - below) / static_cast<double>(in_bucket);
    const double value = static_cast<double>(lower) + static_cast<double>(upper - lower) * position;
    return Duration(std::clamp(static_cast<int64_t>(std::llround(value)), min_ns_, max_ns_));
  }
  return max();  // unreachable: the buckets hold count_ samples
}

}  // namespace orbit::metrics
