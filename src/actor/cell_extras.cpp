#include "actor/cell_extras.hpp"

#include "actor/cell.hpp"
#include "actor/runtime_core.hpp"

namespace tact::detail {

CellExtras& extras_make(Cell* cell) {
  // Rare (first use), maybe by two threads at once: each builds one, and the
  // first to swap it into the cell's word wins; the other frees its own.
  // acquire: pairs with a winner's release below, should one have won since
  // the caller looked.
  std::uintptr_t word = cell->runtime_or_extras.load(acquire);
  if (CellExtras* made = extras_from_word(word)) return *made;
  auto* extras = new CellExtras(cell, reinterpret_cast<RuntimeCore*>(word));
  const auto mine =
      reinterpret_cast<std::uintptr_t>(static_cast<CellExtrasHead*>(extras)) | Cell::kHasExtras;
  // release on success: pairs with the acquire loads in extras_if_any and
  // Cell::runtime(), so a reader that sees the pointer sees the built extras.
  // acquire on failure: the winner's release, so its extras are seen built.
  if (cell->runtime_or_extras.compare_exchange_strong(word, mine, acq_rel, acquire)) {
    return *extras;
  }
  delete extras;
  return *extras_from_word(word);
}

void extras_on_stop(Cell* cell) noexcept {
  // seq_cst fence: orders runner_stop's store of the stopped bit before this load of the
  // extras pointer; pairs with the fence in stopped_after_fence, so a thread that
  // allocates the extras meanwhile either is seen here or sees the stopped bit
  // (src/actor/supervision/ties.hpp).
  fence_seq_cst();
  CellExtras* extras = extras_if_any(cell);
  if (extras == nullptr) return;
  drop_interleaved_awaits(extras->interleaved);
  // Senders waiting for room try again and find the actor stopped.
  if (cell->bounded) wake_room_waiters(extras->bound);
  cancel_actor_timers(*cell, extras->timers);
  close_ties(*cell, extras->ties);  // watchers, links, names, the supervisor
  // As the queued mail (after the watchers are told): stashed asks resolve
  // ActorStopped, stashed tells are dead letters.
  extras->stash.reject_all(cell);
}

void* handler_context_storage(CellBase* cell) {
  return extras_or_make(Cell::from(cell)).context_storage;
}

void extras_free(Cell* cell) noexcept {
  // relaxed: the last reference's acq_rel decrement ordered every use before this.
  delete extras_from_word(cell->runtime_or_extras.load(relaxed));
}

}  // namespace tact::detail
