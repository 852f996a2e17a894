// CellExtras: the per-actor state only some actors need (timers, watchers and
// links, a mailbox bound, a suspended coroutine), kept out of the Cell so that
// the many idle actors stay small (docs/performance.md: bytes per idle actor).
//
// Allocated on first use by any thread (extras_or_make()), freed with the cell's
// memory (cell_free). Each section states who may touch it; a section added
// for a feature lives in that feature's folder and is included here.
#pragma once

#include <cassert>
#include <exception>
#include <memory>

#include "actor/backpressure.hpp"
#include "actor/cell.hpp"  // CellExtrasHead
#include "actor/interleaved_await.hpp"
#include "actor/mailbox_bound.hpp"
#include "actor/supervision/child.hpp"
#include "actor/supervision/ties.hpp"
#include "actor/suspension.hpp"
#include "actor/system_lane.hpp"
#include "actor/timers/actor_timers.hpp"
#include "tact/behaviour.hpp"

namespace tact::detail {

// CellExtrasHead (cell.hpp) comes first: the cell's one word for the runtime
// points here once the extras exist.
struct CellExtras : CellExtrasHead {
  CellExtras(Cell* cell, RuntimeCore* rt) noexcept : CellExtrasHead{rt}, suspension(cell) {}

  Suspension suspension;           // a parked handler (src/actor/suspension.hpp)
  SystemLane lane;                 // system messages and urgent mail (system_lane.hpp)
  InterleavedAwaits interleaved;   // coroutines awaiting with interleaving (runner-only)
  ActorTimers timers;              // src/actor/timers/actor_timers.hpp
  MailboxBound bound;              // src/actor/mailbox_bound.hpp (when bounded)
  MutedSenders muted;              // src/actor/backpressure.hpp (once overloaded)
  BehaviourTable behaviour;          // ctx.become: the active handler set (runner-only)
  BehaviourTable next_behaviour;     // set by become, active from the next message
  Ties ties;                       // src/actor/supervision/ties.hpp: watchers, links, registry names
  std::unique_ptr<SupervisedChild> child;  // src/actor/supervision/child.hpp: set at spawn
  // Why the actor failed (runner-only; final once the stopped bit is set): what its
  // watchers, links and supervisor are told. Here, not in the cell: rare.
  std::exception_ptr failure;
  // A coroutine handler's Context<A> (one pointer), built here by
  // stable_context<A> so the reference it holds outlives the envelope's call.
  alignas(void*) unsigned char context_storage[sizeof(void*)] = {};
};

// The extras a cell's runtime_or_extras word names, or nullptr.
inline CellExtras* extras_from_word(std::uintptr_t word) noexcept {
  return static_cast<CellExtras*>(Cell::extras_head(word));
}
// The extras if some thread allocated them (acquire), else nullptr. Inline: an
// awaited ask looks them up three times per round trip.
inline CellExtras* extras_if_any(Cell* cell) noexcept {
  // acquire: pairs with the release store in extras_make.
  return extras_from_word(cell->runtime_or_extras.load(acquire));
}
// The extras a caller knows exist (made earlier: at spawn, by the waker, by
// handler_become...): what extras_if_any returns, without the null case.
inline CellExtras& extras_known(Cell* cell) noexcept {
  CellExtras* extras = extras_if_any(cell);
  assert(extras != nullptr && "the cell's extras were expected to exist");
  if (extras == nullptr) __builtin_unreachable();
  return *extras;
}
// The first call's allocation (cell_extras.cpp).
CellExtras& extras_make(Cell* cell);
// Any thread, while it holds a reference to the cell: the cell's extras,
// allocated on the first call. Throws std::bad_alloc.
inline CellExtras& extras_or_make(Cell* cell) {
  if (CellExtras* extras = extras_if_any(cell)) [[likely]] return *extras;
  return extras_make(cell);
}
// The runner, while stopping the actor (after on_stop, before its mail is
// rejected): each section lets go of what ties it to the running actor.
void extras_on_stop(Cell* cell) noexcept;
// The cell's memory goes (cell_free): frees the extras.
void extras_free(Cell* cell) noexcept;

}  // namespace tact::detail
