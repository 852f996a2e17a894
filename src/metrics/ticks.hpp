// Ticks: the cheap timestamp of the metrics' sampled timings. On x86-64 the
// TSC (rdtsc: ~20 cycles, no syscall, constant-rate on every CPU of the last
// decade), on AArch64 the virtual counter; elsewhere, and in the simulation
// build (whose time is virtual), detail::steady_now() in nanoseconds.
// Histograms keep ticks; a snapshot converts them to nanoseconds with the rate
// measured between the process's start and the snapshot (tick_rate()), so
// nothing is calibrated up front.
#pragma once

#include <cstdint>

#include "tact/detail/clock.hpp"

namespace tact::detail {

inline std::uint64_t read_ticks() noexcept {
#if defined(TACT_SIM)
  return static_cast<std::uint64_t>(steady_now().time_since_epoch().count());
#elif defined(__x86_64__)
  return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
  std::uint64_t value;
  asm volatile("mrs %0, cntvct_el0" : "=r"(value));
  return value;
#else
  return static_cast<std::uint64_t>(steady_now().time_since_epoch().count());
#endif
}

// Ticks per nanosecond, measured from the process's start to now; exact (1.0)
// where ticks are nanoseconds. Its error is the clocks' read jitter (~100 ns)
// over the process's age: 0.01% once the process is a millisecond old.
double tick_rate() noexcept;

}  // namespace tact::detail
