// Min and max over a benchmark's repetitions, beside Google Benchmark's mean,
// median and stddev: docs/performance.md reports min/median/max on a noisy machine.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

namespace tact::bench {

inline double min_of(const std::vector<double>& values) {
  return values.empty() ? 0.0 : *std::min_element(values.begin(), values.end());
}
inline double max_of(const std::vector<double>& values) {
  return values.empty() ? 0.0 : *std::max_element(values.begin(), values.end());
}

// For Benchmark::Apply. No Repetitions() here: a fixed count would override
// --benchmark_repetitions (scripts/bench.sh passes its own).
inline void with_min_max(benchmark::internal::Benchmark* bench) {
  bench->ComputeStatistics("min", min_of)->ComputeStatistics("max", max_of);
}

}  // namespace tact::bench
