// Asks that carry a deadline: `ref.ask(msg, tact::Deadline::in(50ms))`. A
// request still queued when its deadline passes is answered with tact::Timeout
// and never handled; the asker learns it at the deadline (a timer answers),
// not when the actor finally reaches the request.
//
// Who answers: the timer at the deadline, or the runner when it reaches the
// request (handling it if the deadline has not passed), or a rejection (the
// actor stopped) — whichever claims first (one exchange on `claimed`); only the
// claimer writes the reply slot. The claim box is shared by the envelope and
// the timer, freed by whichever lets go last.
#pragma once

#include <chrono>
#include <cstdint>
#include <utility>

#include "tact/detail/type_name.hpp"
#include "tact/detail/clock.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/envelope.hpp"
#include "tact/detail/runtime_abi.hpp"
#include "tact/detail/timer_callbacks.hpp"
#include "tact/timer.hpp"

namespace tact {

// When a request stops being worth handling (steady_clock).
struct Deadline {
  std::chrono::steady_clock::time_point at;

  template <class Rep, class Period>
  static Deadline in(std::chrono::duration<Rep, Period> d) {
    return Deadline{::tact::detail::steady_now() +
                    std::chrono::ceil<std::chrono::steady_clock::duration>(d)};
  }
};

namespace detail {


template <class R>
struct DeadlineClaim {
  DeadlineClaim(ReplySlot<R>* s, RuntimeCore* r) noexcept : slot(s), runtime(r) {}

  // True once, for the first caller: it alone answers the slot.
  bool claim() noexcept {
    // acq_rel: the winner's writes to the slot are ordered after the claim;
    // nothing else is published through it (the slot has its own ordering).
    return !claimed.exchange(true, acq_rel);
  }
  void release() noexcept {
    // acq_rel: as cell_release.
    if (refs.fetch_sub(1, acq_rel) == 1) delete this;
  }
  void answer_timeout() noexcept {
    runtime_count_expired(runtime);  // the timer runs only while the runtime does
    slot->store_error(error_timeout());
    slot->publish();
  }

  Atomic<std::uint32_t> refs{2};  // the envelope and the timer
  Atomic<bool> claimed{false};
  ReplySlot<R>* const slot;
  RuntimeCore* const runtime;

  static bool fire(void* ctx) noexcept {
    auto* self = static_cast<DeadlineClaim*>(ctx);
    if (self->claim()) self->answer_timeout();
    return false;  // once
  }
  static void dispose(void* ctx) noexcept { static_cast<DeadlineClaim*>(ctx)->release(); }
  static constexpr TimerCallbacks kCallbacks{&fire, &dispose};
};

template <class A, class M, class R>
struct DeadlineAskEnvelope final : Envelope {
  template <class... Args>
  DeadlineAskEnvelope(DeadlineClaim<R>* c, std::chrono::steady_clock::time_point d, Args&&... args)
      : Envelope(&run), claim(c), deadline(d), payload(std::forward<Args>(args)...) {}

  static void run(Envelope* base, CellBase* cell, void* object, EnvelopeOp op) noexcept {
    auto* self = static_cast<DeadlineAskEnvelope*>(base);
    if (op == EnvelopeOp::kFree) {
      self->claim->release();
      delete self;
      return;
    }
    bool publish = false;
    if (!self->claim->claim()) {
      // The timer answered Timeout already (and counted it).
    } else if (!is_handle(op)) {
      count_dead_letter_of<M>(cell);
      self->claim->slot->store_error(error_actor_stopped());
      publish = true;
    } else if (::tact::detail::steady_now() >= self->deadline) {
      cell_count_expired(cell);  // its timer is late: answer as it would
      self->claim->slot->store_error(error_timeout());
      publish = true;
    } else {
      self->timer.cancel();  // handled in time: the timer goes now, not at the deadline
      publish = dispatch_message<A, M, R>(cell, object, self->payload.msg, self->claim->slot, op);
    }
    self->payload.msg.~M();
    if (publish) self->claim->slot->publish();
  }

  DeadlineClaim<R>* claim;
  std::chrono::steady_clock::time_point deadline;
  TimerHandle timer;  // set before delivery
  Payload<M> payload;
};

}  // namespace detail
}  // namespace tact
