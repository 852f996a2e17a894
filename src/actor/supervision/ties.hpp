// Ties: the CellExtras section that says who must hear of this actor's stop
// (watchers, linked actors, its supervisor) and which registry names point to
// it. Only actors somebody watched, linked or named have one.
//
// Protocol (the section's mutex guards every field):
//   - the section is *closed* exactly once, by close_ties(): the stopping runner
//     calls it (extras_on_stop), and so does any thread that finds the actor
//     stopped while the section is still open. Whoever closes it takes the ties
//     and names, records the final reason, and after unlocking notifies every tie
//     once and removes the names from the registry;
//   - tie_add / registry_add lock the section: open and the actor not stopped ->
//     the tie (name) is added and the closer will see it; closed -> a tie is
//     notified at once with the recorded reason (a name is refused). The actor
//     stopped but the section still open -> close it first, then as closed.
// So a watcher is told exactly once, whether it came before, during or after the
// stop. Listeners (ref.stopped()) are told after every tie: one that comes while
// the closer is telling the ties waits in the list until the closer is *told*.
//
// Why a late visitor may have to close the section itself: the stopping runner
// sets the stopped bit and later reads the extras pointer; a visitor allocates the
// extras and later reads the stopped bit. With a seq_cst fence on both sides between
// the store and the load (extras_on_stop, tie_add, registry_add), at least
// one side sees the other's store: the runner sees the section (and closes it),
// or the visitor sees the stopped bit (and closes it). Neither may miss both.
#pragma once

#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "sync/mutex.hpp"
#include "tact/detail/ties.hpp"

namespace tact::detail {

struct Cell;

struct Ties {
  struct Tie {
    CellBase* peer;  // counted: released when notified or untied
    TieNotify notify;
    TieKind kind;
  };

  ::tact::detail::Mutex mutex;
  bool closed = false;
  bool told = false;  // closed, every tie notified and the listeners taken
  ExitReason final_reason = ExitReason::normal;  // once closed
  std::exception_ptr final_error;                 // once closed
  std::vector<Tie> ties;
  // ref.stopped() and the like: told once, with the same reason as the ties;
  // told "no stop" (nullptr) if the cell goes without ever closing them.
  struct Listener {
    StopListenerFn fn;
    void* ctx;
  };
  std::vector<Listener> listeners;
  std::vector<std::string> names;  // registry names of this actor (registry.cpp)

  Ties() = default;
  Ties(const Ties&) = delete;
  Ties& operator=(const Ties&) = delete;
  ~Ties();  // releases the peers of ties never notified (a cell never activated),
            // tells the listeners never told that no stop will come
};

// Closes `cell`'s ties (see above) if nobody has yet; any thread, once the cell
// is stopped. The final reason is read from the cell: its stop reason and
// failure are final once the stopped bit is set.
void close_ties(Cell& cell, Ties& ties) noexcept;

// True when `cell` is stopped, read after a seq_cst fence (the visitor's side
// of the fence pairing above).
bool stopped_after_fence(const Cell& cell) noexcept;

}  // namespace tact::detail
