// What the public templates may do with an actor cell. The cell's layout (its
// mailbox, state, links) lives in src/actor/cell.hpp, so the lock-free parts
// stay private to libtact.a; templates see only this base, the inline fast paths
// here, and the calls declared in runtime_abi.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "tact/detail/atomic.hpp"
#include "tact/detail/runtime_abi.hpp"
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
  // the mailbox has a bound (src/actor/mailbox_bound.hpp), read by senders to
  // skip the bound check otherwise; and which shard of the live-actor registry
  // holds the cell (src/actor/runtime_core.hpp); and whether the cell is a
  // proxy (proxy.hpp): its messages are forwarded on the sender's thread.
  bool bounded : 1 = false;
  bool proxy : 1 = false;
  unsigned char registry_shard : 6 = 0;
};

// Per-actor-class operations, one static table per class A.
struct ActorVTable {
  void (*destroy)(void* object) noexcept;  // ~A()
  void (*on_start)(void* object, CellBase* cell);  // nullptr: A has no on_start
  void (*on_stop)(void* object, CellBase* cell);   // nullptr: A has no on_stop
  std::size_t size;
  std::size_t align;
  std::uint32_t mailbox_bound;  // the class's own bound; 0: the runtime's default
  std::string_view name;        // for metrics and hooks (type_name.hpp)
  // A metered actor's own copy of its class's table (Runtime::spawn_metered):
  // the worker tallies turns by table, so its metrics land in a series of their
  // own for free, and MetricsHub adds them to the class's too. nullptr and
  // empty in a class's own table.
  const ActorVTable* metered_class = nullptr;
  std::string_view actor_name = {};
};

// The class's own table, for a metered actor's copy too.
inline const ActorVTable* class_vtable(const ActorVTable* vtable) noexcept {
  return vtable->metered_class != nullptr ? vtable->metered_class : vtable;
}

// -- references -----------------------------------------------------------------------------
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

// -- bounded mailboxes (user messages) ----------------------------------------------------------
enum class Reserve : unsigned char { kOk, kFull, kStopped };
// Any thread, before building a user message's envelope: a place in the
// mailbox. kOk: deliver it with cell_deliver_reserved (or give the place back
// with cell_unreserve). kStopped is reported only for a full bounded mailbox.
inline Reserve cell_reserve(CellBase* cell) noexcept {
  return cell->bounded ? cell_reserve_bounded(cell) : Reserve::kOk;
}

}  // namespace tact::detail
