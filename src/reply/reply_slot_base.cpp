#include "tact/detail/reply_slot_base.hpp"

#include <cassert>

#include "sync/parker.hpp"
#include "sync/spin.hpp"

namespace tact::detail {
namespace {
thread_local bool t_blocking_forbidden = false;
}  // namespace

void set_blocking_forbidden(bool forbidden) noexcept { t_blocking_forbidden = forbidden; }
bool blocking_forbidden() noexcept { return t_blocking_forbidden; }

void ReplySlotBase::publish() noexcept {
  // acq_rel. release: publishes the outcome (and the writer's prior writes) to
  // the reader's acquire loads of state_ and to the continuation. acquire: pairs
  // with the reader's release fetch_or of kWaiter / kContinuation, so waiter_ and
  // cont_ are visible here.
  const std::uint32_t old = state_.fetch_or(kValue, acq_rel);
  assert((old & kValue) == 0 && "a reply slot was published twice");
  if ((old & kWaiter) != 0) {
    // The reader sleeps until this token: it cannot free the slot before unpark().
    // Read waiter_ first; after unpark() the slot may be gone.
    Parker* waiter = waiter_;
    waiter->unpark();
  } else if ((old & kContinuation) != 0) {
    cont_(this, cont_ctx_);
    destroy_(this);
  } else if ((old & kReaderDone) != 0) {
    destroy_(this);  // nobody will read the outcome
  }
  // else: the reader will see kValue, consume and free.
}

bool ReplySlotBase::spin_until_ready(std::chrono::steady_clock::time_point deadline) const noexcept {
  return spin_for(kReplySpin, deadline, [this] { return ready(); });
}

bool ReplySlotBase::register_waiter() noexcept {
  waiter_ = &Parker::current();
  // acq_rel. release: publishes waiter_ to publish()'s acquire. acquire: if the
  // outcome got in first, we read it after this.
  const std::uint32_t old = state_.fetch_or(kWaiter, acq_rel);
  return (old & kValue) == 0;
}

void ReplySlotBase::wait() noexcept {
  if (spin_until_ready(std::chrono::steady_clock::time_point::max())) return;
  if (!register_waiter()) return;
  // Exactly one token comes, from publish(); its release/acquire pair orders the
  // outcome before our read of it.
  Parker::current().park();
  assert(ready());
}

bool ReplySlotBase::wait_until(std::chrono::steady_clock::time_point deadline) noexcept {
  if (spin_until_ready(deadline)) return true;
  if (std::chrono::steady_clock::now() >= deadline) return false;
  if (!register_waiter()) return true;
  if (Parker::current().park_until(deadline)) return true;
  // Timed out: withdraw kWaiter. acq_rel: acquire pairs with publish() in case
  // the outcome arrived meanwhile; release keeps our withdrawal ordered after
  // the park.
  const std::uint32_t old = state_.fetch_and(~kWaiter, acq_rel);
  if ((old & kValue) != 0) {
    // publish() saw kWaiter and will unpark us (or has): take that token, so it
    // cannot wake an unrelated later park of this thread.
    Parker::current().park();
    return true;
  }
  return false;
}

void ReplySlotBase::abandon() noexcept {
  // acq_rel. acquire: if the outcome is there we free it and must see it whole.
  // release: orders our last reads of the slot before the writer frees it.
  const std::uint32_t old = state_.fetch_or(kReaderDone, acq_rel);
  if ((old & kValue) != 0) destroy_(this);
}

void ReplySlotBase::set_continuation(Continuation fn, void* ctx) noexcept {
  cont_ = fn;
  cont_ctx_ = ctx;
  // acq_rel. release: publishes cont_ / cont_ctx_ to publish()'s acquire.
  // acquire: if the outcome is already there, we run fn on it here.
  const std::uint32_t old = state_.fetch_or(kContinuation, acq_rel);
  if ((old & kValue) != 0) {
    fn(this, ctx);
    destroy_(this);
  }
}

}  // namespace tact::detail
