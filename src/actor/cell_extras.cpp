#include "actor/cell_extras.hpp"

#include <mutex>

#include "actor/cell.hpp"
#include "actor/runtime_core.hpp"
#include "sync/mutex.hpp"

namespace tact::detail {

CellExtras& extras_make(Cell* cell) {
  // Rare (first use): allocated under the registry shard's lock so that two
  // threads asking at once make one.
  RuntimeCore* runtime = cell->runtime();
  std::lock_guard<::tact::detail::Mutex> lock(runtime->cell_mutex(cell));
  // relaxed: the lock orders it against the other writer.
  CellExtras* extras = extras_from_word(cell->runtime_or_extras.load(relaxed));
  if (extras == nullptr) {
    extras = new CellExtras(cell, runtime);
    // release: pairs with the acquire loads in extras_if_any and
    // Cell::runtime(), so a reader that sees the pointer sees the built extras.
    cell->runtime_or_extras.store(
        reinterpret_cast<std::uintptr_t>(static_cast<CellExtrasHead*>(extras)) | Cell::kHasExtras,
        release);
  }
  return *extras;
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
}

void* handler_context_storage(CellBase* cell) {
  return extras_or_make(Cell::from(cell)).context_storage;
}

void extras_free(Cell* cell) noexcept {
  // relaxed: the last reference's acq_rel decrement ordered every use before this.
  delete extras_from_word(cell->runtime_or_extras.load(relaxed));
}

}  // namespace tact::detail
