// Envelopes: the intrusive mailbox nodes that carry one message each. The base
// is a queue link plus one function pointer; each (Actor, Message) pair
// instantiates the function that handles (or rejects) its own envelope type, so
// dispatch is one indirect call, with the payload inline.
#pragma once

#include <exception>
#include <utility>

#include "tact/detail/cell.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/mpsc_node.hpp"
#include "tact/detail/pool.hpp"
#include "tact/detail/reply_slot.hpp"
#include "tact/errors.hpp"

namespace tact::detail {

// Out of line (cell.cpp): building an exception_ptr is not for the hot path.
std::exception_ptr make_actor_stopped() noexcept;
std::exception_ptr make_handler_failed(std::exception_ptr cause) noexcept;

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
      try {
        Context<A> ctx(cell);
        (void)invoke_handler(*static_cast<A*>(object), std::move(self->payload.msg), ctx);
      } catch (...) {
        cell_fail(cell, std::current_exception());
      }
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
    if (op == EnvelopeOp::kHandle) {
      try {
        Context<A> ctx(cell);
        if constexpr (std::is_void_v<R>) {
          invoke_handler(*static_cast<A*>(object), std::move(self->payload.msg), ctx);
          slot->store_value();
        } else {
          slot->store_value(
              invoke_handler(*static_cast<A*>(object), std::move(self->payload.msg), ctx));
        }
      } catch (...) {
        std::exception_ptr error = std::current_exception();
        slot->store_error(make_handler_failed(error));
        cell_fail(cell, std::move(error));
      }
    } else {
      cell_count_dead_letter(cell);
      slot->store_error(make_actor_stopped());
    }
    self->payload.msg.~M();  // the message first: its destructor runs before the asker wakes
    slot->publish();         // the writer's last touch of the slot
  }

  ReplySlot<R>* slot;
  Payload<M> payload;
};

}  // namespace tact::detail
