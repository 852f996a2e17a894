// Behaviour<A>: a different handler set an actor switches to with
// ctx.become(...) — how it treats its next messages, as CAF's become. Messages
// the active behaviour has no handler for go to A's own handle() overloads, so
// a behaviour lists only what it treats differently. ctx.unbecome() goes back.
//
//   class Door {
//    public:
//     void handle(Lock, tact::Context<Door>& ctx) { ctx.become(locked()); }
//     std::string handle(Knock) { return "come in"; }
//    private:
//     tact::Behaviour<Door> locked() {
//       return tact::Behaviour<Door>{
//           [](Knock) { return std::string("go away"); },
//           [](Unlock, tact::Context<Door>& ctx) { ctx.unbecome(); }};
//     }
//   };
//
// Rules: each handler takes (M) or (M, tact::Context<A>&), for a message type
// A itself handles, and returns what A::handle(M) returns (the ask's reply
// type is fixed by A), or tact::Delegated<R>; coroutine handlers stay member
// functions (a suspended lambda would outlive a replaced behaviour). A become
// takes effect from the next message. Through its own state (a std::variant of
// states, say) an actor can switch without any of this; a Behaviour suits
// when whole handler sets change.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "tact/delegated.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/handle_message.hpp"
#include "tact/detail/reply_slot.hpp"
#include "tact/detail/runtime_abi.hpp"
#include "tact/detail/stash_point.hpp"  // MessageTag
#include "tact/fwd.hpp"

namespace tact {

namespace detail {

// One message type's handler, type-erased.
struct BehaviourEntry {
  const void* message_type;  // &MessageTag<M>::id
  void* fn;                  // the handler (owned)
  void (*destroy)(void* fn) noexcept;
  // Handles the message at `msg` (an M&) as handle_message does; returns true
  // if the caller must publish `slot`.
  bool (*invoke)(void* fn, CellBase* cell, void* msg, void* slot) noexcept;
};

class BehaviourTable {
 public:
  BehaviourTable() = default;
  BehaviourTable(BehaviourTable&& other) noexcept : entries_(std::move(other.entries_)) {}
  BehaviourTable& operator=(BehaviourTable&& other) noexcept {
    if (this != &other) {
      clear();
      entries_ = std::move(other.entries_);
    }
    return *this;
  }
  BehaviourTable(const BehaviourTable&) = delete;
  BehaviourTable& operator=(const BehaviourTable&) = delete;
  ~BehaviourTable() { clear(); }

  const BehaviourEntry* find(const void* message_type) const noexcept {
    for (const BehaviourEntry& e : entries_) {
      if (e.message_type == message_type) return &e;
    }
    return nullptr;
  }
  void add(BehaviourEntry entry) { entries_.push_back(entry); }
  bool empty() const noexcept { return entries_.empty(); }

 private:
  void clear() noexcept {
    for (BehaviourEntry& e : entries_) e.destroy(e.fn);
    entries_.clear();
  }
  std::vector<BehaviourEntry> entries_;
};


// What a handler callable takes: its message type and whether it wants the context.
template <class F>
struct HandlerSignature : HandlerSignature<decltype(&F::operator())> {};
template <class C, class R, class M, class... Rest>
struct HandlerSignature<R (C::*)(M, Rest...) const> {
  using Message = std::remove_cvref_t<M>;
  static constexpr bool kTakesContext = sizeof...(Rest) == 1;
  static_assert(sizeof...(Rest) <= 1, "tact::Behaviour: a handler takes (M) or (M, tact::Context<A>&)");
};
template <class C, class R, class M, class... Rest>
struct HandlerSignature<R (C::*)(M, Rest...)> : HandlerSignature<R (C::*)(M, Rest...) const> {};

}  // namespace detail

template <class A>
class Behaviour {
 public:
  template <class... Fs>
  explicit Behaviour(Fs&&... handlers) {
    (add(std::forward<Fs>(handlers)), ...);
  }

 private:
  friend class Context<A>;

  template <class F>
  void add(F&& handler);

  detail::BehaviourTable table_;
};

template <class A>
template <class F>
void Behaviour<A>::add(F&& handler) {
  using Fn = std::decay_t<F>;
  using Signature = detail::HandlerSignature<Fn>;
  using M = typename Signature::Message;
  if constexpr (!detail::kHandles<A, M>) {
    (void)detail::actor_has_no_handler_for<A, M>{};
  } else {
    using R = detail::ReplyType<A, M>;
    auto call = [](Fn& fn, M&& msg, Context<A>& ctx) -> decltype(auto) {
      if constexpr (Signature::kTakesContext) {
        return fn(std::move(msg), ctx);
      } else {
        return fn(std::move(msg));
      }
    };
    using Ret = std::decay_t<decltype(call(std::declval<Fn&>(), std::declval<M&&>(),
                                           std::declval<Context<A>&>()))>;
    static_assert(!detail::IsTask<Ret>::value,
                  "tact::Behaviour: coroutine handlers stay member functions of the actor");
    static_assert(std::is_same_v<typename detail::ReplyOf<Ret>::type, R>,
                  "tact::Behaviour: a handler must answer with what A::handle(M) answers");
    auto* fn = new Fn(std::forward<F>(handler));
    try {
      table_.add(detail::BehaviourEntry{
          &detail::MessageTag<M>::id, fn, [](void* f) noexcept { delete static_cast<Fn*>(f); },
          [](void* f, detail::CellBase* cell, void* msg, void* slot) noexcept {
            return detail::handle_message<A, M, R>(
                cell, *static_cast<M*>(msg), static_cast<detail::ReplySlot<R>*>(slot),
                [f](M&& m, Context<A>& ctx) -> decltype(auto) {
                  if constexpr (Signature::kTakesContext) {
                    return (*static_cast<Fn*>(f))(std::move(m), ctx);
                  } else {
                    return (*static_cast<Fn*>(f))(std::move(m));
                  }
                });
          }});
    } catch (...) {
      delete fn;
      throw;
    }
  }
}

}  // namespace tact
