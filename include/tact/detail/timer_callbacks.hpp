// What a timer does, and the one door from the public templates to the
// runtime's TimerService (private to libtact.a: src/timer/timer_service.hpp).
#pragma once

#include <chrono>

#include "tact/fwd.hpp"
#include "tact/timer.hpp"

namespace tact::detail {

using TimerClock = std::chrono::steady_clock;

// What a timer does, as two functions over its context (src/timer/timer_service.hpp).
struct TimerCallbacks {
  // The timer thread, at each expiry; short and non-blocking. Returns false to
  // finish a periodic timer (e.g. its target stopped).
  bool (*fire)(void* ctx) noexcept;
  // Once, when the timer is finished (fired once, cancelled, fire returned false,
  // or shutdown), on whichever thread finished it: frees ctx.
  void (*dispose)(void* ctx) noexcept;
};

// Any thread (with `owner`: the owner's runner only). Starts a timer on
// `runtime`'s service firing `delay` from now, then every `period` (zero: once).
// With an `owner`, the timer is cancelled when that actor stops. Takes `ctx`:
// when it throws, dispose(ctx) has run. After shutdown: disposes at once and
// returns an inert handle.
TimerHandle schedule_timer(RuntimeCore* runtime, CellBase* owner, TimerClock::duration delay,
                           TimerClock::duration period, const TimerCallbacks* callbacks, void* ctx);

}  // namespace tact::detail
