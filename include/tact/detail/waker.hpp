// Waker: something a reply writer (or any one-shot event) wakes without knowing
// what it is: a thread's Parker, a parked actor (src/actor/suspension.hpp), a
// coroutine's resume envelope. One function pointer, no virtual table.
//
// The rule every waker keeps (see reply_slot_base.hpp): the waking side touches
// only the Waker, never the memory of whatever it was waiting on, so the waiter
// may free that the moment it sees its event.
#pragma once

namespace tact::detail {

// Aligned to 16 so that a Waker* leaves four low bits for flags (the reply
// slot's state word packs one).
struct alignas(16) Waker {
  using Fn = void (*)(Waker* self) noexcept;
  explicit Waker(Fn f) noexcept : fn(f) {}
  void wake() noexcept { fn(this); }
  Fn fn;
};

}  // namespace tact::detail
