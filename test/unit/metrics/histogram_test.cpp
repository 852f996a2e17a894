// The log-linear histogram: bucket bounds, and quantiles read from a snapshot
// within the stated error (1/32 of the value) of the exact quantiles of the
// recorded values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "metrics/histogram.hpp"
#include "metrics/metrics_hub.hpp"
#include "metrics/thread_metrics.hpp"

namespace {

using tact::detail::histogram_bucket;
using tact::detail::histogram_bucket_low;
using tact::detail::kHistogramBuckets;

TEST(Histogram, BucketsAreContiguousAndNarrow) {
  for (std::size_t i = 0; i + 1 < kHistogramBuckets; ++i) {
    const std::uint64_t low = histogram_bucket_low(i);
    const std::uint64_t next = histogram_bucket_low(i + 1);
    ASSERT_LT(low, next) << i;
    ASSERT_EQ(histogram_bucket(low), i);
    ASSERT_EQ(histogram_bucket(next - 1), i);
    // Width at most 1/16 of the lower bound (above the exact small values).
    if (low >= 16) {
      ASSERT_LE((next - low) * 16, low) << i;
    }
  }
  EXPECT_EQ(histogram_bucket(0), 0u);
  EXPECT_EQ(histogram_bucket(~std::uint64_t{0}), kHistogramBuckets - 1);
}

TEST(Histogram, QuantilesWithinTheBucketErrorOfTheRecordedValues) {
  static constexpr tact::detail::ActorVTable kVTable{nullptr, nullptr, nullptr, 8, 8, 0, "test.class"};
  tact::detail::MetricsHub hub(true);
  tact::detail::ThreadMetrics thread;
  hub.add_thread(&thread, 0, false);
  tact::detail::ClassMetrics* slot = thread.class_slot(&kVTable);

  std::mt19937_64 random(42);
  std::lognormal_distribution<double> durations(std::log(20'000.0), 1.5);  // ~20 us, long tail
  std::vector<std::uint64_t> recorded;
  for (int i = 0; i < 100'000; ++i) {
    const auto value = static_cast<std::uint64_t>(durations(random)) + 1;
    recorded.push_back(value);
    slot->handler_time.record(value);
  }
  std::sort(recorded.begin(), recorded.end());

  const double ticks_per_ns = 2.5;  // as a 2.5 GHz TSC: the snapshot divides
  const auto snapshot = hub.snapshot(ticks_per_ns);
  ASSERT_EQ(snapshot.classes.size(), 1u);
  const auto& histogram = snapshot.classes[0].handler_ns;
  EXPECT_EQ(histogram.count, recorded.size());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(recorded.size())));
    const double exact_ns = static_cast<double>(recorded[rank - 1]) / ticks_per_ns;
    const double read_ns = histogram.quantile(q);
    EXPECT_NEAR(read_ns, exact_ns, exact_ns / 32) << "q=" << q;
  }
  double sum = 0;
  for (auto v : recorded) sum += static_cast<double>(v);
  EXPECT_NEAR(histogram.sum_ns, sum / ticks_per_ns, 1.0);
  hub.remove_thread(&thread);
  // What a thread counted stays after it is gone.
  EXPECT_EQ(hub.snapshot(ticks_per_ns).classes[0].handler_ns.count, recorded.size());
}

}  // namespace
