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

// Iteration counts for stress tests: sanitizer builds run slower (TSan ~5-15x),
// so they do a tenth of the work; the schedules they see still vary.
constexpr long scaled(long n) {
#if defined(TACT_SANITIZE_THREAD) || defined(TACT_SANITIZE_ADDRESS)
  return n / 10 > 0 ? n / 10 : 1;
#else
  return n;
#endif
}

}  // namespace tact::test
