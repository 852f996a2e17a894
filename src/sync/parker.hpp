// Parker: a per-thread, token-based sleep/wake primitive (as Rust's thread::park).
//
// unpark() deposits one token; park() consumes a token, sleeping until one is
// there. At most one token is held: several unpark()s before a park() wake it once.
// Used where a waiter must be woken without the waker touching the memory the
// waiter may free afterwards: the waker only touches the waiter's Parker, which
// lives as long as the waiting thread (see reply_slot_base.cpp).
//
// Rules for users of Parker::current() (one parker shared by every wait on a thread):
//   - A token may be stray (left by an earlier, unrelated unpark): park() returning
//     says "look again", never "your condition holds". Re-check in a loop.
//   - Keep tokens balanced: a waiter that withdraws after a waker has committed to
//     unpark() absorbs that token (see ReplySlotBase::wait_until).
//   - Lifetime: unpark()'s exchange happens before the owner can consume the token,
//     so a parked owner that waits for *its* token is never gone when the exchange
//     runs. The futex wake syscall that may follow can hit the address of a thread
//     that has since exited: harmless (the kernel returns EFAULT, or a futex waiter
//     reusing the address sees a spurious wake, which every futex user tolerates).
//
// States of the word, and who moves it:
//   kEmpty    --park()-->   kParked   (the owner, about to sleep in the futex)
//   kEmpty/kParked --unpark()--> kNotified   (any thread)
//   kNotified --park()-->   kEmpty    (the owner, consuming the token)
// unpark() makes the futex wake syscall only when it saw kParked: the common case,
// a waiter still spinning, costs one exchange.
#pragma once

#include <chrono>
#include <cstdint>

#include "tact/detail/atomic.hpp"
#include "tact/detail/waker.hpp"

namespace tact::detail {

// Aligned to a cache line: the waker's exchange must not bounce the owner's other
// thread-locals, and reply slots keep flags in the low bits of a Parker*.
// A Waker too: waking a Parker is unpark().
class alignas(kCacheLine) Parker : public Waker {
 public:
  Parker() noexcept : Waker(&unpark_waker) {}
  Parker(const Parker&) = delete;
  Parker& operator=(const Parker&) = delete;

  // Owner thread only. Returns once a token was consumed (never spuriously, but
  // the token may be stray: see above).
  void park() noexcept;

  // Owner thread only. Returns true if a token was consumed, false on timeout.
  bool park_until(std::chrono::steady_clock::time_point deadline) noexcept;

  // Any thread. Everything the caller wrote before unpark() is visible to the
  // owner once its park() returns (release here, acquire in park()).
  void unpark() noexcept;

  // The calling thread's own parker.
  static Parker& current() noexcept;

 private:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kParked = 1;
  static constexpr std::uint32_t kNotified = 2;

  bool try_consume_token() noexcept;
  static void unpark_waker(Waker* self) noexcept { static_cast<Parker*>(self)->unpark(); }

  Atomic<std::uint32_t> state_{kEmpty};
};

}  // namespace tact::detail
