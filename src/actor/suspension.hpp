// Suspension: an actor's runner parks — it keeps the mailbox's consumer rights
// but handles nothing — until one event wakes it: the reply a coroutine handler
// awaits, room in a mailbox it sends to, or a kill. So a suspended handler blocks
// its actor, never its worker thread, and the actor never runs on two threads.
//
// The state word counts arrivals instead of holding flags, so that nothing has
// to clear it between suspensions (resume() is a load, not an RMW: one locked
// instruction fewer per awaited reply, of the ~7 a coroutine ask round trip
// takes):
//   parks  (bits 0-30)   +1 by the runner, after the handler returned suspended (park())
//   kPoked (bit 31)      a control-lane message came (poke()): the runner is (or is about
//                        to be) running, to handle the lane while the handler still waits
//   wakes  (bits 32-62)  +1 by the one awaited event (wake(), through the Waker base)
//   kKilled (bit 63)     cell_kill / shutdown (kill()); sticky: a killed actor never parks again
// Each park has exactly one wake (or a kill), so between suspensions
// wakes == parks; while one is pending, they differ by one, and whichever of
// park() and wake() arrives second learns it from the other's count:
// the runner continues at once if the event came first (park() returns false);
// otherwise whichever of wake() and kill() finds the runner parked
// (parks == wakes + 1) and no kill before it schedules it. After a kill, a late
// wake finds kKilled and touches nothing further. The runner takes both counts
// down by 2^30 when parks passes it (a CAS, once per 2^30 suspensions), so
// neither carries into the bits above it.
//
// Pokes (a Down, an Exit, a linked exit, a supervisor's order reaching a parked
// actor; docs/semantics.md): poke() sets kPoked and schedules the runner if it was
// parked (waiting(): parked, not poked, not killed). While kPoked is up nobody
// else schedules it: a wake or a kill only counts, and the runner, done with
// the lane, re-parks with repark(), which clears kPoked and learns from the same
// RMW whether the event or a kill came meanwhile (then it resumes at once). A
// poke that found kPoked up did not schedule, so repark() looks at the lane's
// flag after clearing it and takes the runner back (fetch_or) if mail is
// there and nobody scheduled it in between. A poke to a running actor leaves
// kPoked up: its next park() returns kPoked and it serves the lane first.
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
  enum class Park : unsigned char {
    kParked,  // return from the turn: a wake, a kill or a poke schedules the actor again
    kWoken,   // the event (or a kill) already came: call resume() now
    kPoked,   // still waiting, but the control lane has mail: serve it, then repark()
  };
  // After the handler returned.
  Park park() noexcept;
  // Poked and done with the lane: park again (as park(), for the same wait).
  // `look_at_lane`: take the runner back if lane mail came meanwhile (see above).
  Park repark(bool look_at_lane) noexcept;
  // Poked, the actor stopping: drops what the handler awaited (as a kill would,
  // without the sticky kill) and leaves the word as if the event had come.
  void drop() noexcept;
  enum class Resumed : unsigned char {
    kEvent,   // the Resume ran
    kKilled,  // the Resume ran, told of the kill (which stays: the actor is stopping)
    kPoked,   // scheduled by a poke, the event not yet come: nothing ran; serve the lane
  };
  // Scheduled while parked (or park() returned kWoken): clears the state and
  // runs the Resume, unless only a poke came.
  Resumed resume() noexcept;
  // A killed runner that could not withdraw its waker (the event is in flight):
  // waits until the wake has happened, so nothing it frees is touched by it.
  void await_wake() const noexcept;

  // -- any thread -------------------------------------------------------------------------
  // Kill: wakes a parked runner (it resumes with killed = true) and keeps any
  // later park from parking.
  void kill() noexcept;
  // A control-lane message was queued (lane_deliver, after its nudge): wakes a
  // parked runner to handle it.
  void poke() noexcept;
  bool killed() const noexcept { return (state_.load(acquire) & kKilled) != 0; }

 private:
  static constexpr std::uint64_t kPark = 1;
  static constexpr std::uint64_t kPoked = std::uint64_t{1} << 31;
  static constexpr std::uint64_t kWake = std::uint64_t{1} << 32;
  static constexpr std::uint64_t kKilled = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kCountMask = (std::uint64_t{1} << 31) - 1;
  static constexpr std::uint64_t kRebase = std::uint64_t{1} << 30;
  static std::uint64_t parks(std::uint64_t state) noexcept { return state & kCountMask; }
  static std::uint64_t wakes(std::uint64_t state) noexcept { return (state >> 32) & kCountMask; }
  // Parked, not yet woken nor poked: a wake, a kill or a poke must schedule the runner.
  static bool waiting(std::uint64_t state) noexcept {
    return (state & (kKilled | kPoked)) == 0 && parks(state) == wakes(state) + 1;
  }
  // The event or a kill came (the runner must resume, not park).
  static bool event_came(std::uint64_t state) noexcept {
    return (state & kKilled) != 0 || wakes(state) == parks(state);
  }
  void rebase() noexcept;
  Resumed resume_slow(std::uint64_t now) noexcept;  // a kill or a poke

  friend struct SuspensionTestAccess;  // test/unit/runtime/suspension_test.cpp

  static void wake_suspension(Waker* self) noexcept;
  void schedule() noexcept;

  Cell* const cell_;
  Atomic<std::uint64_t> state_{0};
  Resume resume_ = nullptr;  // runner-only
  void* ctx_ = nullptr;      // runner-only
};

}  // namespace tact::detail
