#include "actor/backpressure.hpp"

#include <limits>
#include <new>
#include <utility>

#include "actor/cell_extras.hpp"
#include "actor/runtime_core.hpp"
#include "sync/mutex.hpp"

namespace tact::detail {

__thread Turn t_turn;

void mark_overloaded(Cell* cell) noexcept {
  if (cell->overloaded.load(relaxed)) return;  // relaxed: only this runner writes it
  try {
    // The muted list must exist before a sender can see the flag: the runner
    // that clears it finds it through the extras.
    (void)extras_or_make(cell);
  } catch (const std::bad_alloc&) {
    return;  // no memory for the list: nobody is muted on this actor
  }
  // relaxed: a hint for senders; the extras pointer it relies on was published
  // by extras_or_make (release), which the sender's extras_or_make call acquires.
  cell->overloaded.store(true, relaxed);
}

void clear_overloaded_slow(Cell* cell) noexcept {
  MutedSenders& muted = extras_known(cell).muted;  // mark_overloaded made them
  std::vector<Cell*> waiting;
  {
    std::lock_guard<::tact::detail::Mutex> lock(muted.mutex);
    // relaxed: under the mutex, which try_mute reads it under too.
    cell->overloaded.store(false, relaxed);
    waiting.swap(muted.cells);
  }
  // Each still holds its run rights, and has mail: back to the run queue. The
  // mutex hands over their runners' writes (try_mute released it after them).
  Scheduler& scheduler = cell->runtime()->scheduler();
  for (Cell* sender : waiting) scheduler.schedule_kept(sender);
}

void note_tell_to_busy(Cell* receiver) noexcept {
  Cell* sender = t_turn.running;
  if (sender == nullptr || sender == receiver) return;
  // relaxed: a hint for the receiver's runner (cell.hpp); the load first keeps
  // a flood of tells from writing the line again and again.
  if ((receiver->sender_flags.load(relaxed) & Cell::kFedByActors) == 0) {
    receiver->sender_flags.fetch_or(Cell::kFedByActors, relaxed);
  }
  // relaxed: a hint; try_mute decides under the receiver's mutex.
  if (receiver->overloaded.load(relaxed)) {
    if (t_turn.mute_on != nullptr) return;  // one receiver is enough to wait on
    cell_retain(receiver);  // kept until the turn ends (try_mute / forget_mute)
    t_turn.mute_on = receiver;
    sender->requests.yield = true;
    return;
  }
  if (++t_turn.busy_tells > t_turn.busy_limit) sender->requests.yield = true;
}

bool try_mute(Cell* cell) noexcept {
  Cell* receiver = std::exchange(t_turn.mute_on, nullptr);
  if (receiver == nullptr) return false;  // it flooded: a plain yield
  // A muted actor is never overloaded (the rule that keeps muting acyclic):
  // whoever waits on this one goes back to the run queue first.
  clear_overloaded(cell);
  bool muted = false;
  try {
    // extras_or_make, not _if_any: the flag we saw was relaxed, so only its lock
    // (the one mark_overloaded's allocation took) shows us the extras for sure.
    MutedSenders& list = extras_or_make(receiver).muted;
    std::lock_guard<::tact::detail::Mutex> lock(list.mutex);
    // relaxed: under the mutex, which clear_overloaded_slow writes it under.
    if (receiver->overloaded.load(relaxed)) {
      list.cells.push_back(cell);
      muted = true;
    }
  } catch (const std::bad_alloc&) {
    // No memory for the extras or the list: stay unmuted (yield as usual).
  }
  // From here `cell` may already run elsewhere (rescheduled by the receiver).
  cell_release(receiver);
  return muted;
}

void forget_mute() noexcept {
  if (Cell* receiver = std::exchange(t_turn.mute_on, nullptr)) cell_release(receiver);
}

}  // namespace tact::detail
