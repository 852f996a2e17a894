// The names tact's lock-free code uses for atomics and fences. Every lock-free
// part (deque, MPSC queue, reply slot, parker, scheduler) names these, never
// <atomic> directly, so every atomic operation is found through one header and
// can be changed in one place.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#if defined(TACT_SIM)
#include <array>
#include <bit>
#include <cstring>
#endif

namespace tact::detail {

#if !defined(TACT_SIM)

template <class T>
using Atomic = std::atomic<T>;

#else  // TACT_SIM: the simulation build (preset `sim`, src/sim/)

// Every atomic operation is a scheduling point of the deterministic scheduler
// (src/sim/sim.cpp): the calling thread may be switched out before it acts. The
// operation itself is std::atomic's, and only one thread runs at a time, so a sim
// run explores interleavings under sequential consistency. In the weak-memory mode
// (sim::Options::weak_memory, src/sim/weak_memory.hpp) a load may also return an
// older value, as far as the memory orders allow: that finds a missing release or
// acquire. A thread the scheduler does not know (or no run at all) acts at once.
// Defined in src/sim/sim.cpp.
void sim_point(const void* where, unsigned kind) noexcept;
enum SimPointKind : unsigned {
  kSimLoad = 1, kSimStore, kSimRmw, kSimFence, kSimSpin, kSimYield, kSimLock, kSimWake, kSimOther
};
// The weak-memory mode's hooks; values travel as their bits (up to 8 bytes).
bool sim_weak_memory() noexcept;  // this thread runs in a weak-memory simulation
std::uint64_t sim_weak_load(const void* where, std::uint64_t newest, std::memory_order o,
                            bool must_read_newest) noexcept;
void sim_weak_store(const void* where, std::uint64_t previous, std::uint64_t value,
                    std::memory_order o) noexcept;
void sim_weak_rmw(const void* where, std::uint64_t previous, std::uint64_t value,
                  std::memory_order o) noexcept;
void sim_weak_fence(std::memory_order o) noexcept;
void sim_weak_forget(const void* where) noexcept;

template <class T>
class Atomic {
 public:
  using value_type = T;
  using difference_type = std::conditional_t<std::is_pointer_v<T>, std::ptrdiff_t, T>;
  constexpr Atomic() noexcept : v_() { constructed(); }
  constexpr Atomic(T desired) noexcept : v_(desired) { constructed(); }  // NOLINT: as std::atomic
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(std::memory_order o = std::memory_order_seq_cst) const noexcept {
    sim_point(this, kSimLoad);
    const T newest = v_.load(o);
    if constexpr (kModelled) {
      if (sim_weak_memory()) return from_bits(sim_weak_load(this, bits(newest), o, false));
    }
    return newest;
  }
  void store(T desired, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimStore);
    if constexpr (kModelled) {
      if (sim_weak_memory()) {
        sim_weak_store(this, bits(v_.exchange(desired, o)), bits(desired), o);
        return;
      }
    }
    v_.store(desired, o);
  }
  T exchange(T desired, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return modelled_rmw(v_.exchange(desired, o), o);
  }
  // A weak CAS never fails spuriously here (a failure path is still reached through
  // a real race); strong and weak behave alike. A failed one reads the newest value.
  bool compare_exchange_strong(T& expected, T desired, std::memory_order s,
                               std::memory_order f) noexcept {
    sim_point(this, kSimRmw);
    const T wanted = expected;
    const bool ok = v_.compare_exchange_strong(expected, desired, s, f);
    if constexpr (kModelled) {
      if (sim_weak_memory()) {
        if (ok) {
          sim_weak_rmw(this, bits(wanted), bits(desired), s);
        } else {
          (void)sim_weak_load(this, bits(expected), f, true);
        }
      }
    }
    return ok;
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order o = std::memory_order_seq_cst) noexcept {
    return compare_exchange_strong(expected, desired, o, failure_order(o));
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order s,
                             std::memory_order f) noexcept {
    return compare_exchange_strong(expected, desired, s, f);
  }
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order o = std::memory_order_seq_cst) noexcept {
    return compare_exchange_strong(expected, desired, o, failure_order(o));
  }
  T fetch_add(difference_type arg, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return modelled_rmw(v_.fetch_add(arg, o), o);
  }
  T fetch_sub(difference_type arg, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return modelled_rmw(v_.fetch_sub(arg, o), o);
  }
  T fetch_or(difference_type arg, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return modelled_rmw(v_.fetch_or(arg, o), o);
  }
  T fetch_and(difference_type arg, std::memory_order o = std::memory_order_seq_cst) noexcept {
    sim_point(this, kSimRmw);
    return modelled_rmw(v_.fetch_and(arg, o), o);
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
  // What the weak-memory mode models: values of up to 8 bytes (all of tact's).
  static constexpr bool kModelled = sizeof(T) <= 8 && std::is_trivially_copyable_v<T>;

  static std::uint64_t bits(T value) noexcept {
    std::uint64_t b = 0;
    std::memcpy(&b, &value, sizeof(T));
    return b;
  }
  static T from_bits(std::uint64_t b) noexcept {
    std::array<unsigned char, sizeof(T)> raw{};
    std::memcpy(raw.data(), &b, sizeof(T));
    return std::bit_cast<T>(raw);
  }
  static constexpr std::memory_order failure_order(std::memory_order o) noexcept {
    return o == std::memory_order_acq_rel   ? std::memory_order_acquire
           : o == std::memory_order_release ? std::memory_order_relaxed
                                            : o;
  }
  constexpr void constructed() noexcept {
    if (!std::is_constant_evaluated()) sim_weak_forget(this);  // the address's new life
  }
  T modelled_rmw(T previous, std::memory_order o) noexcept {
    if constexpr (kModelled) {
      if (sim_weak_memory()) sim_weak_rmw(this, bits(previous), bits(v_.load(relaxed_)), o);
    }
    return previous;
  }
  static constexpr std::memory_order relaxed_ = std::memory_order_relaxed;

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
  if (sim_weak_memory()) sim_weak_fence(seq_cst);
#endif
  std::atomic_thread_fence(seq_cst);
}

// Destructive-interference size. std::hardware_destructive_interference_size is
// not stable across GCC versions (it warns when used in headers), so tact fixes
// it: 64 bytes on every target it supports. Adjacent-line prefetch on x86 makes
// 128 worth it for the hottest producer/consumer splits, which say so themselves.
inline constexpr std::size_t kCacheLine = 64;

}  // namespace tact::detail
