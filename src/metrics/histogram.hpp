// LogLinearHistogram: durations (in ticks) in log-linear buckets, as
// HdrHistogram: values below 16 have a bucket each; above, every power of two
// is split into 16 equal buckets. So a bucket's width is at most 1/16 of its
// lower bound: a quantile read as its bucket's midpoint is within 1/32 (3.1%)
// of a recorded value, and within 6.25% counting the tick-rate conversion and
// rounding (docs/metrics.md). 528 buckets reach 2^36 ticks (~20 s at 3 GHz);
// longer values land in the last one.
//
// Written by one thread (its owner), read by snapshots on any thread: each
// bucket is an atomic the owner bumps with a relaxed load and store (no RMW,
// since nobody else writes it); a reader sees some recent value of each.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace tact::detail {

// Statistics only: they never decide what the runtime does, so they are plain
// std::atomic, not detail::Atomic: in the simulation build they are not
// scheduling points, and a seed explores the same interleavings with metrics
// on or off.
using StatCounter = std::atomic<std::uint64_t>;

inline void stat_add(StatCounter& counter, std::uint64_t n) noexcept {
  // relaxed load and store: the owner is the only writer (no RMW needed);
  // readers want a recent value, nothing ordered by it.
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline std::uint64_t stat_read(const StatCounter& counter) noexcept {
  return counter.load(std::memory_order_relaxed);  // relaxed: as stat_add
}
inline void stat_set(StatCounter& counter, std::uint64_t value) noexcept {
  counter.store(value, std::memory_order_relaxed);  // relaxed: as stat_add
}

inline constexpr unsigned kHistogramSubBits = 4;  // 16 buckets per power of two
inline constexpr std::size_t kHistogramBuckets = 528;

constexpr std::size_t histogram_bucket(std::uint64_t value) noexcept {
  constexpr std::uint64_t kSub = 1u << kHistogramSubBits;
  if (value < kSub) return static_cast<std::size_t>(value);
  const unsigned exponent = 63u - static_cast<unsigned>(std::countl_zero(value));  // >= 4
  const std::uint64_t mantissa = (value >> (exponent - kHistogramSubBits)) & (kSub - 1);
  const std::size_t index = (exponent - kHistogramSubBits + 1) * kSub + mantissa;
  return index < kHistogramBuckets ? index : kHistogramBuckets - 1;
}

// The smallest value of bucket `index`; its values end before the next's.
constexpr std::uint64_t histogram_bucket_low(std::size_t index) noexcept {
  constexpr std::size_t kSub = std::size_t{1} << kHistogramSubBits;
  if (index < kSub) return index;
  const std::size_t exponent = index / kSub - 1 + kHistogramSubBits;
  const std::uint64_t mantissa = index % kSub;
  return (std::uint64_t{1} << exponent) | (mantissa << (exponent - kHistogramSubBits));
}

struct LogLinearHistogram {
  std::array<StatCounter, kHistogramBuckets> buckets{};
  StatCounter sum{0};

  void record(std::uint64_t ticks) noexcept {
    stat_add(buckets[histogram_bucket(ticks)], 1);
    stat_add(sum, ticks);
  }
};

}  // namespace tact::detail
