// SupervisedChild: the CellExtras section of an actor a Supervisor started. It
// lets a failed child be restarted *in its own cell*, so its address, its
// mailbox and every ActorRef to it survive the restart.
//
// States (the section's mutex guards `state` and `incarnation`):
//
//   running ──(its handler or on_start threw, or the supervisor took it down
//              for a sibling's restart)──> parked
//   parked  ──(the supervisor rebuilt the object from the factory)──> running
//   running | parked ──(the supervisor stops it for good)──> stopping
//
// Parked: the failed object is gone (on_stop ran, then its destructor), and the
// cell keeps the mailbox's consumer rights without running: run_cell returned
// without giving them back, so senders keep queueing (their push sees no
// empty->non-empty edge) and nothing is scheduled: no worker spins on it. The
// rights pass to the supervisor with the `parked` state (under the mutex); the
// supervisor builds the new object in place and schedules the cell, which hands
// the rights to a worker: on_start runs, then the queued messages, in order.
// (This is the smallest park/wake the restart needs; the runtime's own park/wake
// can replace it.)
//
// The child learns it is parked in stop_cell's first step
// (child_parks_instead_of_stopping), so a restart never sets `stopped`: the
// actor never looks stopped to senders, watchers or the registry.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include "tact/detail/cell.hpp"

namespace tact::detail {

struct Cell;

struct SupervisedChild {
  enum class State : unsigned char { kRunning, kParked, kStopping };

  SupervisedChild(CellBase* supervisor_cell, std::function<void(void*)> build_fn);
  SupervisedChild(const SupervisedChild&) = delete;
  SupervisedChild& operator=(const SupervisedChild&) = delete;
  ~SupervisedChild();

  std::mutex mutex;
  State state = State::kRunning;  // guarded by mutex
  std::uint32_t incarnation = 0;  // guarded by mutex; +1 per restart
  // Runner-only: set by a take-down order, read when the actor then stops.
  bool takedown_requested = false;
  CellBase* const supervisor;  // counted
  // Builds a fresh object at the given address (the factory). Used by the
  // supervisor only (and at spawn, before the child is live).
  const std::function<void(void*)> build;
};

// stop_cell's first step, by the runner: a supervised child that failed, or was
// taken down for a restart, parks (see above), tells its supervisor, and
// returns true; stop_cell then returns at once. False: stop as usual.
bool child_parks_instead_of_stopping(Cell& cell) noexcept;

}  // namespace tact::detail
