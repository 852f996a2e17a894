// Reply<R>: the asker's handle on a pending answer; Promise<R>: the replier's.
//
// A Reply is consumed exactly once, by one of:
//   get()          blocks until the answer; returns it or throws its error
//   get_for(d)     as get(), but throws tact::Timeout after d (the Reply stays
//                  pending: wait again or drop it)
//   try_get()      never blocks: empty while pending
//   then(f)        f(Outcome<R>) runs once, where the answer is set (or here, if
//                  it is already there); exceptions escaping f call std::terminate
// Dropping a pending Reply is fine: the answer is discarded when it comes.
//
// Errors a Reply carries: tact::ActorStopped, tact::Timeout, tact::BrokenPromise
// (the Promise was dropped unanswered), tact::HandlerFailed (the handler threw;
// cause() holds the original exception).
//
// Memory ordering: whatever the replier wrote before set_value()/set_error() is
// visible to the asker once get()/try_get() returns or its then() callback runs.
//
// Thread-safety: one Reply is used by one thread at a time (it is a move-only
// handle); the Promise may be on any thread.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "tact/detail/clock.hpp"
#include "tact/detail/pool.hpp"
#include "tact/detail/reply_slot.hpp"
#include "tact/errors.hpp"
#include "tact/outcome.hpp"

namespace tact {

template <class R>
class Promise;

namespace detail {
// Lets the runtime build a Reply around a slot it allocated with a request.
template <class R>
struct ReplyAccess;
template <class R>
struct PromiseAccess;
}  // namespace detail

template <class R>
class Reply {
 public:
  // What try_get() returns: std::optional<R>, or bool for Reply<void>.
  using TryResult = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;

  Reply() noexcept = default;
  Reply(Reply&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
  Reply& operator=(Reply&& other) noexcept {
    if (this != &other) {
      reset();
      slot_ = std::exchange(other.slot_, nullptr);
    }
    return *this;
  }
  ~Reply() { reset(); }

  // True while this handle still holds an unconsumed answer (pending or ready).
  bool valid() const noexcept { return slot_ != nullptr; }
  // True once the answer is there (get() will not block). False when !valid().
  bool ready() const noexcept { return slot_ != nullptr && slot_->ready(); }

  // Blocks until the answer arrives. Throws its error, tact::WouldBlockWorker on
  // a runtime worker thread, tact::InvalidReply when !valid().
  R get() {
    check_blocking_allowed();
    slot_->wait();
    return consume();
  }

  // As get(), but throws tact::Timeout once `timeout` has passed (the Reply stays
  // valid then).
  template <class Rep, class Period>
  R get_for(std::chrono::duration<Rep, Period> timeout) {
    return get_until(deadline_after(timeout));
  }
  R get_until(std::chrono::steady_clock::time_point deadline) {
    check_blocking_allowed();
    if (!slot_->wait_until(deadline)) throw Timeout();
    return consume();
  }

  // Never blocks. Empty (false for void) while pending; otherwise consumes the
  // Reply and returns the value, or throws its error.
  TryResult try_get() {
    if (slot_ == nullptr) throw InvalidReply();
    if (!slot_->ready()) return TryResult{};
    if constexpr (std::is_void_v<R>) {
      consume();
      return true;
    } else {
      return TryResult{consume()};
    }
  }

  // Consumes the Reply: `f(tact::Outcome<R>)` runs exactly once, on the thread
  // that sets the answer, or on this one, now, if the answer is already there.
  template <class F>
  void then(F&& f) {
    static_assert(std::is_invocable_v<std::decay_t<F>&, Outcome<R>>,
                  "tact::Reply<R>::then(f): f must be callable as f(tact::Outcome<R>)");
    if (slot_ == nullptr) throw InvalidReply();
    using Fn = std::decay_t<F>;
    // From the block pool, as the slot is: the callback is freed where the answer
    // is set, often another thread, where malloc's free is slow (pool.hpp).
    void* memory = allocate_continuation<Fn>();
    Fn* fn;
    try {
      fn = ::new (memory) Fn(std::forward<F>(f));
    } catch (...) {
      free_continuation<Fn>(memory);
      throw;
    }
    std::exchange(slot_, nullptr)->set_continuation(&run_continuation<Fn>, fn);
  }

 private:
  friend class Promise<R>;
  template <class>
  friend struct detail::ReplyAccess;
  explicit Reply(detail::ReplySlot<R>* slot) noexcept : slot_(slot) {}

  void check_blocking_allowed() const {
    if (slot_ == nullptr) throw InvalidReply();
    if (detail::blocking_forbidden()) throw WouldBlockWorker();
  }

  // After ready(): takes the outcome, frees the slot, returns or throws. The slot
  // is freed even if moving R out throws (the Reply is consumed either way).
  R consume() {
    struct Release {
      detail::ReplySlot<R>* slot;
      ~Release() { slot->release_consumed(); }
    } release{std::exchange(slot_, nullptr)};
    Outcome<R> outcome = release.slot->take_outcome();
    if constexpr (std::is_void_v<R>) {
      outcome.value();
    } else {
      return std::move(outcome).value();
    }
  }

  // now + timeout, saturated: get_for(hours::max()) means "no deadline", not an
  // overflowed one in the past.
  template <class Rep, class Period>
  static std::chrono::steady_clock::time_point deadline_after(
      std::chrono::duration<Rep, Period> timeout) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point now = ::tact::detail::steady_now();
    if (timeout <= timeout.zero()) return now;
    // Compared in double seconds, which cannot overflow whatever Rep/Period is;
    // the one-second margin absorbs double's rounding (~1 us at this range).
    using Seconds = std::chrono::duration<double>;
    const Clock::duration room = Clock::time_point::max() - now - std::chrono::seconds(1);
    if (Seconds(timeout) >= Seconds(room)) return Clock::time_point::max();
    return now + std::chrono::ceil<Clock::duration>(timeout);
  }

  void reset() noexcept {
    if (slot_ != nullptr) std::exchange(slot_, nullptr)->abandon();
  }

  // The pool's blocks are 16-byte aligned; a more aligned callable uses new.
  template <class Fn>
  static void* allocate_continuation() {
    if constexpr (alignof(Fn) <= 16) {
      return detail::pool_allocate(sizeof(Fn));
    } else {
      return ::operator new(sizeof(Fn), std::align_val_t(alignof(Fn)));
    }
  }
  template <class Fn>
  static void free_continuation(void* memory) noexcept {
    if constexpr (alignof(Fn) <= 16) {
      detail::pool_free(memory, sizeof(Fn));
    } else {
      ::operator delete(memory, std::align_val_t(alignof(Fn)));  // unsized: see detail/pool.hpp
    }
  }

  template <class Fn>
  static void run_continuation(detail::ReplySlotBase* base, void* ctx) noexcept {
    Fn* fn = static_cast<Fn*>(ctx);
    (*fn)(static_cast<detail::ReplySlot<R>*>(base)->take_outcome());  // noexcept: throw terminates
    fn->~Fn();
    free_continuation<Fn>(fn);
  }

  detail::ReplySlot<R>* slot_ = nullptr;
};

// Promise<R>: the right to answer one Reply<R>, once, from any thread.
// Dropping it unanswered answers tact::BrokenPromise.
template <class R>
class Promise {
 public:
  Promise() noexcept = default;
  Promise(Promise&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
  Promise& operator=(Promise&& other) noexcept {
    if (this != &other) {
      break_if_pending();
      slot_ = std::exchange(other.slot_, nullptr);
    }
    return *this;
  }
  ~Promise() { break_if_pending(); }

  // A connected pair: the Reply to hand to the asker, this Promise to answer it.
  static std::pair<Promise, Reply<R>> make() {
    auto* slot = detail::ReplySlot<R>::create();
    return {Promise(slot), Reply<R>(slot)};
  }

  // True until answered (or moved from).
  bool pending() const noexcept { return slot_ != nullptr; }

  // Answers with a value built in place from `args` (no argument for
  // Promise<void>). Throws tact::InvalidReply when already answered; if R's
  // constructor throws, the Promise stays pending.
  template <class... Args>
  void set_value(Args&&... args) {
    if (slot_ == nullptr) throw InvalidReply();
    slot_->store_value(std::forward<Args>(args)...);
    std::exchange(slot_, nullptr)->publish();
  }

  // Answers with an error. Throws tact::InvalidReply when already answered,
  // std::invalid_argument for a null `error` (a null error carries nothing to throw).
  void set_error(std::exception_ptr error) {
    if (slot_ == nullptr) throw InvalidReply();
    if (!error) throw std::invalid_argument("tact::Promise::set_error: null exception_ptr");
    slot_->store_error(std::move(error));
    std::exchange(slot_, nullptr)->publish();
  }

 private:
  template <class>
  friend struct detail::PromiseAccess;
  explicit Promise(detail::ReplySlot<R>* slot) noexcept : slot_(slot) {}

  void break_if_pending() noexcept {
    if (slot_ == nullptr) return;
    slot_->store_error(std::make_exception_ptr(BrokenPromise()));
    std::exchange(slot_, nullptr)->publish();
  }

  detail::ReplySlot<R>* slot_ = nullptr;
};

namespace detail {
// The runtime's side of Reply and Promise: building them around a slot it
// allocated, and the awaiters' access to a Reply's slot.
template <class R>
struct ReplyAccess {
  static Reply<R> adopt(ReplySlot<R>* slot) noexcept { return Reply<R>(slot); }
  static ReplySlot<R>* slot(const Reply<R>& reply) noexcept { return reply.slot_; }
  // After ready(): as get() without the wait.
  static R consume(Reply<R>& reply) { return reply.consume(); }
};
template <class R>
struct PromiseAccess {
  static Promise<R> adopt(ReplySlot<R>* slot) noexcept { return Promise<R>(slot); }
};
}  // namespace detail

}  // namespace tact
