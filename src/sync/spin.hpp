// Spin-then-block helpers and the spin budgets they use.
#pragma once

#include <chrono>
#include <thread>

#include "tact/detail/atomic.hpp"

namespace tact::detail {

// How long a blocked get() waits actively before parking its thread. A reply from
// an actor on the other core lands within a few microseconds; parking costs a
// futex sleep plus a wake syscall on the writer (~5-50 us on a VM), so waiting a
// little longer than a typical round trip pays. Measured with
// bench/micro/reply_slot_bench.cpp and tact-workloads ask_ext.
inline constexpr std::chrono::microseconds kReplySpin{50};

// The first part of any active wait that is pure spinning. Past it, the waiter
// yields its core between checks: when more threads are runnable than there are
// cores, the thread we wait for may need exactly this core, and a pure spin would
// hold it for the whole budget (measured: ask_ext p50 went from ~1 us to ~110 us
// on a loaded 2-core machine with a 50 us pure spin).
inline constexpr std::chrono::microseconds kPureSpin{4};

// Waits actively until `done()` is true, `budget` has passed, or `deadline` is
// reached; returns done()'s last value. Spins with cpu_relax for kPureSpin, then
// yields the core between checks. Reads the clock only every kChecksEvery
// iterations: steady_clock::now() costs ~20 ns.
template <class Done>
bool spin_for(std::chrono::nanoseconds budget, std::chrono::steady_clock::time_point deadline,
              Done&& done) noexcept {
  constexpr int kChecksEvery = 64;
  if (done()) return true;
  const auto start = std::chrono::steady_clock::now();
  const auto stop = (deadline - start > budget) ? start + budget : deadline;
  const auto stop_pure = (stop - start > kPureSpin) ? start + kPureSpin : stop;
  for (;;) {
    for (int i = 0; i < kChecksEvery; ++i) {
      cpu_relax();
      if (done()) return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= stop) return done();
    if (now >= stop_pure) std::this_thread::yield();
  }
}

}  // namespace tact::detail
