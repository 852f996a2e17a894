// tact::TimerHandle: the handle of a timer started by ctx.send_after/send_every
// or rt.send_after/send_every.
//
//   tact::TimerHandle tick = ctx.send_every(100ms, ctx.self(), Tick{});
//   ...
//   tick.cancel();   // no delivery happens after this returns
//
// Dropping a handle does NOT cancel its timer: fire-and-forget timers
// (`ctx.send_after(1s, self, Retry{});`) are the common case, and an actor's
// timers are cancelled anyway when the actor stops. Keep the handle to cancel.
//
// Move-only; a moved-from or default-constructed handle is inert (cancel()
// returns false, active() false). Handles are counted references to the timer,
// never dangling: cancelling twice, after the timer fired, or after the runtime
// shut down is a safe no-op. Any thread, but not concurrently with the
// destruction of the runtime that runs the timer.
#pragma once

#include <utility>

#include "tact/detail/runtime_abi.hpp"

namespace tact {

namespace detail {
struct Timer;
struct TimerHandleAccess;
}  // namespace detail

class TimerHandle {
 public:
  TimerHandle() noexcept = default;
  TimerHandle(TimerHandle&& other) noexcept : timer_(std::exchange(other.timer_, nullptr)) {}
  TimerHandle& operator=(TimerHandle&& other) noexcept {
    if (this != &other) {
      detach();
      timer_ = std::exchange(other.timer_, nullptr);
    }
    return *this;
  }
  TimerHandle(const TimerHandle&) = delete;
  TimerHandle& operator=(const TimerHandle&) = delete;
  ~TimerHandle() { detach(); }

  // Stops the timer. Returns true if this call prevented a delivery (a pending
  // one-shot, or the next deliveries of a periodic timer); false if the timer
  // had already finished (fired once, cancelled, its target stopped, shutdown).
  // When it returns, no delivery is in progress and none will happen; messages
  // delivered before may still be queued in the target's mailbox and be
  // handled afterwards. From inside a timer callback of the same timer it only
  // prevents later firings.
  bool cancel() noexcept { return timer_ != nullptr && detail::timer_cancel(timer_); }

  // True while the timer may still deliver (not finished, not cancelled).
  bool active() const noexcept { return timer_ != nullptr && detail::timer_active(timer_); }

  // Drops this handle; the timer carries on (as the destructor does).
  void detach() noexcept {
    if (timer_ != nullptr) detail::timer_release(std::exchange(timer_, nullptr));
  }

 private:
  friend struct detail::TimerHandleAccess;
  explicit TimerHandle(detail::Timer* adopted) noexcept : timer_(adopted) {}

  detail::Timer* timer_ = nullptr;
};

}  // namespace tact
