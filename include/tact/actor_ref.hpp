// ActorRef<A>: a counted handle to an actor of class A. Copy it freely, send it
// in messages, use it from any thread; the actor's memory lives while any
// ActorRef does (the actor itself runs until it stops, whether or not refs remain).
//
//   ref.tell(msg)     fire and forget; false when the actor had already stopped
//                     (the message is then a dead letter, counted by the runtime)
//                     or its bounded mailbox is full (refused, counted)
//   ref.try_tell(msg) as tell; a full mailbox leaves msg to the caller, uncounted
//   ref.tell_urgent(msg)  as tell, overtaking the user mail already queued
//   co_await ref.send(msg)   in a coroutine handler: waits for room
//   ref.ask(msg)      a tact::Reply<R>, R being what A::handle(msg) returns
//   ref.stop()        stop once the messages sent before are handled
//   ref.kill()        stop now; queued messages become dead letters
//   ref.stopped()     a tact::Reply<tact::Down>: resolves when the actor stops
//
// Per-sender FIFO: messages one thread sends to one actor are handled in order.
// Memory ordering: what the sender wrote before tell/ask is visible to the handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

#include "tact/detail/type_name.hpp"
#include "tact/detail/clock.hpp"
#include "tact/address.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/deadline_ask.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/envelope.hpp"
#include "tact/detail/send_awaiter.hpp"
#include "tact/detail/stop_waiter.hpp"
#include "tact/reply.hpp"

namespace tact {

namespace detail {
template <class A>
struct RefAccess;
}  // namespace detail

template <class A>
class ActorRef {
 public:
  ActorRef() noexcept = default;
  ActorRef(const ActorRef& other) noexcept : cell_(other.cell_) {
    if (cell_ != nullptr) detail::cell_retain(cell_);
  }
  ActorRef(ActorRef&& other) noexcept : cell_(std::exchange(other.cell_, nullptr)) {}
  ActorRef& operator=(ActorRef other) noexcept {
    std::swap(cell_, other.cell_);
    return *this;
  }
  ~ActorRef() { reset(); }

  // Drops this reference (the actor keeps running).
  void reset() noexcept {
    if (cell_ != nullptr) detail::cell_release(std::exchange(cell_, nullptr));
  }

  explicit operator bool() const noexcept { return cell_ != nullptr; }
  friend bool operator==(const ActorRef& a, const ActorRef& b) noexcept { return a.cell_ == b.cell_; }

  // Any thread. Queues `msg` for A::handle. Returns false if the actor had
  // already stopped (a dead letter), or its bounded mailbox is full (the message
  // is refused: RuntimeStats::messages_refused). `msg` is left untouched when
  // refused for a full mailbox. Throws tact::Error on an empty ref.
  template <class M>
  bool tell(M&& msg) const {
    return send_now<true>(std::forward<M>(msg));
  }

  // As tell, but a full mailbox is not counted as refused: for a caller that
  // will try again (or co_await send()), keeping `msg`.
  template <class M>
  bool try_tell(M&& msg) const {
    return send_now<false>(std::forward<M>(msg));
  }

  // As tell, but the message overtakes the user mail already queued: it goes
  // through the actor's control lane, handled at the actor's next turn
  // boundary, after at most Config::budget more user messages
  // (docs/semantics.md: urgent messages). Urgent messages from one sender keep
  // their order among themselves; a bounded mailbox counts and refuses them
  // as it does tells.
  template <class M>
  bool tell_urgent(M&& msg) const {
    return send_now<true, true>(std::forward<M>(msg));
  }

  // Inside a coroutine handler: `co_await ref.send(msg)` queues msg, waiting
  // (the sending actor parks) while the bounded mailbox is full. Throws
  // tact::ActorStopped from the co_await if the actor stopped first.
  template <class M>
  auto send(M&& msg) const {
    using Msg = std::remove_cvref_t<M>;
    if constexpr (!detail::kHandles<A, Msg>) {
      (void)detail::actor_has_no_handler_for<A, Msg>{};
      return std::suspend_never{};
    } else {
      return detail::SendAwaiter<A, Msg>(checked_cell(), std::forward<M>(msg));
    }
  }

  // Any thread. Queues `msg` and returns the Reply<R> for A::handle(msg)'s result.
  // If the actor has stopped, the Reply resolves with tact::ActorStopped; if its
  // bounded mailbox is full, with tact::MailboxFull.
  template <class M>
  auto ask(M&& msg) const {
    return ask_impl(std::forward<M>(msg), nullptr);
  }

  // As ask(msg), for a request worth handling only until `deadline`
  // (tact::Deadline::in(50ms)): if it is still queued then, the Reply resolves
  // with tact::Timeout (at the deadline, from the runtime's timer) and the
  // actor never handles it (RuntimeStats::requests_expired).
  template <class M>
  auto ask(M&& msg, Deadline deadline) const {
    return ask_impl(std::forward<M>(msg), &deadline);
  }

  // Any thread. Stops the actor at the end of its current turn (at most
  // Config::budget more messages are handled; none if it is idle): the stop
  // overtakes the mail already queued, which becomes dead letters (asks:
  // tact::ActorStopped); a coroutine handler waiting in an await is dropped.
  // on_stop runs; the reason is ExitReason::normal. No-op on an actor already
  // stopped. To stop after the queued mail instead, tell a message whose
  // handler calls ctx.stop(). Throws tact::Error on an empty ref.
  void stop() const { detail::cell_stop(checked_cell()); }

  // Any thread. As stop(), with ExitReason::killed (abnormal: linked actors
  // fail with it). The first of stop() and kill() decides the reason.
  void kill() const { detail::cell_kill(checked_cell()); }

  // Any thread. A Reply that resolves once the actor has stopped for good,
  // with the tact::Down a watcher would get (who, reason, and the exception of
  // a failure): at once if it has stopped already. Wait on it from a plain
  // thread (get(), get_for()), co_await it in a coroutine handler, or then().
  // A supervised child restarted in place has not stopped. On a remote ref,
  // it resolves when the remote actor is known to have stopped (as a Down
  // would: remote.md). Throws tact::Error on an empty ref.
  Reply<Down> stopped() const { return detail::stop_waiter(checked_cell()); }

  // Identity, for containers.
  std::size_t hash() const noexcept { return std::hash<const void*>{}(cell_); }

  // The actor's untyped address (what tact::Down names); equal to this ref.
  ActorAddress address() const noexcept { return detail::AddressAccess::of(cell_); }

 private:
  friend struct detail::RefAccess<A>;

  template <class M>
  auto ask_impl(M&& msg, const Deadline* deadline) const {
    using Msg = std::remove_cvref_t<M>;
    if constexpr (!detail::kHandles<A, Msg>) {
      (void)detail::actor_has_no_handler_for<A, Msg>{};
      return Reply<void>();
    } else {
      using R = detail::ReplyType<A, Msg>;
      detail::CellBase* cell = checked_cell();  // before allocating: it may throw
      auto* slot = detail::ReplySlot<R>::create();
      Reply<R> reply = detail::ReplyAccess<R>::adopt(slot);
      const auto now = deadline != nullptr ? ::tact::detail::steady_now()
                                           : std::chrono::steady_clock::time_point{};
      if (deadline != nullptr && now >= deadline->at) {
        detail::cell_count_expired(cell);
        slot->store_error(detail::error_timeout());
        slot->publish();
        return reply;
      }
      if (const detail::Reserve place = detail::cell_reserve(cell); place != detail::Reserve::kOk) {
        if (place == detail::Reserve::kStopped) {
          detail::count_dead_letter_of<std::remove_cvref_t<M>>(cell);
          slot->store_error(detail::error_actor_stopped());
        } else {
          detail::cell_count_refused(cell);
          slot->store_error(detail::error_mailbox_full());
        }
        slot->publish();
        return reply;
      }
      detail::Envelope* envelope;
      try {
        if (deadline == nullptr) {
          envelope = new detail::AskEnvelope<A, Msg, R>(slot, std::forward<M>(msg));
        } else {
          envelope = deadline_envelope<Msg, R>(cell, slot, now, deadline->at, std::forward<M>(msg));
        }
      } catch (...) {
        detail::cell_unreserve(cell);
        slot->store_error(std::current_exception());
        slot->publish();
        throw;  // the Reply (dropped with the exception) frees the slot
      }
      (void)detail::cell_deliver_reserved(cell, envelope);
      return reply;
    }
  }

  // The envelope of an ask with a deadline, its timer started.
  template <class Msg, class R, class M>
  static detail::Envelope* deadline_envelope(detail::CellBase* cell, detail::ReplySlot<R>* slot,
                                             std::chrono::steady_clock::time_point now,
                                             std::chrono::steady_clock::time_point at, M&& msg) {
    detail::RuntimeCore* runtime = detail::cell_runtime(cell);
    auto* claim = new detail::DeadlineClaim<R>(slot, runtime);
    detail::DeadlineAskEnvelope<A, Msg, R>* envelope;
    try {
      envelope = new detail::DeadlineAskEnvelope<A, Msg, R>(claim, at, std::forward<M>(msg));
    } catch (...) {
      delete claim;
      throw;
    }
    try {
      envelope->timer = detail::timer_schedule(runtime, nullptr, at - now,
                                               detail::TimerClock::duration::zero(),
                                               &detail::DeadlineClaim<R>::kCallbacks, claim);
    } catch (...) {
      // No timer (its dispose let go of the claim's timer reference): the
      // runner's check when it reaches the request still enforces the deadline.
    }
    return envelope;
  }

  template <bool kCountRefusal, bool kUrgent = false, class M>
  bool send_now(M&& msg) const {
    using Msg = std::remove_cvref_t<M>;
    if constexpr (!detail::kHandles<A, Msg>) {
      (void)detail::actor_has_no_handler_for<A, Msg>{};
      return false;
    } else {
      detail::CellBase* cell = checked_cell();  // before allocating: it may throw
      const detail::Reserve place = detail::cell_reserve(cell);
      if (place == detail::Reserve::kStopped) {
        detail::count_dead_letter_of<Msg>(cell);
        return false;
      }
      if (place == detail::Reserve::kFull) {
        if constexpr (kCountRefusal) detail::cell_count_refused(cell);
        return false;
      }
      return detail::deliver_reserved_new<detail::TellEnvelope<A, Msg>, kUrgent>(cell,
                                                                                std::forward<M>(msg));
    }
  }
  explicit ActorRef(detail::CellBase* adopted) noexcept : cell_(adopted) {}

  detail::CellBase* checked_cell() const {
    if (cell_ == nullptr) {
      throw Error("tact: tell/ask on an empty ActorRef (default-constructed, reset or moved from)");
    }
    return cell_;
  }

  detail::CellBase* cell_ = nullptr;
};

namespace detail {
template <class A>
struct RefAccess {
  // Adopts one reference the caller already counted.
  static ActorRef<A> adopt(CellBase* cell) noexcept { return ActorRef<A>(cell); }
  static CellBase* cell(const ActorRef<A>& ref) noexcept { return ref.cell_; }
  // Lets go of the cell without releasing it: undoes an adopt of a reference
  // that was only borrowed (tact::Recipient sends through a cell it counts itself).
  static void forget(ActorRef<A>& ref) noexcept { ref.cell_ = nullptr; }
};
}  // namespace detail

}  // namespace tact

template <class A>
struct std::hash<tact::ActorRef<A>> {
  std::size_t operator()(const tact::ActorRef<A>& ref) const noexcept { return ref.hash(); }
};

#include "tact/context.hpp"  // Context<A> completes what the envelopes instantiate
