// SupervisedChild: the CellExtras section of an actor a Supervisor started. It
// lets a failed child be restarted *in its own cell*, so its address, its
// mailbox and every ActorRef to it survive the restart.
//
// States (the section's mutex guards `state` and `incarnation`):
//
//   running ──(its handler or on_start threw, or the supervisor took it down
//              for a sibling's restart)──> parked
//   parked  ──(the supervisor orders the restart and wakes it)──> restarting
//   restarting ──(the child, woken: a fresh object from the factory)──> running
//   any ──(the supervisor stops it for good, or a kill)──> stopping
//
// Parked: the failed object is gone (on_stop ran, then its destructor), and the
// runner parks on the cell's Suspension (actor/suspension.hpp): it keeps the
// mailbox's consumer rights and handles nothing, so senders keep queueing and
// no worker spins on it. The supervisor's wake (or a kill) schedules it again;
// the resume step (on a worker, as a handler) then builds the new object in
// place and runs on_start, or stops the actor for good. The queued messages are
// then handled, in order, by the new object.
//
// The child learns it must park in runner_stop's first step
// (child_parks_instead_of_stopping), so a restart never sets the stopped bit: the
// actor never looks stopped to senders, watchers or the registry.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include "sync/mutex.hpp"
#include "tact/detail/cell.hpp"

namespace tact::detail {

struct Cell;

struct SupervisedChild {
  enum class State : unsigned char { kRunning, kParked, kRestarting, kStopping };

  SupervisedChild(CellBase* supervisor_cell, std::function<void(void*)> build_fn);
  SupervisedChild(const SupervisedChild&) = delete;
  SupervisedChild& operator=(const SupervisedChild&) = delete;
  ~SupervisedChild();

  ::tact::detail::Mutex mutex;
  State state = State::kRunning;  // guarded by mutex
  std::uint32_t incarnation = 0;  // guarded by mutex; +1 per restart
  // Runner-only: set by a take-down order, read when the actor then stops.
  bool takedown_requested = false;
  // Runner-only: the failed object is destroyed, the next not built yet.
  bool object_gone = false;
  CellBase* const supervisor;  // counted
  // Builds a fresh object at the given address (the factory); the runner calls it.
  const std::function<void(void*)> build;
};

// runner_stop's first step, by the runner: a supervised child that failed, or was
// taken down for a restart, parks (see above), tells its supervisor, and
// returns true; runner_stop then returns at once. False: stop as usual.
bool child_parks_instead_of_stopping(Cell& cell) noexcept;

// runner_stop, by the runner: true for a supervised child between restarts, whose
// object is already gone (no on_stop, no destructor then).
bool child_object_gone(Cell& cell) noexcept;

}  // namespace tact::detail
