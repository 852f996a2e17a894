// Spin-then-block helpers and the spin budgets they use.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#include "tact/detail/atomic.hpp"
#include "tact/detail/clock.hpp"
#if defined(TACT_SIM)
#include "sim/sim.hpp"
#endif

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tact::detail {

// One iteration of a spin-wait: tells the core we are spinning (frees the
// sibling hyper-thread, avoids the memory-order mis-speculation exit penalty).
inline void cpu_relax() noexcept {
#if defined(TACT_SIM)
  sim::spin_point();  // a scheduling point that lets the awaited thread run
#elif defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// How long a blocked get() waits actively before parking its thread. A reply from
// an actor on the other core lands within a few microseconds; parking costs a
// futex sleep plus a wake syscall on the writer (~5-50 us on a VM), so waiting a
// little longer than a typical round trip pays. Measured with
// bench/micro/reply_slot_bench.cpp and tact-workloads ask_ext.
inline constexpr std::chrono::microseconds kReplySpin{50};

// The first part of any active wait that is pure spinning. Past it, the waiter
// yields its core between checks. Why: the thread we wait for may be queued on
// this very core (a futex wake puts the wakee on the waker's CPU, and on a busy
// machine the other core is taken), and a pure spin would hold the core for the
// whole budget. Measured on the 2-vCPU VM: a blocking ask from a plain thread,
// pure 50 us spin: p50 110 us; threads pinned to different cores: p50 1.4 us (so
// 2 us of pure spin covers the cross-core case); 4 us pure spin then yields,
// co-located: p50 ~13 us (a sched_yield costs ~1.9 us here).
inline constexpr std::chrono::microseconds kPureSpin{2};

// How long a thread that is not a worker, having queued a task while every
// worker was busy or asleep, waits for a busy one to take it before it wakes a
// sleeper (Scheduler::notify_from_outside). Shorter than the wake's own
// syscall on this VM (several us), longer than a turn's end (~0.1-0.3 us).
inline constexpr std::chrono::nanoseconds kWakeGrace{1000};

// How many looks spin_for makes between two clock reads.
#if defined(TACT_SIM)
inline constexpr int kSpinChecksEvery = 1;  // every virtual clock read moves time on a tick
#else
inline constexpr int kSpinChecksEvery = 64;
#endif

// What a spin_for took, told from the clock reads it makes anyway, for a
// caller that accounts for its time (a worker's metrics) without reading the
// clock again on the way out of the spin (where it would delay the task found).
struct SpinTiming {
  std::chrono::nanoseconds measured{0};     // from its first clock read to its last
  std::chrono::nanoseconds first_batch{0};  // its first kSpinChecksEvery looks, if it got that far
  std::uint32_t looks_after = 0;            // the looks after its last clock read
};

// Waits actively until `done()` is true, `budget` has passed, or `deadline` is
// reached; returns done()'s last value. Spins with cpu_relax for kPureSpin, then
// yields the core between checks. Reads the clock only every kSpinChecksEvery
// iterations: steady_clock::now() costs ~20 ns. With `timing`, says what the
// spin took (a done() true at once: nothing, no clock read).
template <class Done>
bool spin_for(std::chrono::nanoseconds budget, std::chrono::steady_clock::time_point deadline,
              Done&& done, SpinTiming* timing = nullptr) noexcept {
  if (done()) return true;
  const auto start = ::tact::detail::steady_now();
  const auto stop = (deadline - start > budget) ? start + budget : deadline;
  const auto stop_pure = (stop - start > kPureSpin) ? start + kPureSpin : stop;
  auto last = start;
  auto report = [&](std::uint32_t looks_after) {
    if (timing == nullptr) return;
    timing->measured = last - start;
    timing->looks_after = looks_after;
  };
  for (;;) {
    for (int i = 0; i < kSpinChecksEvery; ++i) {
      cpu_relax();
      if (done()) {
        report(static_cast<std::uint32_t>(i + 1));
        return true;
      }
    }
    const auto now = ::tact::detail::steady_now();
    if (last == start && timing != nullptr) timing->first_batch = now - start;
    last = now;
    if (now >= stop) {
      report(0);
      return done();
    }
#if defined(TACT_SIM)
    if (now >= stop_pure) sim::spin_point();
#else
    if (now >= stop_pure) std::this_thread::yield();
#endif
  }
}

}  // namespace tact::detail
