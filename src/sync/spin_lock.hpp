// SpinLock: a lock for critical sections of a few instructions that another
// thread rarely wants at the same moment (the live-actor registry's shards).
//
// Why not std::mutex there: glibc's mutex costs two locked instructions a
// lock/unlock pair (the unlock's exchange checks for sleepers) plus two calls
// into libc. This lock takes one exchange and releases with a plain store:
// skynet spawns and stops 1.1 M actors, each registered and unregistered.
// Waiters spin briefly, then yield the core between looks, so a holder that
// was preempted gets it back (the runtime runs more threads than the 2 vCPUs).
// It never sleeps in the kernel: do not hold it across anything that can wait.
#pragma once

#include <thread>

#include "sync/spin.hpp"
#include "tact/detail/atomic.hpp"

namespace tact::detail {

class SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void lock() noexcept {
    // acquire: pairs with the release store in unlock(), so the last holder's
    // writes are seen here.
    while (held_.exchange(true, acquire)) wait_until_free();
  }
  bool try_lock() noexcept {
    // relaxed look first: a held lock is not taken by a failing exchange.
    // acquire: as lock().
    return !held_.load(relaxed) && !held_.exchange(true, acquire);
  }
  // release: pairs with the acquire exchange in lock() / try_lock().
  void unlock() noexcept { held_.store(false, release); }

 private:
  void wait_until_free() noexcept {
    // Looks only (relaxed: lock()'s exchange is what acquires): a waiter that
    // keeps exchanging would pull the line from the holder on every try.
    for (int spins = 0; held_.load(relaxed);) {
      if (spins < kPureSpins) {
        ++spins;  // counts up to the bound only: a long wait does not overflow it
        cpu_relax();
      } else {
#if defined(TACT_SIM)
        sim::spin_point();
#else
        std::this_thread::yield();  // the holder may be waiting for this core
#endif
      }
    }
  }
  // ~2 us of pause instructions (as kPureSpin): longer than any section held
  // under this lock, shorter than a time slice.
  static constexpr int kPureSpins = 128;

  Atomic<bool> held_{false};
};

}  // namespace tact::detail
