// Suspension: an actor's runner parks — it keeps the mailbox's consumer rights
// but handles nothing — until one event wakes it: the reply a coroutine handler
// awaits, room in a mailbox it sends to, or a kill. So a suspended handler blocks
// its actor, never its worker thread, and the actor never runs on two threads.
//
// Who moves the state word (bits; a section of CellExtras):
//   kParked  the runner, after the handler returned suspended (park())
//   kWoken   the one awaited event (wake(), through the Waker base)
//   kKilled  cell_kill / shutdown (kill()); sticky: a killed actor never parks again
// Exactly one side schedules the actor again: the runner continues at once if
// the event came first (park() returns false); otherwise whichever of wake() and
// kill() finds kParked alone schedules it. After a kill, a late wake finds
// kKilled and touches nothing further.
//
// Lifetime: wake() touches the Suspension and, when it schedules, the cell; a
// parked actor is live (its registry reference holds the cell), and a killed one
// waits, before it frees anything, until the wake it could not withdraw has
// happened (await_wake()).
#pragma once

#include <cstdint>

#include "tact/detail/atomic.hpp"
#include "tact/detail/waker.hpp"

namespace tact::detail {

struct Cell;
struct CellBase;

class Suspension final : public Waker {
 public:
  // What the runner does when woken: resume the coroutine (or retry a send);
  // `killed`: the actor is being killed instead (free what the suspension holds).
  using Resume = void (*)(CellBase* cell, void* ctx, bool killed) noexcept;

  explicit Suspension(Cell* cell) noexcept : Waker(&wake_suspension), cell_(cell) {}

  // -- the runner ---------------------------------------------------------------------
  // Inside the handler: after it returns, park instead of taking the next message.
  void request(Resume on_wake, void* ctx) noexcept {
    resume_ = on_wake;
    ctx_ = ctx;
  }
  // After the handler returned: true if parked (return from the turn; a wake or
  // kill schedules the actor again), false if the event already came (call
  // resume() now).
  bool park() noexcept;
  // Woken (or park() returned false): clears the state and runs the Resume.
  // Returns true if it was a kill (which stays: the actor is stopping).
  bool resume() noexcept;
  // A killed runner that could not withdraw its waker (the event is in flight):
  // waits until the wake has happened, so nothing it frees is touched by it.
  void await_wake() const noexcept;

  // -- any thread -------------------------------------------------------------------------
  // Kill: wakes a parked runner (it resumes with killed = true) and keeps any
  // later park from parking.
  void kill() noexcept;
  bool killed() const noexcept { return (state_.load(acquire) & kKilled) != 0; }

 private:
  static constexpr std::uint32_t kParked = 1;
  static constexpr std::uint32_t kWoken = 2;
  static constexpr std::uint32_t kKilled = 4;

  static void wake_suspension(Waker* self) noexcept;
  void schedule() noexcept;

  Cell* const cell_;
  Atomic<std::uint32_t> state_{0};
  Resume resume_ = nullptr;  // runner-only
  void* ctx_ = nullptr;      // runner-only
};

}  // namespace tact::detail
