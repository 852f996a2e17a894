// Timed sends: what ctx.send_after/send_every and rt.send_after/send_every
// instantiate. A TimedSend<A, M> is the timer's context: the target and the
// message; firing delivers a TellEnvelope straight to the target's mailbox
// (cell_deliver: a timer tick is a system-lane message, never refused by a
// mailbox bound), disposing frees it. The timer service itself is private to
// libtact.a (src/timer/timer_service.hpp); templates reach it through
// timer_schedule() (timer_callbacks.hpp).
#pragma once

#include <chrono>
#include <type_traits>
#include <utility>

#include "tact/detail/type_name.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/envelope.hpp"
#include "tact/detail/timer_callbacks.hpp"
#include "tact/errors.hpp"
#include "tact/fwd.hpp"
#include "tact/timer.hpp"

namespace tact::detail {

// ActorRef<A> is complete where these templates are instantiated (actor_ref.hpp
// includes context.hpp, which includes this file, after defining it).
template <class A>
struct RefAccess;

// A user's duration as the clock's, rounded up (never early) and saturated
// (hours::max() means "never", not an overflow).
template <class Rep, class Period>
TimerClock::duration to_timer_duration(std::chrono::duration<Rep, Period> d) noexcept {
  using Seconds = std::chrono::duration<double>;
  if (Seconds(d) >= Seconds(TimerClock::duration::max())) return TimerClock::duration::max();
  if (Seconds(d) <= Seconds(TimerClock::duration::zero())) return TimerClock::duration::zero();
  return std::chrono::ceil<TimerClock::duration>(d);
}

template <class A, class M>
struct TimedSend {
  ActorRef<A> target;
  M msg;

  // send_after: the one delivery moves the message out.
  static bool fire_once(void* ctx) noexcept {
    auto* self = static_cast<TimedSend*>(ctx);
    self->deliver([self] { return new TellEnvelope<A, M>(std::move(self->msg)); });
    return true;
  }
  // send_every: each delivery copies it; a stopped target finishes the timer.
  static bool fire_every(void* ctx) noexcept {
    auto* self = static_cast<TimedSend*>(ctx);
    return self->deliver([self] { return new TellEnvelope<A, M>(std::as_const(self->msg)); });
  }
  static void dispose(void* ctx) noexcept { delete static_cast<TimedSend*>(ctx); }

  static constexpr TimerCallbacks kOnce{&fire_once, &dispose};
  static constexpr TimerCallbacks kEvery{&fire_every, &dispose};

 private:
  // False when the target had stopped (a dead letter, counted by the rejection).
  template <class Make>
  bool deliver(Make make) noexcept {
    CellBase* cell = RefAccess<A>::cell(target);
    Envelope* envelope;
    try {
      envelope = make();
    } catch (...) {
      count_dead_letter_of<std::remove_cvref_t<M>>(cell);  // the message could not be built: lost, but counted
      return true;
    }
    return cell_deliver(cell, envelope);
  }
};

// Checks the message type like tell, then starts the timer.
template <class A, class M>
TimerHandle send_timed(RuntimeCore* runtime, CellBase* owner, TimerClock::duration delay,
                       TimerClock::duration period, const ActorRef<A>& target, M&& msg) {
  using Msg = std::remove_cvref_t<M>;
  if constexpr (!kHandles<A, Msg>) {
    (void)actor_has_no_handler_for<A, Msg>{};
    return TimerHandle();
  } else {
    if (!target) throw Error("tact: send_after/send_every to an empty ActorRef");
    auto* ctx = new TimedSend<A, Msg>{target, std::forward<M>(msg)};
    const TimerCallbacks* callbacks =
        period == TimerClock::duration::zero() ? &TimedSend<A, Msg>::kOnce : &TimedSend<A, Msg>::kEvery;
    return timer_schedule(runtime, owner, delay, period, callbacks, ctx);
  }
}

template <class A, class M, class Rep, class Period>
TimerHandle send_every_checked(RuntimeCore* runtime, CellBase* owner,
                               std::chrono::duration<Rep, Period> period, const ActorRef<A>& target,
                               M&& msg) {
  static_assert(std::is_copy_constructible_v<std::remove_cvref_t<M>>,
                "tact: send_every copies the message for each delivery: make it copyable");
  const TimerClock::duration every = to_timer_duration(period);
  if (every <= TimerClock::duration::zero()) throw Error("tact: send_every needs a positive period");
  return send_timed(runtime, owner, every, every, target, std::forward<M>(msg));
}

}  // namespace tact::detail
