// The stash (ctx.stash / ctx.unstash_all): messages a handler set aside, and
// those unstash_all put back in front of the mailbox. Runner-only: a handler
// stashes and unstashes its own actor's messages, so no atomics.
//
// A stashed message is an ordinary tell or ask envelope (built by
// tact/detail/stash.hpp from the message the handler gave back, with its ask's
// reply slot), linked through its own `next` (it is in no mailbox). Two FIFOs:
//   stashed   what ctx.stash() kept, oldest first;
//   replay    what unstash_all() took from `stashed`, handled before the
//             mailbox's next message (turn.cpp: replay_unstashed). A second
//             unstash_all during the replay puts the newly stashed in front of
//             what is left of the replay, as Akka's prepend to the mailbox.
// The turn learns of a replay through the handler requests it already checks
// after every handler (HandlerRequests::kUnstash), so mail handled with
// nothing stashed pays nothing more.
//
// Bound: a message is uncounted when the runner takes it out of the mailbox,
// so a stashed one no longer counts against a mailbox bound; the stash has its
// own limit (stash_capacity). On stop, every stashed message is rejected: an
// ask resolves ActorStopped, a tell is a dead letter. On a supervisor's
// restart in place, the stash is replayed to the new object, right after its
// on_start (the restarted instance may stash them again).
#pragma once

#include <cstddef>

#include "tact/detail/envelope.hpp"

namespace tact::detail {

struct Cell;

class Stash {
 public:
  Stash() = default;
  Stash(const Stash&) = delete;
  Stash& operator=(const Stash&) = delete;
  ~Stash();  // what is left is rejected by then (reject_all); frees the rest

  std::size_t size() const noexcept { return stashed_.size; }
  void push(Envelope* envelope) noexcept { stashed_.push_back(envelope); }
  // unstash_all: `stashed` goes in front of `replay`. False if nothing was stashed.
  bool unstash_all() noexcept;
  // The next message to replay, or nullptr.
  Envelope* pop_replay() noexcept { return replay_.pop_front(); }
  bool replay_empty() const noexcept { return replay_.head == nullptr; }
  // The actor stops: each stashed and replay message rejected (ActorStopped / a dead letter).
  void reject_all(Cell* cell) noexcept;

 private:
  struct List {
    Envelope* head = nullptr;
    Envelope* tail = nullptr;
    std::size_t size = 0;
    void push_back(Envelope* envelope) noexcept;
    Envelope* pop_front() noexcept;
  };
  List stashed_;
  List replay_;
};

}  // namespace tact::detail
