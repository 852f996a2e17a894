// Spin-then-block helpers and the spin budgets they use.
#pragma once

#include <chrono>

#include "tact/detail/atomic.hpp"

namespace tact::detail {

// How long a blocked get() spins before parking its thread. A reply from an
// actor on the other core typically lands within a few microseconds; parking
// costs a futex sleep plus a wake syscall on the writer (~5-50 us here), so
// spinning a little longer than a typical round trip pays. Measured with
// bench/micro/reply_slot_bench.cpp.
inline constexpr std::chrono::microseconds kReplySpin{50};

// Spins (with cpu_relax) until `done()` is true, `budget` has passed, or
// `deadline` is reached. Returns done()'s last value. Reads the clock only every
// kChecksEvery iterations: steady_clock::now() costs ~20 ns.
template <class Done>
bool spin_for(std::chrono::nanoseconds budget, std::chrono::steady_clock::time_point deadline,
              Done&& done) noexcept {
  constexpr int kChecksEvery = 64;
  if (done()) return true;
  const auto start = std::chrono::steady_clock::now();
  const auto stop = (deadline - start > budget) ? start + budget : deadline;
  for (;;) {
    for (int i = 0; i < kChecksEvery; ++i) {
      cpu_relax();
      if (done()) return true;
    }
    if (std::chrono::steady_clock::now() >= stop) return done();
  }
}

}  // namespace tact::detail
