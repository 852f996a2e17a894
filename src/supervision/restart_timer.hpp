// RestartTimer: wakes a supervisor when a backed-off restart is due, by sending
// it a RestartDue message at the times it asks for. One thread, started by the
// first supervisor object that backs off, joined by its destructor (pending
// wake-ups are then dropped: they were for that object only).
//
// The smallest timer the backoff needs, so that a restart waiting for its
// backoff costs no worker any time. The runtime's timer wheel (ctx.send_after)
// replaces it when it lands.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "tact/detail/cell.hpp"

namespace tact::detail {

class RestartTimer {
 public:
  using Clock = std::chrono::steady_clock;

  // `supervisor`: the cell of the Supervisor object that owns this timer (not
  // counted: the object, and so this timer, dies before the cell's memory).
  explicit RestartTimer(CellBase* supervisor);
  RestartTimer(const RestartTimer&) = delete;
  RestartTimer& operator=(const RestartTimer&) = delete;
  ~RestartTimer();

  // The owner's thread. A RestartDue reaches the supervisor at (or just after) `at`.
  void wake_at(Clock::time_point at);

 private:
  void run();

  CellBase* const supervisor_;
  std::mutex mutex_;
  std::condition_variable changed_;
  // Guarded by mutex_: the earliest first.
  std::priority_queue<Clock::time_point, std::vector<Clock::time_point>, std::greater<>> due_;
  bool done_ = false;
  std::thread thread_;  // last: starts after the fields it reads are built
};

}  // namespace tact::detail
