// The names tact's lock-free code uses for atomics and fences. Every lock-free
// part (deque, MPSC queue, reply slot, parker, scheduler) names these, never
// <atomic> directly, so every atomic operation is found through one header and
// can be changed in one place.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tact::detail {

#if !defined(TACT_SIM)

template <class T>
using Atomic = std::atomic<T>;

#else  // TACT_SIM: the simulation build (preset `sim`, src/sim/)

// Every atomic operation is a scheduling point of the deterministic scheduler
// (src/sim/sim.cpp): the calling thread may be switched out before it acts. The
// operation itself is std::atomic's, and only one thread runs at a time, so a sim
// run explores interleavings under sequential consistency: it finds interleaving
// bugs, not weak-memory reordering bugs (those stay with TSan and the arguments in
// the comments). A thread the scheduler does not know (or no run at all) acts at
// once. Defined in src/sim/sim.cpp.
void sim_point(const void* where, unsigned kind) noexcept;
enum SimPointKind : unsigned {
  kSimLoad = 1, kSimStore, kSimRmw, kSimFence, kSimSpin, kSimYield, kSimLock, kSimWake, kSimOther
};

template <class T>
class Atomic {
 public:
  using value_type = T;
  using difference_type = std::conditional_t<std::is_pointer_v<T>, std::ptrdiff_t, T>;
  constexpr Atomic() noexcept : v_() {}
  constexpr Atomic(T desired) noexcept : v_(desired) {}  // NOLINT: as std::atomic
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(std::memory_order o = std::memory_order_seq_cst) const noexcept {
    sim_point(this, kSimLoad);
    return v_.load(o);
  }
  void store(T desired, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimStore);
    v_.store(desired, o);
  }
  T exchange(T desired, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return v_.exchange(desired, o);
  }
  // A weak CAS never fails spuriously here (a failure path is still reached through
  // a real race); strong and weak behave alike.
  bool compare_exchange_strong(T& expected, T desired, std::memory_order s,
                               std::memory_order f) noexcept {
    sim_point(this, kSimRmw);
    return v_.compare_exchange_strong(expected, desired, s, f);
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return v_.compare_exchange_strong(expected, desired, o);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order s,
                             std::memory_order f) noexcept {
    sim_point(this, kSimRmw);
    return v_.compare_exchange_strong(expected, desired, s, f);
  }
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return v_.compare_exchange_strong(expected, desired, o);
  }
  T fetch_add(difference_type arg, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return v_.fetch_add(arg, o);
  }
  T fetch_sub(difference_type arg, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return v_.fetch_sub(arg, o);
  }
  T fetch_or(difference_type arg, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return v_.fetch_or(arg, o);
  }
  T fetch_and(difference_type arg, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return v_.fetch_and(arg, o);
  }
  operator T() const noexcept { return load(); }  // NOLINT: as std::atomic
  T operator=(T desired) noexcept {
    store(desired);
    return desired;
  }
  T operator++() noexcept { return fetch_add(1) + 1; }
  T operator--() noexcept { return fetch_sub(1) - 1; }
  T operator++(int) noexcept { return fetch_add(1); }
  T operator--(int) noexcept { return fetch_sub(1); }
  bool is_lock_free() const noexcept { return v_.is_lock_free(); }

  // For the simulator's own blocking primitives (a futex compares the word without
  // being a scheduling point itself: it is one already).
  T load_unscheduled() const noexcept { return v_.load(std::memory_order_seq_cst); }

 private:
  std::atomic<T> v_;
};

#endif  // TACT_SIM

inline constexpr auto relaxed = std::memory_order_relaxed;
inline constexpr auto acquire = std::memory_order_acquire;
inline constexpr auto release = std::memory_order_release;
inline constexpr auto acq_rel = std::memory_order_acq_rel;
inline constexpr auto seq_cst = std::memory_order_seq_cst;

// A full fence. Used only where a store must be ordered before a later load of a
// different location (store-load), which acquire/release cannot express: the
// Chase–Lev take/steal handshake. ThreadSanitizer does not model fences; the code
// that relies on one also has a release/acquire pair TSan can see (see the deque).
inline void fence_seq_cst() noexcept {
#if defined(TACT_SIM)
  sim_point(nullptr, kSimFence);
#endif
  std::atomic_thread_fence(seq_cst);
}

// Destructive-interference size. std::hardware_destructive_interference_size is
// not stable across GCC versions (it warns when used in headers), so tact fixes
// it: 64 bytes on every target it supports. Adjacent-line prefetch on x86 makes
// 128 worth it for the hottest producer/consumer splits, which say so themselves.
inline constexpr std::size_t kCacheLine = 64;

}  // namespace tact::detail
