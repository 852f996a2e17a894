// Envelopes: the intrusive mailbox nodes that carry one message each. The base
// is a queue link plus one function pointer; each (Actor, Message) pair
// instantiates the function that handles (or rejects) its own envelope type, so
// dispatch is one indirect call, with the payload inline.
#pragma once

#include <exception>
#include <new>
#include <utility>

#include "tact/delegated.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/mpsc_node.hpp"
#include "tact/detail/pool.hpp"
#include "tact/detail/reply_slot.hpp"
#include "tact/errors.hpp"
#include "tact/task.hpp"

namespace tact::detail {

enum class EnvelopeOp : unsigned char {
  kHandle,  // run the handler on `object` (the actor); the payload is destroyed
  kReject,  // the actor is stopped: resolve any reply with ActorStopped; the
            // payload is destroyed
  kFree,    // the mailbox retired the envelope (src/mailbox/mpsc_queue.hpp, I2):
            // free its memory
};

// Handling and freeing are separate steps because a handled envelope stays in
// its mailbox as the queue's dummy until the next message or the mailbox going
// idle retires it: the payload (and what it holds: refs, promises, buffers) goes
// at once, the few bytes of the shell a little later.
struct Envelope : MpscNode, PoolAllocated {
  // Never throws: a handler's exception fails the actor (cell_fail) and, for an
  // ask, answers HandlerFailed. Each op is applied once, kFree last.
  using Fn = void (*)(Envelope* self, CellBase* cell, void* object, EnvelopeOp op) noexcept;
  Fn fn;

  explicit Envelope(Fn f) noexcept : fn(f) {}
};

// The message inside an envelope, destroyed by hand when handled (see above).
template <class M>
union Payload {
  template <class... Args>
  explicit Payload(Args&&... args) : msg(std::forward<Args>(args)...) {}
  ~Payload() {}  // destroyed explicitly by the envelope's kHandle/kReject
  M msg;
};

// A coroutine handler's context: it must outlive the envelope's call.
template <class A>
Context<A>& stable_context(CellBase* cell) {
  static_assert(sizeof(Context<A>) <= sizeof(void*) && std::is_trivially_destructible_v<Context<A>>);
  return *::new (cell_context_storage(cell)) Context<A>(cell);
}

// Runs A's handler for `msg` and answers `slot` (nullptr: a tell) — now, or
// later for a coroutine (when it finishes) or a delegating handler (whoever
// holds the Promise). Returns true if the caller must publish `slot` (after
// destroying the message, so its destructor runs before the asker wakes).
// Never throws: a handler's exception fails the actor and answers HandlerFailed.
template <class A, class M, class R>
bool handle_message(CellBase* cell, void* object, M& msg, ReplySlot<R>* slot) noexcept {
  using Ret = HandlerReturn<A, M>;
  A& actor = *static_cast<A*>(object);
  if constexpr (IsTask<Ret>::value) {
    try {
      tact::Task<R> task = invoke_handler(actor, std::move(msg), stable_context<A>(cell));
      TaskAccess<R>::start(std::move(task), cell, slot);  // the task answers
      return false;
    } catch (...) {  // the frame could not be allocated
      std::exception_ptr error = std::current_exception();
      if (slot != nullptr) slot->store_error(make_handler_failed(error));
      cell_fail(cell, std::move(error));
      return slot != nullptr;
    }
  } else if constexpr (IsDelegated<Ret>::value) {
    DelegationScope<R> scope(slot);
    try {
      Context<A> ctx(cell);
      (void)invoke_handler(actor, std::move(msg), ctx);
      if (!scope.slot_still_ours()) return false;  // the Promise answers
      if (slot != nullptr) slot->store_error(std::make_exception_ptr(BrokenPromise()));
    } catch (...) {
      std::exception_ptr error = std::current_exception();
      if (slot != nullptr && scope.slot_still_ours()) slot->store_error(make_handler_failed(error));
      cell_fail(cell, std::move(error));
      if (!scope.slot_still_ours()) return false;
    }
    return slot != nullptr;
  } else {
    try {
      Context<A> ctx(cell);
      if constexpr (std::is_void_v<R>) {
        invoke_handler(actor, std::move(msg), ctx);
        if (slot != nullptr) slot->store_value();
      } else if (slot != nullptr) {
        slot->store_value(invoke_handler(actor, std::move(msg), ctx));
      } else {
        (void)invoke_handler(actor, std::move(msg), ctx);
      }
    } catch (...) {
      std::exception_ptr error = std::current_exception();
      if (slot != nullptr) slot->store_error(make_handler_failed(error));
      cell_fail(cell, std::move(error));
    }
    return slot != nullptr;
  }
}

// A tell: the message, no reply.
template <class A, class M>
struct TellEnvelope final : Envelope {
  template <class... Args>
  explicit TellEnvelope(Args&&... args) : Envelope(&run), payload(std::forward<Args>(args)...) {}

  static void run(Envelope* base, CellBase* cell, void* object, EnvelopeOp op) noexcept {
    auto* self = static_cast<TellEnvelope*>(base);
    if (op == EnvelopeOp::kFree) {
      delete self;
      return;
    }
    if (op == EnvelopeOp::kHandle) {
      (void)handle_message<A, M, ReplyType<A, M>>(cell, object, self->payload.msg, nullptr);
    } else {
      cell_count_dead_letter(cell);
    }
    self->payload.msg.~M();
  }

  Payload<M> payload;
};

// An ask: the message and the reply slot the handler's result goes to.
template <class A, class M, class R>
struct AskEnvelope final : Envelope {
  template <class... Args>
  explicit AskEnvelope(ReplySlot<R>* s, Args&&... args)
      : Envelope(&run), slot(s), payload(std::forward<Args>(args)...) {}

  static void run(Envelope* base, CellBase* cell, void* object, EnvelopeOp op) noexcept {
    auto* self = static_cast<AskEnvelope*>(base);
    if (op == EnvelopeOp::kFree) {
      delete self;
      return;
    }
    ReplySlot<R>* slot = self->slot;
    bool publish = true;
    if (op == EnvelopeOp::kHandle) {
      publish = handle_message<A, M, R>(cell, object, self->payload.msg, slot);
    } else {
      cell_count_dead_letter(cell);
      slot->store_error(make_actor_stopped());
    }
    self->payload.msg.~M();      // the message first: its destructor runs before the asker wakes
    if (publish) slot->publish();  // the writer's last touch of the slot
  }

  ReplySlot<R>* slot;
  Payload<M> payload;
};

}  // namespace tact::detail
