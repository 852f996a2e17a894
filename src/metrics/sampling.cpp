#include "metrics/sampling.hpp"

#include <chrono>

namespace tact::detail {

__thread std::uint32_t t_sends_to_sample = kSamplePeriod;

double tick_rate() noexcept {
#if defined(TACT_SIM) || !(defined(__x86_64__) || defined(__aarch64__))
  return 1.0;  // ticks are steady_clock nanoseconds (ticks.hpp)
#else
  // The first call (a runtime's construction) fixes the origin.
  static const std::uint64_t origin_ticks = read_ticks();
  static const auto origin_time = std::chrono::steady_clock::now();
  const std::uint64_t ticks = read_ticks();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - origin_time)
                         .count();
  if (nanos <= 0 || ticks <= origin_ticks) return 1.0;
  return static_cast<double>(ticks - origin_ticks) / static_cast<double>(nanos);
#endif
}

}  // namespace tact::detail
