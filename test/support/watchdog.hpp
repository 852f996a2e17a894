// Watchdog: fails a concurrency test that stops making progress, instead of
// letting it hang until ctest's timeout. Arm it at the top of a test; if the
// scope is still alive after `limit`, it prints `what` plus the optional dump and
// aborts the process (ctest reports the failure with that text).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace tact::test {

#if defined(TACT_SIM)
// Under the simulation a hang is the simulator's to catch (a deadlock, a step limit,
// or the per-seed wall-clock limit of sim::explore): no watchdog thread.
class Watchdog {
 public:
  explicit Watchdog(std::string, std::chrono::seconds = std::chrono::seconds(60),
                    std::function<std::string()> = {}) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
};
#else
class Watchdog {
 public:
  explicit Watchdog(std::string what, std::chrono::seconds limit = std::chrono::seconds(60),
                    std::function<std::string()> dump = {})
      : what_(std::move(what)), dump_(std::move(dump)), thread_([this, limit] { watch(limit); }) {}

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void watch(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
    std::string state = dump_ ? dump_() : std::string();
    std::fprintf(stderr, "\nWATCHDOG: '%s' made no progress for %lld s; aborting.\n%s\n",
                 what_.c_str(), static_cast<long long>(limit.count()), state.c_str());
    std::fflush(stderr);
    std::abort();
  }

  std::string what_;
  std::function<std::string()> dump_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts after the fields it reads are built
};
#endif

// Iteration counts for stress tests: sanitizer builds run slower (TSan ~5-15x),
// so they do a tenth of the work; the schedules they see still vary. Under the
// simulation a run is one seed of many, each one thread at a time: a thousandth
// (the seeds, not the iterations, vary the schedule there).
constexpr long scaled(long n) {
#if defined(TACT_SIM)
  return n / 1000 > 0 ? n / 1000 : 1;
#elif defined(TACT_SANITIZE_THREAD) || defined(TACT_SANITIZE_ADDRESS)
  return n / 10 > 0 ? n / 10 : 1;
#else
  return n;
#endif
}

}  // namespace tact::test
