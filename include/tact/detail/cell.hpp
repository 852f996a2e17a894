// What the public templates may do with an actor cell. The cell's layout (its
// mailbox, state, links) lives in src/runtime/cell.hpp, so the lock-free parts
// stay private to libtact.a; templates see only this base and these functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>

#include "tact/detail/atomic.hpp"
#include "tact/fwd.hpp"

namespace tact::detail {

// The first bytes of every cell: the reference count, public so that copying an
// ActorRef is an inline increment.
struct CellBase {
  // Counted references: every ActorRef, plus one held by the runtime while the
  // actor is alive. The cell's memory goes with the last one.
  Atomic<std::uint32_t> refs{0};
};

// Per-actor-class operations, one static table per class A.
struct ActorVTable {
  void (*destroy)(void* object) noexcept;  // ~A()
  void (*on_start)(void* object, CellBase* cell);  // nullptr: A has no on_start
  void (*on_stop)(void* object, CellBase* cell);   // nullptr: A has no on_stop
  std::size_t size;
  std::size_t align;
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

// -- inside a handler (the actor's runner only) ---------------------------------------------
void cell_request_stop(CellBase* cell) noexcept;                   // ctx.stop()
void cell_fail(CellBase* cell, std::exception_ptr error) noexcept;  // the handler threw
RuntimeCore* cell_runtime(CellBase* cell) noexcept;

// A user message reached a stopped actor (system messages are not counted).
void cell_count_dead_letter(CellBase* cell) noexcept;

}  // namespace tact::detail
