#include "tact/detail/reply_slot_base.hpp"

#include <cassert>

#include "sync/blocking.hpp"
#include "sync/parker.hpp"
#include "sync/spin.hpp"

namespace tact::detail {
// The waiter's Waker* shares the word with the four flags.
static_assert(alignof(Waker) > 15, "a Waker's low 4 address bits must be free for the flags");

// ===== writer ==========================================================================

void ReplySlotBase::publish() noexcept {
  // acq_rel. release: publishes the outcome (and the writer's prior writes); pairs
  // with the acquire loads of state_ in ready(), register_waker(), withdraw_waker(),
  // abandon() and set_continuation(). acquire: pairs with the reader's release in
  // set_continuation() (cont_ / cont_ctx_ visible here) and in register_waker().
  const Word old = state_.fetch_or(kValue, acq_rel);
  assert((old & kValue) == 0 && "a reply slot was published twice");
  if ((old & kWaiter) != 0) {
    // The waiter's Waker came with `old`: the slot is not read again, so the
    // reader may free it the moment it sees kValue. The Waker outlives this call:
    // a Parker lives as long as the reader's thread, which cannot return from
    // wait() before consuming this token (see Parker's lifetime note); other
    // wakers say why they do in their own files.
    reinterpret_cast<Waker*>(old & kWaiterMask)->wake();
  } else if ((old & kContinuation) != 0) {
    cont_(this, cont_ctx_);
    destroy_(this);
  } else if ((old & kReaderDone) != 0) {
    destroy_(this);  // nobody will read the outcome
  }
  // else: the reader will see kValue, consume and free.
}

// ===== reader ==========================================================================

bool ReplySlotBase::spin_until_ready(std::chrono::steady_clock::time_point deadline) const noexcept {
  return spin_for(kReplySpin, deadline, [this] { return ready(); });
}

bool ReplySlotBase::register_waker(Waker& waker) noexcept {
  const Word me = reinterpret_cast<Word>(&waker);
  // acq_rel. release: the Waker (a thread_local Parker maybe first touched just
  // now, or a parked actor's) is constructed before the writer, acquiring in
  // publish(), wakes it. acquire: pairs with publish()'s release if the outcome
  // got in first; we read it next.
  const Word old = state_.fetch_or(me | kWaiter, acq_rel);
  assert((old & (kWaiter | kWaiterMask)) == 0 && "two waiters on one reply slot");
  return (old & kValue) == 0;
}

bool ReplySlotBase::withdraw_waker() noexcept {
  // acquire: pairs with publish()'s release in case the outcome got in first.
  // Nothing to release: the writer reads nothing of ours once kWaiter is gone.
  const Word old = state_.fetch_and(kFlagMask & ~kWaiter, acquire);
  assert((old & kWaiter) != 0 && "withdraw_waker without a registered waker");
  return (old & kValue) != 0;
}

void ReplySlotBase::wait() noexcept {
  run_before_blocking();  // a Driver's host: what it sent may be what we wait for
  // relaxed: a hint (park_without_spinning); ready() is what orders the outcome.
  if (spin_.load(relaxed) ? spin_until_ready(std::chrono::steady_clock::time_point::max()) : ready()) return;
  Parker& parker = Parker::current();
  if (!register_waker(parker)) return;
  // publish() comes after our registration, sees kWaiter and unparks us exactly
  // once; the acquire in ready() (and the token's release/acquire pair) orders the
  // outcome before our read of it. The loop only matters if someone else left a
  // stray token on this thread's Parker: we must not return before kValue.
  do {
    parker.park();
  } while (!ready());
}

bool ReplySlotBase::wait_until(std::chrono::steady_clock::time_point deadline) noexcept {
  run_before_blocking();  // as in wait()
  // relaxed: as in wait().
  if (spin_.load(relaxed) ? spin_until_ready(deadline) : ready()) return true;
  if (::tact::detail::steady_now() >= deadline) return false;
  Parker& parker = Parker::current();
  if (!register_waker(parker)) return true;
  while (parker.park_until(deadline)) {
    if (ready()) return true;  // else a stray token: keep waiting
  }
  if (withdraw_waker()) {
    // The outcome beat our withdrawal, so publish() saw kWaiter and unparks us
    // (or has): take that token now, so it cannot end a later, unrelated park of
    // this thread early, and so the writer is done with our Parker before we go.
    parker.park();
    return true;
  }
  return false;  // publish() will not see kWaiter: no token is coming
}

void ReplySlotBase::abandon() noexcept {
  // acq_rel. acquire: pairs with publish()'s release; if the outcome is there we
  // free it and must see it whole. release: orders our last reads of the slot
  // before the writer's free (publish()'s acquire).
  const Word old = state_.fetch_or(kReaderDone, acq_rel);
  if ((old & kValue) != 0) destroy_(this);
}

void ReplySlotBase::set_continuation(Continuation fn, void* ctx) noexcept {
  cont_ = fn;
  cont_ctx_ = ctx;
  // acq_rel. release: publishes cont_ / cont_ctx_ (and the callable behind ctx)
  // to publish()'s acquire. acquire: pairs with publish()'s release if the
  // outcome is already there; we run fn on it here.
  const Word old = state_.fetch_or(kContinuation, acq_rel);
  if ((old & kValue) != 0) {
    fn(this, ctx);
    destroy_(this);
  }
}

}  // namespace tact::detail
