#include "metrics/sampling.hpp"

#include <chrono>

namespace tact::detail {

#if !(defined(TACT_SIM) || !(defined(__x86_64__) || defined(__aarch64__)))
namespace {
// Both clocks read once at the process's start (static initialisation of
// libtact.a, which this file is part of whenever tact is linked): tick_rate()
// measures over the whole life of the process, so a snapshot taken right after
// a runtime starts still divides by a long interval.
struct Origin {
  std::uint64_t ticks = read_ticks();
  std::chrono::steady_clock::time_point time = std::chrono::steady_clock::now();
};
const Origin origin;
}  // namespace
#endif

double tick_rate() noexcept {
#if defined(TACT_SIM) || !(defined(__x86_64__) || defined(__aarch64__))
  return 1.0;  // ticks are steady_clock nanoseconds (ticks.hpp)
#else
  const std::uint64_t ticks = read_ticks();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - origin.time)
                         .count();
  if (nanos <= 0 || ticks <= origin.ticks) return 1.0;
  return static_cast<double>(ticks - origin.ticks) / static_cast<double>(nanos);
#endif
}

}  // namespace tact::detail
