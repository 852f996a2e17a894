// What a timer does: the two callbacks the runtime's TimerService (private to
// libtact.a: src/timer/timer_service.hpp) runs; timer_schedule (runtime_abi.hpp)
// starts one.
#pragma once

#include <chrono>

#include "tact/detail/runtime_abi.hpp"
#include "tact/fwd.hpp"
#include "tact/timer.hpp"

namespace tact::detail {

// What a timer does, as two functions over its context (src/timer/timer_service.hpp).
struct TimerCallbacks {
  // The timer thread, at each expiry; short and non-blocking. Returns false to
  // finish a periodic timer (e.g. its target stopped).
  bool (*fire)(void* ctx) noexcept;
  // Once, when the timer is finished (fired once, cancelled, fire returned false,
  // or shutdown), on whichever thread finished it: frees ctx.
  void (*dispose)(void* ctx) noexcept;
};


}  // namespace tact::detail
