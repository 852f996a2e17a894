// What the public templates may do with an actor cell. The cell's layout (its
// mailbox, state, links) lives in src/runtime/cell.hpp, so the lock-free parts
// stay private to libtact.a; templates see only this base and these functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>

#include "tact/detail/atomic.hpp"
#include "tact/detail/waker.hpp"
#include "tact/fwd.hpp"

namespace tact::detail {

// The first bytes of every cell: the reference count, public so that copying an
// ActorRef is an inline increment.
struct CellBase {
  // Counted references: every ActorRef, plus one held by the runtime while the
  // actor is alive. The cell's memory goes with the last one.
  Atomic<std::uint32_t> refs{0};
  // Set once before the actor is published, read-only after (one byte):
  // the mailbox has a bound (src/runtime/mailbox_bound.hpp), read by senders to
  // skip the bound check otherwise; and which shard of the live-actor registry
  // holds the cell (src/runtime/runtime_core.hpp).
  bool bounded : 1 = false;
  unsigned char registry_shard : 7 = 0;
};

// Per-actor-class operations, one static table per class A.
struct ActorVTable {
  void (*destroy)(void* object) noexcept;  // ~A()
  void (*on_start)(void* object, CellBase* cell);  // nullptr: A has no on_start
  void (*on_stop)(void* object, CellBase* cell);   // nullptr: A has no on_stop
  std::size_t size;
  std::size_t align;
  std::uint32_t mailbox_bound;  // the class's own bound; 0: the runtime's default
};

// -- spawning (runtime.cpp, cell.cpp) ---------------------------------------------------
// Allocates a cell for one object of the table's class; throws tact::Error when
// the runtime is shutting down. The cell holds no references yet.
CellBase* cell_allocate(RuntimeCore* runtime, const ActorVTable* vtable);
// Where the object goes (placement new).
void* cell_object(CellBase* cell) noexcept;
// The object's constructor threw: free the raw cell.
void cell_abandon(CellBase* cell) noexcept;
// The object is built: the actor goes live. Returns the cell with one reference
// for the caller's ActorRef. If shutdown began meanwhile, destroys the object,
// frees the cell and throws tact::Error.
CellBase* cell_activate(CellBase* cell);

// -- references -----------------------------------------------------------------------------
void cell_free(CellBase* cell) noexcept;  // the last reference went

inline void cell_retain(CellBase* cell) noexcept {
  // relaxed: a new reference is made from an existing one, which keeps the cell
  // alive meanwhile; nothing is published (as std::shared_ptr's increment).
  cell->refs.fetch_add(1, relaxed);
}

inline void cell_release(CellBase* cell) noexcept {
  // acq_rel: release orders this holder's uses of the cell before the free;
  // acquire (for the last one) sees every other holder's uses before freeing.
  if (cell->refs.fetch_sub(1, acq_rel) == 1) cell_free(cell);
}

// -- messages -------------------------------------------------------------------------------
// Any thread. Queues `envelope`, scheduling the actor when its mailbox was idle.
// Returns false when the actor had stopped: the envelope was rejected (a dead
// letter; an ask resolves with tact::ActorStopped).
bool cell_deliver(CellBase* cell, Envelope* envelope) noexcept;

// -- bounded mailboxes (user messages) ----------------------------------------------------------
enum class Reserve : unsigned char { kOk, kFull, kStopped };
Reserve cell_reserve_bounded(CellBase* cell) noexcept;
// Any thread, before building a user message's envelope: a place in the
// mailbox. kOk: deliver it with cell_deliver_reserved (or give the place back
// with cell_unreserve). kStopped is reported only for a full bounded mailbox.
inline Reserve cell_reserve(CellBase* cell) noexcept {
  return cell->bounded ? cell_reserve_bounded(cell) : Reserve::kOk;
}
void cell_unreserve(CellBase* cell) noexcept;
// As cell_deliver, for an envelope whose place was reserved.
bool cell_deliver_reserved(CellBase* cell, Envelope* envelope) noexcept;
// A user message refused by a full mailbox (RuntimeStats::messages_refused).
void cell_count_refused(CellBase* cell) noexcept;
// co_await ref.send(): `waker` is woken once when the bounded mailbox of `cell`
// has room again (or the actor stopped). May throw std::bad_alloc.
void cell_wait_for_room(CellBase* cell, Waker& waker);
// Takes a registration back: true if it was still there (no wake will come).
bool cell_cancel_wait_for_room(CellBase* cell, Waker& waker) noexcept;

// -- stopping from any thread (ActorRef::stop / kill) ----------------------------------------
// A stop queued behind the mail already sent: the actor handles that, then stops.
void cell_stop_after_queued(CellBase* cell) noexcept;
// Stops the actor before its next turn (a suspended handler is woken and
// dropped); what is queued becomes dead letters.
void cell_kill(CellBase* cell) noexcept;

// -- suspension: a handler awaiting something (the actor's runner only) ---------------------
// Called when woken: resume the coroutine, or (killed) drop it: the actor stops.
using ResumeFn = void (*)(CellBase* cell, void* ctx, bool killed) noexcept;
// The Waker the awaited event must wake (the actor's Suspension; allocated on
// first use, throws std::bad_alloc).
Waker& cell_suspension_waker(CellBase* cell);
// Inside the handler: once it returns, the actor handles nothing more until the
// waker is woken (or the actor is killed); then `resume(cell, ctx, killed)` runs
// on a worker, as a handler would.
void cell_suspend(CellBase* cell, ResumeFn resume, void* ctx) noexcept;
// Where a coroutine handler's Context lives (in the actor's extras, so the
// reference it holds stays valid across suspensions): one pointer's room.
void* cell_context_storage(CellBase* cell);
// A killed resume that could not take back its waker registration (the event
// is in flight): waits until the wake has happened.
void cell_await_wake(CellBase* cell) noexcept;

// -- inside a handler (the actor's runner only) ---------------------------------------------
void cell_request_stop(CellBase* cell) noexcept;                   // ctx.stop()
void cell_fail(CellBase* cell, std::exception_ptr error) noexcept;  // the handler threw
RuntimeCore* cell_runtime(CellBase* cell) noexcept;

// A user message reached a stopped actor (system messages are not counted).
void cell_count_dead_letter(CellBase* cell) noexcept;

}  // namespace tact::detail
