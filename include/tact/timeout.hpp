// tact::with_timeout: a reply awaited for at most a duration inside a
// coroutine handler.
//
//   try {
//     Row row = co_await tact::with_timeout(db.ask(Lookup{key}), 50ms);
//   } catch (const tact::Timeout&) { ... }   // the late answer is dropped
//
// The actor parks as for any await; whichever comes first — the reply, or the
// runtime's timer taking the waker registration back — wakes it, once.
#pragma once

#include <chrono>
#include <coroutine>
#include <utility>

#include "tact/detail/cell.hpp"
#include "tact/detail/timed_send.hpp"
#include "tact/detail/timer_callbacks.hpp"
#include "tact/errors.hpp"
#include "tact/reply.hpp"
#include "tact/task.hpp"
#include "tact/timer.hpp"

namespace tact {
namespace detail {

// A ReplyAwaiter with a timer that can take the waker registration back.
template <class R>
class TimedReplyAwaiter : public ReplyAwaiter<R> {
 public:
  TimedReplyAwaiter(Reply<R>&& reply, TimerClock::duration timeout) noexcept
      : ReplyAwaiter<R>(std::move(reply)), timeout_(timeout) {}
  // Before the base settles the registration (killed while waiting): once
  // cancel() returns the timer is not running and never will.
  ~TimedReplyAwaiter() { timer_.cancel(); }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    if (!this->register_waker(handle)) return false;
    timer_ = timer_schedule(cell_runtime(this->cell_), nullptr, timeout_,
                            TimerClock::duration::zero(), &kCallbacks, this);
    handler_suspend(this->cell_, &resume_coroutine, handle.address());
    return true;
  }
  R await_resume() {
    timer_.cancel();  // before the slot can go: a late firing must not touch it
    if (timed_out_) throw Timeout();  // the Reply is dropped unconsumed: its answer is discarded
    return ReplyAwaiter<R>::await_resume();
  }

 private:
  // The timer thread, at the timeout: takes the registration back from the
  // slot; if that worked the writer will not wake us, so the timer does.
  static bool fire(void* ctx) noexcept {
    auto* self = static_cast<TimedReplyAwaiter*>(ctx);
    if (!ReplyAccess<R>::slot(self->reply_)->withdraw_waker()) {
      self->registered_ = false;  // ordered before the resume by the wake's release
      self->timed_out_ = true;
      self->waker_->wake();
    }
    return false;
  }
  static void dispose(void*) noexcept {}
  static constexpr TimerCallbacks kCallbacks{&fire, &dispose};

  TimerClock::duration timeout_;
  TimerHandle timer_;
  bool timed_out_ = false;
};

}  // namespace detail

// Inside a coroutine handler: awaits `reply` for at most `timeout`; throws
// tact::Timeout after it (the answer, if it comes later, is discarded).
template <class R, class Rep, class Period>
detail::TimedReplyAwaiter<R> with_timeout(Reply<R>&& reply, std::chrono::duration<Rep, Period> timeout) {
  return detail::TimedReplyAwaiter<R>(std::move(reply), detail::to_timer_duration(timeout));
}

}  // namespace tact
