// The clock tact reads: steady_clock, through one function so that the simulation
// build (TACT_SIM, src/sim/) can make time virtual. Without TACT_SIM it is exactly
// std::chrono::steady_clock::now().
#pragma once

#include <chrono>

namespace tact::detail {

#if defined(TACT_SIM)
// Virtual time while a simulation runs, the real clock otherwise (src/sim/sim.cpp).
std::chrono::steady_clock::time_point sim_now() noexcept;
inline std::chrono::steady_clock::time_point steady_now() noexcept { return sim_now(); }
#else
inline std::chrono::steady_clock::time_point steady_now() noexcept {
  return std::chrono::steady_clock::now();
}
#endif

}  // namespace tact::detail
