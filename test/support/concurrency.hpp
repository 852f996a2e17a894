// The threads, atomics, locks, clock and sleeps of a stress test's own code, through
// one header, so that the same test source runs on real threads (every normal
// preset) and under the deterministic simulation (preset sim: test/sim/CMakeLists.txt
// builds each test/stress/*.cpp again, run once per seed by stress_under_sim_main.cpp).
// Without TACT_SIM each name is exactly the std type or call it stands for; with it,
// each is the runtime's own seam (src/sync/, include/tact/detail/), so a test thread
// is a registered sim thread, each of its atomic operations, locks and spins is a
// scheduling point, and its clock and sleeps are virtual.
#pragma once

#include <barrier>
#include <chrono>
#include <cstddef>
#include <semaphore>
#include <thread>
#include <utility>

#include "sync/mutex.hpp"
#include "sync/thread.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/detail/clock.hpp"

namespace tact::test {

// This build runs the stress tests under the simulation (one seed of many, one
// thread at a time: smaller rounds than scaled() alone gives, where a test needs).
#if defined(TACT_SIM)
inline constexpr bool kSimulated = true;
#else
inline constexpr bool kSimulated = false;
#endif

template <class T>
using Atomic = detail::Atomic<T>;  // std::atomic<T>
using Mutex = detail::Mutex;       // std::mutex

// std::chrono::steady_clock, for deadlines and elapsed times.
struct Clock {
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;
  static time_point now() noexcept { return detail::steady_now(); }
};

template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d) {
  detail::sleep_for(d);
}
inline void yield() noexcept { detail::yield_thread(); }

// std::thread, started and joined through the runtime's seam (a sim thread is
// registered before it runs, in its parent's turn).
class Thread {
 public:
  Thread() = default;
  template <class F>
  explicit Thread(F&& fn) : thread_(detail::start_thread(std::forward<F>(fn))) {}
  Thread(Thread&&) noexcept = default;
  Thread& operator=(Thread&&) noexcept = default;
  ~Thread() = default;  // joinable here: std::terminate, as std::thread

  bool joinable() const noexcept { return thread_.joinable(); }
  void join() { detail::join_thread(thread_); }

 private:
  std::thread thread_;
};

#if defined(TACT_SIM)
// std::barrier<Completion>: `count` threads meet; the last to arrive runs
// `completion` before any of them goes on; a thread may leave for good
// (arrive_and_drop), which lowers the count of later phases.
template <class Completion>
class PhaseBarrier {
 public:
  PhaseBarrier(std::ptrdiff_t count, Completion completion)
      : count_(count), waiting_(count), completion_(std::move(completion)) {}
  void arrive_and_wait() { arrive(false); }
  void arrive_and_drop() { arrive(true); }

 private:
  void arrive(bool drop) {
    std::unique_lock<Mutex> lock(mutex_);
    const std::size_t phase = phase_;
    if (drop) --count_;
    if (--waiting_ == 0) {
      completion_();
      waiting_ = count_;
      ++phase_;
      cv_.notify_all();
      return;
    }
    if (drop) return;
    while (phase_ == phase) cv_.wait(lock);
  }

  Mutex mutex_;
  detail::CondVar cv_;
  std::ptrdiff_t count_;
  std::ptrdiff_t waiting_;
  std::size_t phase_ = 0;
  Completion completion_;
};

// std::counting_semaphore<>.
class Semaphore {
 public:
  explicit Semaphore(std::ptrdiff_t initial) : count_(initial) {}
  void release(std::ptrdiff_t n = 1) {
    std::lock_guard<Mutex> lock(mutex_);
    count_ += n;
    cv_.notify_all();
  }
  bool try_acquire() {
    std::lock_guard<Mutex> lock(mutex_);
    if (count_ == 0) return false;
    --count_;
    return true;
  }
  void acquire() {
    std::unique_lock<Mutex> lock(mutex_);
    while (count_ == 0) cv_.wait(lock);
    --count_;
  }

 private:
  Mutex mutex_;
  detail::CondVar cv_;
  std::ptrdiff_t count_;
};
#else
template <class Completion>
using PhaseBarrier = std::barrier<Completion>;
using Semaphore = std::counting_semaphore<>;
#endif

// std::atomic<T>::wait / notify_one: a futex wait on real threads; in the
// simulation a spin (each load a scheduling point), which needs no notify.
template <class T>
void atomic_wait(const Atomic<T>& a, T old, std::memory_order order) {
#if defined(TACT_SIM)
  while (a.load(order) == old) yield();
#else
  a.wait(old, order);
#endif
}
template <class T>
void atomic_notify_one([[maybe_unused]] Atomic<T>& a) {
#if !defined(TACT_SIM)
  a.notify_one();
#endif
}

}  // namespace tact::test
