// The names tact's lock-free code uses for atomics and fences. Every lock-free
// part (deque, MPSC queue, reply slot, parker, scheduler) names these, never
// <atomic> directly, so every atomic operation is found through one header and
// can be changed in one place.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

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

// Destructive-interference size. std::hardware_destructive_interference_size is
// not stable across GCC versions (it warns when used in headers), so tact fixes
// it: 64 bytes on every target it supports. Adjacent-line prefetch on x86 makes
// 128 worth it for the hottest producer/consumer splits, which say so themselves.
inline constexpr std::size_t kCacheLine = 64;

}  // namespace tact::detail
