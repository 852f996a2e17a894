// RestartTimer: wakes a supervisor when a backed-off restart is due, by sending
// it a RestartDue message at the times it asks for. Each wake-up is a one-shot
// timer on the runtime's TimerService (no thread of its own), owned by the
// supervisor actor, so its pending wake-ups are cancelled when it stops.
#pragma once

#include <chrono>

#include "tact/detail/cell.hpp"

namespace tact::detail {

class RestartTimer {
 public:
  using Clock = std::chrono::steady_clock;

  // `supervisor`: the cell of the Supervisor object that owns this timer.
  explicit RestartTimer(CellBase* supervisor) noexcept : supervisor_(supervisor) {}
  RestartTimer(const RestartTimer&) = delete;
  RestartTimer& operator=(const RestartTimer&) = delete;

  // The supervisor's runner only. A RestartDue reaches it at (or just after) `at`.
  void wake_at(Clock::time_point at);

 private:
  CellBase* const supervisor_;
};

}  // namespace tact::detail
