// Recipient<M>: any actor that handles M, without naming its class.
// ReplyRecipient<M, R>: the same, for asks whose reply is R.
//
//   tact::Recipient<Tick> r = clock_ref;           // from any ActorRef<A> whose A handles Tick
//   r.tell(Tick{});                                 // as clock_ref.tell(Tick{})
//   tact::ReplyRecipient<Get, int> q = counter_ref; // A::handle(Get) must answer int
//   int n = q.ask(Get{}).get();
//
// A recipient is a counted reference to the actor (like ActorAddress) plus one
// pointer to a static table of the (A, M) operations: two pointers, copyable,
// comparable (equal when they name the same actor) and hashable, usable from
// any thread. tell/try_tell/ask behave exactly as the ActorRef's (dead letters,
// bounded mailboxes, ActorStopped, proxies of remote actors).
//
// Converting an ActorRef<A> whose A has no handle(M) is a compile error naming
// A and M (tact::detail::actor_has_no_handler_for<A, M>); for ReplyRecipient, a
// handler answering something other than R names A, M and R.
#pragma once

#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

#include "tact/actor_ref.hpp"
#include "tact/address.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/errors.hpp"
#include "tact/reply.hpp"

namespace tact {

template <class M>
class Recipient;
template <class M, class R>
class ReplyRecipient;

namespace detail {

// The operations of one (A, M) pair, through a cell the recipient counts.
template <class M>
struct RecipientOps {
  bool (*tell)(CellBase* cell, M&& msg);
  bool (*try_tell)(CellBase* cell, M&& msg);
};
template <class M, class R>
struct ReplyRecipientOps {
  RecipientOps<M> base;  // first: a ReplyRecipient converts to a Recipient
  Reply<R> (*ask)(CellBase* cell, M&& msg);
};

// An ActorRef<A> over a reference someone else counts, for one call.
template <class A>
class BorrowedRef {
 public:
  explicit BorrowedRef(CellBase* cell) noexcept : ref_(RefAccess<A>::adopt(cell)) {}
  BorrowedRef(const BorrowedRef&) = delete;
  BorrowedRef& operator=(const BorrowedRef&) = delete;
  ~BorrowedRef() { RefAccess<A>::forget(ref_); }
  const ActorRef<A>& get() const noexcept { return ref_; }

 private:
  ActorRef<A> ref_;
};

template <class A, class M>
struct RecipientTable {
  static bool tell(CellBase* cell, M&& msg) { return BorrowedRef<A>(cell).get().tell(std::move(msg)); }
  static bool try_tell(CellBase* cell, M&& msg) {
    return BorrowedRef<A>(cell).get().try_tell(std::move(msg));
  }
  static constexpr RecipientOps<M> kOps{&tell, &try_tell};
};

template <class A, class M, class R>
struct ReplyRecipientTable {
  static Reply<R> ask(CellBase* cell, M&& msg) { return BorrowedRef<A>(cell).get().ask(std::move(msg)); }
  static constexpr ReplyRecipientOps<M, R> kOps{RecipientTable<A, M>::kOps, &ask};
};

// Instantiated only when A::handle(M) answers something other than R, so that
// the first error line names all three.
template <class Actor, class Message, class Expected>
struct actor_reply_type_differs {
  static_assert(std::is_same_v<ReplyType<Actor, Message>, Expected>,
                "tact: ReplyRecipient<Message, R> from an ActorRef<Actor> whose handle(Message) "
                "answers another type than R (the types are named in the instantiation line above)");
};

// The cell under a recipient, for tact's own containers (Topic).
struct RecipientAccess {
  template <class M>
  static CellBase* cell(const Recipient<M>& r) noexcept {
    return AddressAccess::cell(r.address_);
  }
};

template <class M>
using DeclaredReply = typename M::reply_type;

}  // namespace detail

template <class M>
class Recipient {
  static_assert(std::is_same_v<M, std::remove_cvref_t<M>>,
                "tact::Recipient<M>: M is a plain message type (no const, no reference)");

 public:
  Recipient() noexcept = default;

  // From any ref whose actor handles M (implicit: a ref is a recipient).
  template <class A>
  Recipient(const ActorRef<A>& ref) noexcept  // NOLINT(google-explicit-constructor)
      : address_(ref.address()), ops_(ops_for<A>()) {}

  // A ReplyRecipient can do all a Recipient can.
  template <class R>
  Recipient(const ReplyRecipient<M, R>& other) noexcept  // NOLINT(google-explicit-constructor)
      : address_(other.address_), ops_(other.ops_ != nullptr ? &other.ops_->base : nullptr) {}

  // As ActorRef<A>::tell / try_tell. Throw tact::Error on an empty recipient.
  bool tell(const M& msg) const { return checked_ops().tell(cell(), M(msg)); }
  bool tell(M&& msg) const { return checked_ops().tell(cell(), std::move(msg)); }
  bool try_tell(M&& msg) const { return checked_ops().try_tell(cell(), std::move(msg)); }

  // The actor's address: watch it, compare it with an ActorRef.
  const ActorAddress& address() const noexcept { return address_; }
  explicit operator bool() const noexcept { return static_cast<bool>(address_); }
  friend bool operator==(const Recipient& a, const Recipient& b) noexcept {
    return a.address_ == b.address_;
  }
  std::size_t hash() const noexcept { return address_.hash(); }

 private:
  friend struct detail::RecipientAccess;

  template <class A>
  static const detail::RecipientOps<M>* ops_for() noexcept {
    if constexpr (!detail::kHandles<A, M>) {
      (void)detail::actor_has_no_handler_for<A, M>{};
      return nullptr;
    } else {
      return &detail::RecipientTable<A, M>::kOps;
    }
  }
  detail::CellBase* cell() const noexcept { return detail::AddressAccess::cell(address_); }
  const detail::RecipientOps<M>& checked_ops() const {
    if (ops_ == nullptr || !address_) throw Error("tact: tell on an empty Recipient (default-constructed or moved from)");
    return *ops_;
  }

  ActorAddress address_;
  const detail::RecipientOps<M>* ops_ = nullptr;
};

template <class M, class R = detail::DeclaredReply<M>>
class ReplyRecipient {
  static_assert(std::is_same_v<M, std::remove_cvref_t<M>>,
                "tact::ReplyRecipient<M, R>: M is a plain message type (no const, no reference)");

 public:
  ReplyRecipient() noexcept = default;

  // From any ref whose actor handles M and answers R.
  template <class A>
  ReplyRecipient(const ActorRef<A>& ref) noexcept  // NOLINT(google-explicit-constructor)
      : address_(ref.address()), ops_(ops_for<A>()) {}

  bool tell(const M& msg) const { return checked_ops().base.tell(cell(), M(msg)); }
  bool tell(M&& msg) const { return checked_ops().base.tell(cell(), std::move(msg)); }
  bool try_tell(M&& msg) const { return checked_ops().base.try_tell(cell(), std::move(msg)); }
  // As ActorRef<A>::ask.
  Reply<R> ask(const M& msg) const { return checked_ops().ask(cell(), M(msg)); }
  Reply<R> ask(M&& msg) const { return checked_ops().ask(cell(), std::move(msg)); }

  const ActorAddress& address() const noexcept { return address_; }
  explicit operator bool() const noexcept { return static_cast<bool>(address_); }
  friend bool operator==(const ReplyRecipient& a, const ReplyRecipient& b) noexcept {
    return a.address_ == b.address_;
  }
  std::size_t hash() const noexcept { return address_.hash(); }

 private:
  friend class Recipient<M>;

  template <class A>
  static const detail::ReplyRecipientOps<M, R>* ops_for() noexcept {
    if constexpr (!detail::kHandles<A, M>) {
      (void)detail::actor_has_no_handler_for<A, M>{};
      return nullptr;
    } else if constexpr (!std::is_same_v<detail::ReplyType<A, M>, R>) {
      (void)detail::actor_reply_type_differs<A, M, R>{};
      return nullptr;
    } else {
      return &detail::ReplyRecipientTable<A, M, R>::kOps;
    }
  }
  detail::CellBase* cell() const noexcept { return detail::AddressAccess::cell(address_); }
  const detail::ReplyRecipientOps<M, R>& checked_ops() const {
    if (ops_ == nullptr || !address_) throw Error("tact: tell/ask on an empty ReplyRecipient (default-constructed or moved from)");
    return *ops_;
  }

  ActorAddress address_;
  const detail::ReplyRecipientOps<M, R>* ops_ = nullptr;
};

}  // namespace tact

template <class M>
struct std::hash<tact::Recipient<M>> {
  std::size_t operator()(const tact::Recipient<M>& r) const noexcept { return r.hash(); }
};
template <class M, class R>
struct std::hash<tact::ReplyRecipient<M, R>> {
  std::size_t operator()(const tact::ReplyRecipient<M, R>& r) const noexcept { return r.hash(); }
};
