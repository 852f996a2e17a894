// SlowHandlerWatchdog (Config::slow_handler): a thread that reports a worker
// stuck in one actor's turn for longer than the limit, while it is still
// running, with the actor's class and how long so far.
//
// It costs the turn one relaxed store (the class, ThreadMetrics::note_turn);
// the rest is the watchdog's: every limit/4 it reads each worker's activity,
// its count of finished turns and the class of its current turn. A worker
// busy with the same unfinished turn for the limit is reported once per turn.
// The duration it reports is a lower bound, short by at most limit/4 (the poll
// period). The unit is a turn: up to Config::budget messages of one actor, in
// practice one slow handler (fast ones finish a turn in microseconds).
#pragma once

#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include "sync/mutex.hpp"
#include "tact/detail/cell.hpp"
#include "tact/config.hpp"

namespace tact::detail {

class MetricsHub;

class SlowHandlerWatchdog {
 public:
  SlowHandlerWatchdog(const Config& config, MetricsHub& hub) : config_(config), hub_(hub) {}
  ~SlowHandlerWatchdog() { stop(); }
  SlowHandlerWatchdog(const SlowHandlerWatchdog&) = delete;
  SlowHandlerWatchdog& operator=(const SlowHandlerWatchdog&) = delete;

  // Starts the thread if Config::slow_handler is set (and metrics are on). Once.
  void start();
  // Stops and joins it. Idempotent.
  void stop();

 private:
  void run();
  void look(std::chrono::steady_clock::time_point now);

  struct Seen {
    std::uint64_t turns = 0;
    const ActorVTable* running = nullptr;
    std::chrono::steady_clock::time_point since{};
    bool reported = false;
  };

  const Config& config_;
  MetricsHub& hub_;
  std::vector<Seen> seen_;  // per worker index; the watchdog thread's own
  Mutex mutex_;
  CondVar wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace tact::detail
