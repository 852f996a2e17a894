// ActorTimers: the timers an actor started (ctx.send_after / send_every), so
// that they are cancelled when the actor stops. A section of CellExtras.
//
// Touched by the actor's runner only (handlers, on_start/on_stop, runner_stop).
// Each entry is a handle of its own (a counted reference: the user's handle may
// be dropped or outlive the actor). A one-shot timer that fired, or a periodic
// one whose target stopped, finishes on the timer thread and leaves its entry
// behind: the list prunes finished entries whenever it would otherwise grow, so
// it stays within twice the timers still running.
#pragma once

#include <vector>

#include "tact/timer.hpp"

namespace tact::detail {

struct Cell;

class ActorTimers {
 public:
  // Makes room for one more entry (pruning finished ones first). Throws
  // std::bad_alloc; call before starting the timer so that add() cannot fail.
  void reserve_one();
  // Records a second handle to a timer just started.
  void add(TimerHandle handle) noexcept;
  // Cancels every timer still running and drops the entries.
  void cancel_all() noexcept;
  std::size_t size() const noexcept { return handles_.size(); }

 private:
  std::vector<TimerHandle> handles_;
};

// The runner, while stopping the actor: cancels every timer it started.
inline void cancel_actor_timers(Cell& /*cell*/, ActorTimers& timers) noexcept { timers.cancel_all(); }

}  // namespace tact::detail
