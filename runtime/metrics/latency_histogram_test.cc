#include "runtime/metrics/latency_histogram.h"

#include <gtest/gtest.h>

namespace orbit::metrics {
namespace {

TEST(LatencyHistogramTest, EmptyHistogramReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum_ns(), 0u);
  EXPECT_EQ(h.min(), 0ns);
  EXPECT_EQ(h.max(), 0ns);
  EXPECT_EQ(h.quantile(0.5), 0ns);
}

TEST(LatencyHistogramTest, BoundsAreInclusiveAndLogSpaced) {
  const auto& b = LatencyHistogram::kUpperBoundsNs;
  EXPECT_EQ(b.front(), 1'000);
  EXPECT_EQ(b.back(), 100'000'000'000);
  for (size_t i = 1; i < b.size(); ++i) {
    EXPECT_LT(b[i - 1], b[i]);
    EXPECT_LE(b[i], b[i - 1] * 5 / 2);  // at most a factor of 2.5 between neighbours
  }

  LatencyHistogram h;
  h.record(0ns);        // bucket 0
  h.record(1us);        // bucket 0: bounds are inclusive
  h.record(1001ns);     // bucket 1
  h.record(100s);       // last finite bucket
  h.record(100s + 1ns); // overflow
  h.record(-5ms);       // counts as zero
  const auto& counts = h.bucket_counts();
  EXPECT_EQ(counts[0], 3u);
  EXPECT_EQ(counts[1], 1u);
  EXPECT_EQ(counts[LatencyHistogram::kFiniteBuckets - 1], 1u);
  EXPECT_EQ(counts[LatencyHistogram::kFiniteBuckets], 1u);
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(h.sum_ns(), 1'000u + 1'001u + 200'000'000'001u);
  EXPECT_EQ(h.min(), 0ns);
  EXPECT_EQ(h.max(), 100s + 1ns);
}

TEST(LatencyHistogramTest, IdenticalSamplesGiveExactQuantiles) {
  LatencyHistogram h;
  for (int i = 0; i < 10; ++i) h.record(3ms);
  EXPECT_EQ(h.quantile(0.0), 3ms);
  EXPECT_EQ(h.quantile(0.5), 3ms);
  EXPECT_EQ(h.quantile(0.99), 3ms);
  EXPECT_EQ(h.quantile(1.0), 3ms);
}

TEST(LatencyHistogramTest, QuantilesInterpolateWithinTheBucket) {
  LatencyHistogram h;
  for (int ms = 11; ms <= 20; ++ms) h.record(std::chrono::milliseconds(ms));  // all in (10ms, 20ms]
  // Rank 5 of 10 in a bucket narrowed to [11ms, 20ms]: halfway.
  EXPECT_EQ(h.quantile(0.5), 15500us);
  EXPECT_EQ(h.quantile(0.0), 11ms);
  EXPECT_EQ(h.quantile(1.0), 20ms);
  EXPECT_EQ(h.quantile(-1.0), 11ms);  // clamped
  EXPECT_EQ(h.quantile(2.0), 20ms);
}

TEST(LatencyHistogramTest, ATailSampleDoesNotMoveLowerQuantiles) {
  LatencyHistogram h;
  for (int i = 0; i < 99; ++i) h.record(1ms);
  h.record(1s);
  EXPECT_EQ(h.quantile(0.5), 1ms);
  EXPECT_EQ(h.quantile(0.99), 1ms);
  EXPECT_EQ(h.quantile(0.995), 1s);
  EXPECT_EQ(h.quantile(1.0), 1s);
}

TEST(LatencyHistogramTest, QuantilesAreMonotoneAndWithinABucketOfTheTruth) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.record(std::chrono::microseconds(i * 37));  // 37us .. 37ms
  Duration previous = 0ns;
  for (int p = 0; p <= 100; ++p) {
    const Duration q = h.quantile(p / 100.0);
    EXPECT_GE(q, previous) << p;
    previous = q;
    const int rank = p == 0 ? 1 : (p * 1000 + 99) / 100;
    const Duration truth = std::chrono::microseconds(rank * 37);
    EXPECT_LE(q.count(), truth.count() * 5 / 2) << p;
    EXPECT_GE(q.count() * 5 / 2, truth.count()) << p;
  }
}

}  // namespace
}  // namespace orbit::metrics
