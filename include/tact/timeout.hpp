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
#include "tact/detail/timer_callbacks.hpp"
#include "tact/detail/timed_send.hpp"
#include "tact/errors.hpp"
#include "tact/reply.hpp"
#include "tact/task.hpp"
#include "tact/timer.hpp"

namespace tact {
namespace detail {

template <class R>
class TimedReplyAwaiter {
 public:
  TimedReplyAwaiter(Reply<R>&& reply, TimerClock::duration timeout) noexcept
      : reply_(std::move(reply)), timeout_(timeout) {}
  TimedReplyAwaiter(const TimedReplyAwaiter&) = delete;
  TimedReplyAwaiter& operator=(const TimedReplyAwaiter&) = delete;
  ~TimedReplyAwaiter() {
    // Killed while waiting. First the timer: once cancel() returns it is not
    // running and never will, so nothing else touches this awaiter or the slot.
    timer_.cancel();
    if (registered_ && !timed_out_ && ReplyAccess<R>::slot(reply_)->withdraw_waker()) {
      cell_await_wake(cell_);  // the reply's wake is on its way
    }
  }

  bool await_ready() const {
    if (!reply_.valid()) throw InvalidReply();
    return reply_.ready();
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    cell_ = awaiting_cell(handle);
    waker_ = &cell_suspension_waker(cell_);
    if (!ReplyAccess<R>::slot(reply_)->register_waker(*waker_)) return false;
    registered_ = true;
    timer_ = schedule_timer(cell_runtime(cell_), nullptr, timeout_, TimerClock::duration::zero(),
                            &kCallbacks, this);
    cell_suspend(cell_, &resume_coroutine, handle.address());
    return true;
  }
  R await_resume() {
    timer_.cancel();  // before the slot can go: a late firing must not touch it
    registered_ = false;
    if (timed_out_) throw Timeout();  // the Reply is dropped unconsumed: its answer is discarded
    return ReplyAccess<R>::consume(reply_);
  }

 private:
  // The timer thread, at the timeout: takes the registration back from the
  // slot; if that worked the writer will not wake us, so the timer does.
  static bool fire(void* ctx) noexcept {
    auto* self = static_cast<TimedReplyAwaiter*>(ctx);
    if (!ReplyAccess<R>::slot(self->reply_)->withdraw_waker()) {
      self->timed_out_ = true;  // ordered before the resume by the wake's release
      self->waker_->wake();
    }
    return false;
  }
  static void dispose(void*) noexcept {}
  static constexpr TimerCallbacks kCallbacks{&fire, &dispose};

  Reply<R> reply_;
  TimerClock::duration timeout_;
  TimerHandle timer_;
  CellBase* cell_ = nullptr;
  Waker* waker_ = nullptr;
  bool registered_ = false;
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
