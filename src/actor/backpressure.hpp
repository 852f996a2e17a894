// Backpressure without bounded mailboxes (after Pony's muting): an actor that
// tells an overloaded actor pauses until that actor has caught up.
//
// Why: with unbounded mailboxes, producers faster than their consumer grow its
// mailbox without limit (the fan-in workload's 4 producers left ~10M envelopes,
// ~300 MB, in one); every envelope is fresh memory the kernel must zero. Pausing
// the producers bounds the backlog to about one handler's tells per producer, and
// the consumer's freed envelopes are what the producers allocate next.
//
// The rules (each `Cell` field named here is in cell.hpp):
//   overloaded  an actor's turn handled its whole budget and left mail
//               (mark_overloaded). It stays so until it catches up (a turn finds
//               its mailbox empty), parks, stops or is muted itself
//               (clear_overloaded), which reschedules every sender muted on it.
//   muted       an actor whose handler told an overloaded actor (other than
//               itself) ends its turn after that handler; if mail is left for it
//               and the receiver is still overloaded, it joins the receiver's
//               muted list instead of the run queue, keeping its mailbox's run
//               rights (so tells to it queue and schedule nothing).
//   flooding    a turn whose handlers told more than `budget` messages to actors
//               that were already scheduled ends after that handler (it yields):
//               no receiver takes more than `budget` per turn, and on one worker
//               the receiver must get the worker to fall behind visibly at all.
// Where they run next (scheduler/kept_queue.hpp): a released sender, a turn that
// ended flooding, and a turn that ended behind while actors flood it go to the
// worker's kept queue, where no other worker steals them, so producers and
// their consumer share one core's cache instead of crossing cores per message.
// Why it cannot deadlock: an actor clears its own overload before it is muted,
// so a muted actor is never overloaded, and every muted actor waits on one that
// is overloaded, hence scheduled or running (overloaded actors never idle, park
// or stop without clearing). That one's next change of state (caught up, parked,
// stopped, muted) releases its waiters. Tells from outside an actor's turn (a
// plain thread, a timer, on_stop and Down notices) never pause anyone.
//
// Who touches what: `overloaded` is written by the actor's runner only; a sender
// reads it (relaxed) as a hint after its push. The muted list and the decision
// to join or empty it are under MutedSenders::mutex, and the runner clears
// `overloaded` under it too: a sender that joins the list either does so before
// the clear (and is rescheduled by it) or sees the flag cleared and does not
// join. The rest (the running actor, the noted receiver, the tell count) is the
// running thread's own.
#pragma once

#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include "actor/cell.hpp"
#include "sync/mutex.hpp"

namespace tact::detail {

// In CellExtras: the actors muted on this one.
struct MutedSenders {
  ::tact::detail::Mutex mutex;
  std::vector<Cell*> cells;  // guarded by mutex; each holds its mailbox's run rights
};

// This thread's turn: which actor runs, the overloaded receiver its handlers
// told (one reference held while noted), and its tells to busy actors.
struct Turn {
  Cell* running = nullptr;
  Cell* mute_on = nullptr;
  std::uint32_t busy_tells = 0;
  std::uint32_t busy_limit = 0;
};
// __thread, not thread_local: set twice a turn, and an extern thread_local is
// reached through a TLS wrapper call.
extern __thread Turn t_turn;

// -- the runner, around a turn --------------------------------------------------------------
// With backpressure on: a turn of `cell` starts on this thread; returns the
// actor whose turn it replaces (restore it with end_turn). `budget`: the
// messages a turn handles (at least 1: Config checks it), which is also the
// flooding limit. With it off nothing calls this, so no sender is known.
inline Cell* begin_turn(Cell* cell, std::uint32_t budget) noexcept {
  t_turn.busy_tells = 0;
  t_turn.busy_limit = budget;
  Cell* previous = t_turn.running;
  t_turn.running = cell;
  return previous;
}
// The turn ends (or, with nullptr, pausing ends within it: the actor stops):
// `previous` is the running actor again, with no flooding limit for the rest
// of its turn (its count was reset by the turn that replaced it).
inline void end_turn(Cell* previous) noexcept {
  t_turn.running = previous;
  if (previous != nullptr) [[unlikely]] t_turn.busy_limit = std::numeric_limits<std::uint32_t>::max();
}

// -- the receiving actor's runner ----------------------------------------------------------
// A turn handled its whole budget and left mail: senders to it will pause.
// Only the muting turn calls it (with backpressure off nobody is overloaded).
void mark_overloaded(Cell* cell) noexcept;
// The actor caught up, parks, stops, or is muted: reschedules the senders muted
// on it. Cheap when it was not overloaded.
void clear_overloaded_slow(Cell* cell) noexcept;
inline void clear_overloaded(Cell* cell) noexcept {
  // relaxed: only this runner writes the flag.
  if (cell->overloaded.load(relaxed)) clear_overloaded_slow(cell);
}

// -- the sender: cell_deliver, after a push that found `receiver` already scheduled ----------
// Inside a turn of another actor: notes an overloaded receiver for muting, or
// counts the tell against the flooding limit; either may set the running
// actor's requests.yield (end the turn after this handler).
void note_tell_to_busy(Cell* receiver) noexcept;

// -- the sending actor's runner, at the end of a turn that had requests.yield -------------
// Mail is left: true when `cell` is now muted (its runner must not touch it
// again); false when no overloaded receiver was noted or it caught up meanwhile
// (the caller yields as usual).
bool try_mute(Cell* cell) noexcept;
// The turn ends otherwise (the mailbox drained, the actor parks or stops):
// forget the receiver noted for muting, if any.
void forget_mute() noexcept;

}  // namespace tact::detail
