// Envelopes that count themselves in and out of a pool member's load: the
// member's `queued` goes up when the message is queued and down once it is
// handled (or rejected, the member having stopped). tact::Pool's least-loaded
// routing reads it as the member's mailbox depth — the messages sent through
// the pool and not yet taken — so the actors' own hot path pays nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "tact/detail/atomic.hpp"
#include "tact/detail/envelope.hpp"

namespace tact::detail {

struct MemberLoad {
  // Messages queued through the pool and not yet handled. Only a hint for
  // routing: relaxed throughout (nothing else is published through it).
  Atomic<std::int64_t> queued{0};
};

// Counts a message in; the envelope's handling counts it out. Any thread.
inline void load_count_in(MemberLoad& load) noexcept { load.queued.fetch_add(1, relaxed); }
inline void load_count_out(MemberLoad& load) noexcept { load.queued.fetch_sub(1, relaxed); }
inline std::int64_t load_read(const MemberLoad& load) noexcept { return load.queued.load(relaxed); }

// As TellEnvelope (envelope.hpp), counted.
template <class A, class M>
struct CountedTellEnvelope final : Envelope {
  template <class... Args>
  explicit CountedTellEnvelope(std::shared_ptr<MemberLoad> l, Args&&... args)
      : Envelope(&run), load(std::move(l)), payload(std::forward<Args>(args)...) {}

  static void run(Envelope* base, CellBase* cell, void* object, EnvelopeOp op) noexcept {
    auto* self = static_cast<CountedTellEnvelope*>(base);
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
    load_count_out(*self->load);
    self->load.reset();
    self->fn = &free_shell<CountedTellEnvelope>;  // only kFree is left
  }

  std::shared_ptr<MemberLoad> load;
  Payload<M> payload;
};

// As AskEnvelope (envelope.hpp), counted.
template <class A, class M, class R>
struct CountedAskEnvelope final : Envelope {
  template <class... Args>
  explicit CountedAskEnvelope(std::shared_ptr<MemberLoad> l, ReplySlot<R>* s, Args&&... args)
      : Envelope(&run), load(std::move(l)), slot(s), payload(std::forward<Args>(args)...) {}

  static void run(Envelope* base, CellBase* cell, void* object, EnvelopeOp op) noexcept {
    auto* self = static_cast<CountedAskEnvelope*>(base);
    if (op == EnvelopeOp::kFree) {
      delete self;
      return;
    }
    ReplySlot<R>* s = self->slot;
    bool publish = true;
    if (is_handle(op)) {
      publish = dispatch_message<A, M, R>(cell, object, self->payload.msg, s, op);
    } else {
      count_dead_letter_of<M>(cell);
      s->store_error(error_actor_stopped());
    }
    self->payload.msg.~M();
    load_count_out(*self->load);
    self->load.reset();
    self->fn = &free_shell<CountedAskEnvelope>;  // only kFree is left
    if (publish) s->publish();  // the writer's last touch of the slot
  }

  std::shared_ptr<MemberLoad> load;
  ReplySlot<R>* slot;
  Payload<M> payload;
};

}  // namespace tact::detail
