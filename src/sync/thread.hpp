// How the runtime starts and joins its own threads (workers, the timer thread),
// through one header so that the simulation build (TACT_SIM, src/sim/) can register
// each thread with its scheduler. Without TACT_SIM: std::thread and join().
#pragma once

#include <chrono>
#include <thread>
#include <utility>

#include "tact/detail/clock.hpp"

#if defined(TACT_SIM)
#include "sim/sim.hpp"
#endif

namespace tact::detail {

template <class F>
std::thread start_thread(F&& fn) {
#if defined(TACT_SIM)
  return sim::spawn(std::forward<F>(fn));
#else
  return std::thread(std::forward<F>(fn));
#endif
}

inline void join_thread(std::thread& thread) {
#if defined(TACT_SIM)
  sim::join(thread);
#else
  thread.join();
#endif
}

// std::this_thread::sleep_for; a virtual-time sleep in the simulation.
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d) {
#if defined(TACT_SIM)
  sim::sleep_until(::tact::detail::steady_now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
#else
  std::this_thread::sleep_for(d);
#endif
}

// std::this_thread::yield; a spin point in the simulation.
inline void yield_thread() noexcept {
#if defined(TACT_SIM)
  sim::spin_point();
#else
  std::this_thread::yield();
#endif
}

}  // namespace tact::detail
