// metrics::Histogram's reading side (tact/metrics.hpp).
#include <cmath>

#include "tact/metrics.hpp"

namespace tact::metrics {

double Histogram::quantile(double q) const noexcept {
  if (count == 0) return 0;
  q = q < 0 ? 0 : (q > 1 ? 1 : q);
  // The rank of the sample wanted (1-based), as Prometheus' histogram_quantile
  // and HdrHistogram read it: the smallest value with at least q of the samples.
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count)));
  std::uint64_t seen = 0;
  for (const Bucket& bucket : buckets) {
    seen += bucket.count;
    // The bucket's midpoint: within half its width (1/32 of its lower bound) of any value in it.
    if (seen >= rank) return (bucket.lower_ns + bucket.upper_ns) / 2;
  }
  return buckets.empty() ? 0 : buckets.back().upper_ns;
}

}  // namespace tact::metrics
