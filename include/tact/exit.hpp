// Links (ctx.link(ref)): two actors that share their fate.
//
// When one side stops, the other side hears of it:
//   - an actor that *traps exits*, i.e. whose class has `handle(tact::Exit)`,
//     receives a tact::Exit message, whatever the reason, and keeps running;
//   - any other actor is stopped when the reason is abnormal (failed, killed):
//     it fails with a tact::LinkedExit error naming the actor that took it down,
//     so its own watchers, links and supervisor see a failure in turn; after a
//     normal stop or a shutdown it is not told and keeps running (as in Erlang).
// A link is removed when either side stops, or by ctx.unlink(ref). The signal
// goes through the actor's control lane: it overtakes the user mail queued.
#pragma once

#include <exception>

#include "tact/address.hpp"
#include "tact/errors.hpp"
#include "tact/exit_reason.hpp"

namespace tact {

// The message an exit-trapping actor receives when a linked actor stops.
struct Exit {
  ActorAddress who;           // the linked actor that stopped
  ExitReason reason;          // why
  std::exception_ptr error;   // what it threw, for ExitReason::failed; else null
};

// Why an actor that did not trap exits stopped: a linked actor stopped abnormally.
class LinkedExit : public Error {
 public:
  LinkedExit(ActorAddress who, ExitReason reason, std::exception_ptr cause);
  const ActorAddress& who() const noexcept { return who_; }
  ExitReason reason() const noexcept { return reason_; }
  const std::exception_ptr& cause() const noexcept { return cause_; }

 private:
  ActorAddress who_;
  ExitReason reason_;
  std::exception_ptr cause_;
};

}  // namespace tact
