// Interleaved awaits: `co_await tact::interleaved(reply)`. The coroutine stays
// suspended while its actor handles other messages; the reply's writer wakes a
// ResumeEnvelope, which travels through the actor's mailbox (a system message:
// no bound applies) and resumes the coroutine when the runner reaches it. So
// the actor still runs on one thread at a time, and several such coroutines may
// wait at once.
//
// Each outstanding await is on the actor's list (runner-only), so that a
// stopping actor can drop the coroutines still waiting: those whose
// registration it takes back are destroyed at once; a reply that got in first
// delivers its envelope to the stopped actor, whose rejection destroys the
// coroutine. Either way its ask resolves (ActorStopped) exactly once.
#pragma once

namespace tact::detail {

struct Cell;
struct ResumeEnvelope;

struct InterleavedAwaits {
  ResumeEnvelope* head = nullptr;  // runner-only
};

// The runner, while stopping the actor.
void drop_interleaved_awaits(InterleavedAwaits& awaits) noexcept;

}  // namespace tact::detail
