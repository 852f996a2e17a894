// MailboxBound: a bounded actor's count of queued messages, and the senders
// waiting for room (co_await ref.send(msg)). A section of CellExtras, present
// when the actor has a bound (its class's `mailbox_bound`, or Config's).
//
// Every envelope that enters a bounded mailbox is counted, and every one the
// runner takes out is uncounted; only user messages (tell, ask, send) are
// refused when the count has reached the bound. System messages (stops, kills,
// Down, timer ticks, resumed coroutines) are counted but never refused: they may
// take the count past the bound, so the bound never blocks them.
//
// Waiting for room, without a lost wake-up: the waiter registers (under the
// lock, then `has_waiters`), then reserves again; the runner uncounts, then
// looks at `has_waiters`. All four are seq_cst, so either the waiter's second
// reservation sees the room, or the runner sees the waiter (and wakes every
// waiter, each of which tries again).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "sync/mutex.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/detail/waker.hpp"

namespace tact::detail {

struct MailboxBound {
  std::uint32_t bound = 0;         // set once, before the actor is published
  Atomic<std::uint32_t> queued{0};  // messages in the mailbox (may pass bound: system ones)
  Atomic<bool> has_waiters{false};
  ::tact::detail::Mutex mutex;                // guards waiters
  std::vector<Waker*> waiters;
};

struct Cell;
// Any thread: a system message enters a bounded mailbox (counted, never refused).
void mailbox_count_system(Cell* cell) noexcept;
// The runner, per message taken out of a bounded mailbox: uncounts it and
// wakes the senders waiting for room, if any.
void mailbox_uncount(Cell* cell) noexcept;
// Wakes every waiter (room appeared, or the actor stopped).
void wake_room_waiters(MailboxBound& bound) noexcept;

}  // namespace tact::detail
