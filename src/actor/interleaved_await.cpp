#include "actor/interleaved_await.hpp"

#include <coroutine>

#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"
#if defined(TACT_SIM_BUGS)
#include "sim/bugs.hpp"
#endif

namespace tact::detail {

// One outstanding interleaved await: the reply slot's Waker, then the envelope
// that resumes the coroutine in the actor's mailbox.
struct ResumeEnvelope final : Envelope, Waker {
  ResumeEnvelope(Cell* c, ReplySlotBase* s, void* co, bool* reg) noexcept
      : Envelope(&run), Waker(&deliver), cell(c), slot(s), coroutine(co), registered(reg) {}

  // The writer published: into the mailbox. The reference taken at the await
  // keeps the cell alive for the delivery. Through the mailbox even when the
  // actor is stopping: its runner may be in drop_interleaved_awaits, touching
  // this envelope and its slot, and a rejection here (destroying the coroutine,
  // whose Reply frees the slot) would race it; the runner rejects it instead,
  // or whoever takes the rights after it (ordered by the mailbox).
  static void deliver(Waker* waker) noexcept {
    auto& self = static_cast<ResumeEnvelope&>(*waker);  // never null: a reference
    Cell* target = self.cell;
    // May be handled (and freed) at once: read nothing after.
#if defined(TACT_SIM_BUGS)
    if (sim::bug_on(sim::Bug::kInterleavedResumeRejectedEarly)) {
      (void)cell_deliver(target, &self);  // before c3a95e2: rejected here when stopped
      cell_release(target);
      return;
    }
#endif
    (void)cell_deliver_through_mailbox(target, &self);
    cell_release(target);
  }

  static void run(Envelope* base, CellBase*, void*, EnvelopeOp op) noexcept {
    auto* self = static_cast<ResumeEnvelope*>(base);
    if (op == EnvelopeOp::kFree) {
      delete self;
      return;
    }
    auto coroutine = std::coroutine_handle<>::from_address(self->coroutine);
    *self->registered = false;  // the awaiter's flag: the registration is used up
    if (is_handle(op) && !self->dropped) {
      unlink(extras_known(self->cell).interleaved, self);
      coroutine.resume();
    } else {
      coroutine.destroy();  // the actor stopped (or restarted) first: it unlinked us
    }
  }

  static void link(InterleavedAwaits& awaits, ResumeEnvelope* e) noexcept {
    e->next = awaits.head;
    if (awaits.head != nullptr) awaits.head->prev = e;
    awaits.head = e;
  }
  static void unlink(InterleavedAwaits& awaits, ResumeEnvelope* e) noexcept {
    if (e->prev != nullptr) {
      e->prev->next = e->next;
    } else {
      awaits.head = e->next;
    }
    if (e->next != nullptr) e->next->prev = e->prev;
    e->prev = e->next = nullptr;
  }

  Cell* cell;
  ReplySlotBase* slot;
  void* coroutine;
  bool* registered;
  // Runner-only: dropped while its reply was in flight, by a supervised child's
  // restart (the actor lives on, so this envelope is handled, not rejected).
  bool dropped = false;
  ResumeEnvelope* prev = nullptr;  // InterleavedAwaits (runner-only)
  ResumeEnvelope* next = nullptr;
};

bool handler_await_interleaved(CellBase* base, ReplySlotBase* slot, void* coroutine, bool* registered) {
  Cell* cell = Cell::from(base);
  InterleavedAwaits& awaits = extras_or_make(cell).interleaved;  // may throw: before anything else
  auto* envelope = new ResumeEnvelope(cell, slot, coroutine, registered);
  ResumeEnvelope::link(awaits, envelope);
  cell_retain(cell);  // for the delivery (released in deliver)
  *registered = true;
  if (slot->register_waker(*envelope)) return true;
  // The reply is already there: resume at once, nothing to wake.
  *registered = false;
  ResumeEnvelope::unlink(awaits, envelope);
  cell_release(cell);  // not the last: the caller's actor is live
  delete envelope;
  return false;
}

void drop_interleaved_awaits(InterleavedAwaits& awaits) noexcept {
  while (ResumeEnvelope* envelope = awaits.head) {
    ResumeEnvelope::unlink(awaits, envelope);
    if (envelope->slot->withdraw_waker()) {
      envelope->dropped = true;  // the reply is in: its delivery drops it
      continue;
    }
    *envelope->registered = false;
    Cell* cell = envelope->cell;
    std::coroutine_handle<>::from_address(envelope->coroutine).destroy();
    delete envelope;
    cell_release(cell);  // not the last: the stopping runner's registry reference remains
  }
}

}  // namespace tact::detail
