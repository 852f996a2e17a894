// ActorTimers, and timer_schedule(): where ctx.send_after/send_every and
// rt.send_after/send_every reach the runtime's TimerService.
#include "tact/detail/clock.hpp"
#include "actor/timers/actor_timers.hpp"

#include <algorithm>

#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"
#include "actor/runtime_core.hpp"
#include "timer/timer_service.hpp"

namespace tact::detail {

void ActorTimers::reserve_one() {
  if (handles_.size() < handles_.capacity()) return;
  std::erase_if(handles_, [](const TimerHandle& h) { return TimerHandleAccess::finished(h); });
  // Grow only when at least half the entries are still running: amortized O(1).
  if (handles_.size() * 2 > handles_.capacity() || handles_.capacity() == 0) {
    handles_.reserve(std::max<std::size_t>(4, handles_.capacity() * 2));
  }
}

void ActorTimers::add(TimerHandle handle) noexcept {
  handles_.push_back(std::move(handle));  // reserve_one() made room: no allocation
}

void ActorTimers::cancel_all() noexcept {
  for (TimerHandle& handle : handles_) (void)handle.cancel();
  handles_.clear();
}

TimerHandle timer_schedule(RuntimeCore* runtime, CellBase* owner, TimerClock::duration delay,
                           TimerClock::duration period, const TimerCallbacks* callbacks, void* ctx) {
  ActorTimers* timers = nullptr;
  if (owner != nullptr) {
    try {
      timers = &extras_or_make(Cell::from(owner)).timers;
      timers->reserve_one();
    } catch (...) {
      callbacks->dispose(ctx);
      throw;
    }
  }
  const TimerClock::time_point now = ::tact::detail::steady_now();
  const TimerClock::time_point first =
      delay >= TimerClock::time_point::max() - now ? TimerClock::time_point::max() : now + delay;
  TimerHandle handle = runtime->timers().schedule(first, period, callbacks, ctx);
  if (timers != nullptr && !TimerHandleAccess::finished(handle)) {
    timers->add(TimerHandleAccess::share(handle));
  }
  return handle;
}

}  // namespace tact::detail
