#include "tact/detail/clock.hpp"
#include "actor/supervision/restart_timer.hpp"

#include "tact/detail/ties.hpp"
#include "tact/detail/timer_callbacks.hpp"
#include "tact/supervisor.hpp"

namespace tact::detail {
namespace {

// The timer's context is the supervisor's cell, with a reference of its own
// (taken in wake_at, dropped in dispose): the delivery never meets freed memory.
bool deliver_restart_due(void* ctx) noexcept {
  deliver_system<Supervisor>(static_cast<CellBase*>(ctx), RestartDue{});
  return false;  // once
}
void release_supervisor(void* ctx) noexcept { cell_release(static_cast<CellBase*>(ctx)); }
constexpr TimerCallbacks kRestartDue{&deliver_restart_due, &release_supervisor};

}  // namespace

void RestartTimer::wake_at(Clock::time_point at) {
  const Clock::time_point now = ::tact::detail::steady_now();
  const Clock::duration delay = at > now ? at - now : Clock::duration::zero();
  cell_retain(supervisor_);  // dropped by release_supervisor, even if scheduling throws
  // Owned by the supervisor: cancelled when it stops. The handle is not kept:
  // a supervisor never cancels a wake-up (a spare RestartDue finds nothing due).
  (void)timer_schedule(cell_runtime(supervisor_), supervisor_, delay, Clock::duration::zero(),
                       &kRestartDue, supervisor_);
}

}  // namespace tact::detail
