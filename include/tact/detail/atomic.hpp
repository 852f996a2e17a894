// The one door through which tact's lock-free code reaches atomics, fences and
// yield points (STYLE.md practice 5). Every lock-free part (deque, MPSC queue,
// reply slot, parker, scheduler) names these, never <atomic> directly, so a
// model-checked or schedule-fuzzing build can swap them in one place.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tact::detail {

template <class T>
using Atomic = std::atomic<T>;

inline constexpr auto relaxed = std::memory_order_relaxed;
inline constexpr auto acquire = std::memory_order_acquire;
inline constexpr auto release = std::memory_order_release;
inline constexpr auto acq_rel = std::memory_order_acq_rel;
inline constexpr auto seq_cst = std::memory_order_seq_cst;

// A full fence. Used only where a store must be ordered before a later load of a
// different location (store-load), which acquire/release cannot express: the
// Chase–Lev take/steal handshake. ThreadSanitizer does not model fences; the code
// that relies on one also has a release/acquire pair TSan can see (see the deque).
inline void fence_seq_cst() noexcept { std::atomic_thread_fence(seq_cst); }

// One iteration of a spin-wait: tells the core we are spinning (frees the
// sibling hyper-thread, avoids the memory-order mis-speculation exit penalty).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Destructive-interference size. std::hardware_destructive_interference_size is
// not stable across GCC versions (it warns when used in headers), so tact fixes
// it: 64 bytes on every target it supports. Adjacent-line prefetch on x86 makes
// 128 worth it for the hottest producer/consumer splits, which say so themselves.
inline constexpr std::size_t kCacheLine = 64;

}  // namespace tact::detail

// A point where a schedule-fuzzing build may yield or spin to widen race windows.
// Compiles to nothing in every normal build.
#if defined(TACT_SCHED_FUZZ)
namespace tact::detail {
void sched_fuzz_point() noexcept;
}
#define TACT_YIELD_POINT() ::tact::detail::sched_fuzz_point()
#else
#define TACT_YIELD_POINT() ((void)0)
#endif
