// Envelopes: the intrusive mailbox nodes that carry one message each. The base
// is a queue link plus one function pointer; each (Actor, Message) pair
// instantiates the function that handles (or rejects) its own envelope type, so
// dispatch is one indirect call, with the payload inline.
#pragma once

#include <exception>
#include <utility>

#include "tact/detail/type_name.hpp"
#include "tact/behaviour.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/handle_message.hpp"
#include "tact/detail/mpsc_node.hpp"
#include "tact/detail/pool.hpp"
#include "tact/detail/reply_slot.hpp"
#include "tact/errors.hpp"

namespace tact::detail {

enum class EnvelopeOp : unsigned char {
  kHandle,  // run the handler on `object` (the actor); the payload is destroyed
  kHandleSwitched,  // as kHandle, the actor having switched behaviour (behaviour.hpp)
  kReject,  // the actor is stopped: resolve any reply with ActorStopped; the
            // payload is destroyed
  kFree,    // the mailbox retired the envelope (src/mailbox/mpsc_queue.hpp, I2):
            // free its memory
};

inline bool is_handle(EnvelopeOp op) noexcept {
  return op == EnvelopeOp::kHandle || op == EnvelopeOp::kHandleSwitched;
}

// Handling and freeing are separate steps because a handled envelope stays in
// its mailbox as the queue's dummy until the next message or the mailbox going
// idle retires it: the payload (and what it holds: refs, promises, buffers) goes
// at once, the few bytes of the shell a little later.
struct Envelope : MpscNode, PoolAllocated {
  // Never throws: a handler's exception fails the actor (handler_fail) and, for an
  // ask, answers HandlerFailed. Each op is applied once, kFree last. The
  // consumer owns everything but `next` (mpsc_queue.hpp, I2), so a handled
  // envelope may swap fn for a cheaper one that only frees (free_shell).
  using Fn = void (*)(Envelope* self, CellBase* cell, void* object, EnvelopeOp op) noexcept;
  Fn fn;
  // Set only when its sender sampled it for the metrics, with fn then
  // run_sampled (src/actor/sampled_send.hpp): left unset otherwise, so an
  // unsampled send pays no store for it.
  void* sample;

  explicit Envelope(Fn f) noexcept : fn(f) {}
};

// What a handled (or rejected) E's fn becomes: its kFree alone. The handling
// function saves and restores the registers its handler needs, so calling it
// again just to free the shell costs about three times this leaf, which is the
// sized delete and nothing else.
template <class E>
void free_shell(Envelope* self, CellBase* /*cell*/, void* /*object*/, EnvelopeOp /*op*/) noexcept {
  delete static_cast<E*>(self);
}

// The message inside an envelope, destroyed by hand when handled (see above).
template <class M>
union Payload {
  template <class... Args>
  explicit Payload(Args&&... args) : msg(std::forward<Args>(args)...) {}
  ~Payload() {}  // destroyed explicitly by the envelope's kHandle/kReject
  M msg;
};

// Runs the handler for an envelope's message: A's own (kHandle), or the active
// behaviour's when it has one for M (kHandleSwitched). See handle_message.
template <class A, class M, class R>
bool dispatch_message(CellBase* cell, void* object, M& msg, ReplySlot<R>* slot,
                      EnvelopeOp op) noexcept {
  if (op == EnvelopeOp::kHandleSwitched) {
    if (const BehaviourEntry* entry = handler_behaviour(cell).find(&MessageTag<M>::id)) {
      return entry->invoke(entry->fn, cell, &msg, slot);
    }
  }
  return handle_message<A, M, R>(
      cell, msg, slot, [object](M&& m, Context<A>& ctx) -> decltype(auto) {
        return invoke_handler(*static_cast<A*>(object), std::move(m), ctx);
      });
}

// Delivers a new user-message envelope E(args...) into a place reserved with
// cell_reserve: if building it throws, the place is given back first.
// kUrgent: through the system lane (ref.tell_urgent).
template <class E, bool kUrgent = false, class... Args>
bool deliver_reserved_new(CellBase* cell, Args&&... args) {
  Envelope* envelope;
  try {
    envelope = new E(std::forward<Args>(args)...);
  } catch (...) {
    cell_unreserve(cell);
    throw;
  }
  if constexpr (kUrgent) {
    return cell_deliver_urgent(cell, envelope);
  } else {
    return cell_deliver_reserved(cell, envelope);
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
    if (is_handle(op)) {
      (void)dispatch_message<A, M, ReplyType<A, M>>(cell, object, self->payload.msg, nullptr, op);
    } else {
      count_dead_letter_of<M>(cell);
    }
    self->payload.msg.~M();
    self->fn = &free_shell<TellEnvelope>;  // only kFree is left
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
    if (is_handle(op)) {
      publish = dispatch_message<A, M, R>(cell, object, self->payload.msg, slot, op);
    } else {
      count_dead_letter_of<M>(cell);
      slot->store_error(error_actor_stopped());
    }
    self->payload.msg.~M();      // the message first: its destructor runs before the asker wakes
    self->fn = &free_shell<AskEnvelope>;  // only kFree is left
    if (publish) slot->publish();  // the writer's last touch of the slot
  }

  ReplySlot<R>* slot;
  Payload<M> payload;
};

}  // namespace tact::detail
