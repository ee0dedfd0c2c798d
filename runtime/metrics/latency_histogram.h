// LatencyHistogram: a distribution of latencies in fixed, log-spaced buckets.
//
// Buckets are the same for every histogram (so histograms from different nodes and runs can
// be compared and summed): upper bounds 1us, 2us, 5us, 10us, ... 50s, 100s (a 1-2-5 series,
// three per decade, bound inclusive like Prometheus' `le`), plus an overflow bucket above
// 100s. Exact count, sum, min and max are kept beside the buckets.
//
// quantile(q) is approximate: it finds the bucket that holds the q-th sample and
// interpolates linearly inside it, after narrowing the bucket to the observed [min, max]
// (so a histogram of identical samples reports them exactly). The error is at most the
// width of one bucket, i.e. within a factor of 2.5.
#pragma once

#include <array>
#include <cstdint>

#include "runtime/env/time.h"

namespace orbit::metrics {

class LatencyHistogram {
 public:
  static constexpr size_t kFiniteBuckets = 25;
  // Inclusive upper bounds of the finite buckets, in nanoseconds, ascending.
  static constexpr std::array<int64_t, kFiniteBuckets> kUpperBoundsNs = {
      1'000,          2'000,          5'000,                                    // 1us .. 5us
      10'000,         20'000,         50'000,                                   // 10us ..
      100'000,        200'000,        500'000,                                  // 100us ..
      1'000'000,      2'000'000,      5'000'000,                                // 1ms ..
      10'000'000,     20'000'000,     50'000'000,                               // 10ms ..
      100'000'000,    200'000'000,    500'000'000,                              // 100ms ..
      1'000'000'000,  2'000'000'000,  5'000'000'000,                            // 1s ..
      10'000'000'000, 20'000'000'000, 50'000'000'000, 100'000'000'000,          // 10s .. 100s
  };

  // Negative latencies (which a monotonic clock should never produce) count as zero.
  void record(Duration latency);

  uint64_t count() const { return count_; }
  // Total of all samples in nanoseconds; unsigned so it holds ~584 years of latency.
  uint64_t sum_ns() const { return sum_ns_; }
  // Smallest and largest sample; zero when empty.
  Duration min() const { return Duration(count_ == 0 ? 0 : min_ns_); }
  Duration max() const { return Duration(count_ == 0 ? 0 : max_ns_); }

  // Approximate q-quantile (see the top of this file); q is clamped to [0, 1]. Zero when
  // empty. quantile(0) is min(), quantile(1) is max().
  Duration quantile(double q) const;

  // Samples per bucket (not cumulative): kFiniteBuckets entries for the bounds above, then
  // the overflow bucket.
  const std::array<uint64_t, kFiniteBuckets + 1>& bucket_counts() const { return buckets_; }

  friend bool operator==(const LatencyHistogram&, const LatencyHistogram&) = default;

 private:
  std::array<uint64_t, kFiniteBuckets + 1> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  int64_t min_ns_ = 0;
  int64_t max_ns_ = 0;
};

}  // namespace orbit::metrics
