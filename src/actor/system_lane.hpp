// The system lane: a second mailbox per actor for the messages that must
// overtake its user mail: Down and Exit notices, linked exits, a supervisor's
// orders and notices, and urgent user messages (ref.tell_urgent).
//
// It shares the run rights of the main mailbox (cell.hpp) rather than having its
// own: a sender pushes its envelope here, raises the cell's `system_mail` flag,
// then pushes a no-op *nudge* through the main mailbox. The nudge does what any
// message does: if the actor was idle its push gets the edge and schedules it;
// if the actor is stopped, whoever holds the rights rejects the lane's mail with
// the main mailbox's (reject_all_and_release_rights). The runner looks at the
// flag once per turn (turn.cpp): after the turn's user mail, before it gives
// the rights back; it drains the lane when the flag is up. The nudge queues
// behind the mail already there, so a system message waits for at most one
// budget of user messages (Config::budget), and the user path keeps one
// exchange per message and pays one load per turn (a look per message cost
// more: docs/performance.md).
//
// Order: the lane is FIFO (per sender, as the main mailbox): system messages
// keep their order among themselves; relative to user mail, a system message
// is handled before every user message still queued when the runner next looks
// at the flag. A nudge popped later is a no-op.
//
// Memory: the lane lives in the cell's extras (system messages are rare; idle
// actors stay small). Its last handled node stays in it as the queue's dummy
// until the next drain; the drain gives it back (try_mark_empty) when the lane
// is empty, and the lane's destructor frees a dummy left behind.
#pragma once

#include "mailbox/mpsc_queue.hpp"
#include "tact/detail/envelope.hpp"

namespace tact::detail {

struct Cell;

class SystemLane {
 public:
  SystemLane() = default;
  SystemLane(const SystemLane&) = delete;
  SystemLane& operator=(const SystemLane&) = delete;
  ~SystemLane();

  // Any thread: queues `envelope` (the caller then raises the flag and nudges).
  void push(Envelope* envelope) noexcept { (void)queue_.push(envelope); }
  // The holder of the cell's run rights: the oldest envelope, or nullptr (empty,
  // or a push half done: its sender raises the flag after, so it is seen later).
  // The envelope's shell is the lane's until the next pop() or release().
  Envelope* pop() noexcept;
  // The holder of the run rights, when pop() returned nullptr: gives the last
  // handled shell back, if the lane is empty.
  void release() noexcept;

 private:
  CompactMpscQueue queue_;
};

// Any thread, holding a reference: queues a system message in the lane and gets
// it run (see above). `counted`: the bound already counts it (a reserved user
// message); else it is counted as a system message. A bound counts the nudge,
// not the lane's envelope: the runner uncounts what it takes from the main
// mailbox. Returns false if the actor had stopped (the envelope was rejected).
bool lane_deliver(Cell* cell, Envelope* envelope, bool counted) noexcept;

// The holder of the run rights on a stopped cell: rejects what the lane holds.
void lane_reject_all(Cell* cell) noexcept;

}  // namespace tact::detail
