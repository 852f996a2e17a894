// ReplySlotBase: the untyped core of a one-shot reply slot: one atomic state word
// that decides every race between the one writer and the one reader.
//
// State word (flags, not an enum: the reader's and writer's bits are set by
// fetch_or and combine):
//   kValue        the writer has stored an outcome (value or error) and is done
//                 with the storage. Set once.
//   kWaiter       the reader waits on a Waker (its thread's Parker, or a parked
//                 actor's), whose address fills the bits above the flags
//                 (kWaiterMask); the writer must wake it.
//   kContinuation the reader registered cont_/cont_ctx_; the writer must run it.
//   kReaderDone   the reader abandoned the slot without consuming it.
// Legal histories (each line is the order the bits reach the word):
//   kValue, then the reader consumes           (ready() / try_get / fast get)
//   kWaiter+parker, kValue                     (blocked get; kWaiter may be withdrawn
//                                               by a timed-out get_for and set again)
//   kContinuation, kValue  |  kValue, kContinuation
//   kReaderDone, kValue    |  kValue, kReaderDone
//
// Lifetimes: the slot is freed exactly once, by whichever side finishes last:
//   - writer publishes, reader consumes later      -> the reader frees it;
//   - reader abandoned (kReaderDone) before publish -> the writer frees it;
//   - continuation registered                       -> whoever runs it frees it;
//   - reader blocked (kWaiter)                      -> the writer unparks it and
//     touches nothing of the slot after its fetch_or: the reader frees it once
//     it sees kValue.
// That last rule is why the waiter's Waker travels inside the state word (the
// writer learns it from the very fetch_or that publishes, never reads the slot
// again), and why waiting goes through a Waker (a per-thread Parker, a parked
// actor) and not through this word: a waker that notified this word could touch
// freed memory.
//
// Memory ordering: everything the writer wrote before publish() (the outcome,
// and whatever the handler wrote before replying) happens-before the reader's
// return from wait()/ready()==true and before a continuation runs.
#pragma once

#include <chrono>
#include <cstdint>

#include "tact/detail/atomic.hpp"
#include "tact/detail/pool.hpp"
#include "tact/detail/waker.hpp"

namespace tact::detail {

class ReplySlotBase : public PoolAllocated {
 public:
  // Frees the typed slot (set by the derived class; no virtual table needed).
  using Destroy = void (*)(ReplySlotBase*) noexcept;
  // Consumes the outcome; runs exactly once, on the writer's thread or inline in
  // set_continuation(). The slot is freed right after it returns.
  using Continuation = void (*)(ReplySlotBase*, void* ctx) noexcept;

  ReplySlotBase(const ReplySlotBase&) = delete;
  ReplySlotBase& operator=(const ReplySlotBase&) = delete;

  // -- for the writer ----------------------------------------------------------------

  // Writer only, once, after storing the outcome. May free the slot (abandoned
  // reader) or run the continuation; the writer must not touch the slot after.
  void publish() noexcept;

  // -- for the reader ----------------------------------------------------------------

  // Reader only. True once the outcome is stored (acquire: pairs with the release
  // in publish(), so the outcome is then readable).
  bool ready() const noexcept { return (state_.load(acquire) & kValue) != 0; }

  // Reader only. Blocks until ready(): spins briefly, then parks the thread.
  void wait() noexcept;

  // Reader only, before waiting: wait() parks at once. For an answer that comes
  // from another process (tact::nats): it takes tens of microseconds at best,
  // and a spinning reader only takes the core from the threads that bring it.
  // relaxed: a hint for how to wait, nothing published with it (atomic only
  // because a delayed send may forward the ask from another thread).
  void park_without_spinning() noexcept { spin_.store(false, relaxed); }

  // Reader only. As wait(), giving up at `deadline`; returns ready(). After a
  // false return the reader still owns the slot and may wait again (from any
  // thread) or abandon it.
  bool wait_until(std::chrono::steady_clock::time_point deadline) noexcept;

  // Reader only, after it saw ready() and took the outcome: frees the slot.
  void release_consumed() noexcept { destroy_(this); }

  // Reader only, instead of consuming: the writer will free the slot (or we do,
  // if the outcome is already there).
  void abandon() noexcept;

  // Reader only, instead of waiting: `fn(this, ctx)` runs exactly once with the
  // outcome, here if it is already there, else on the writer's thread.
  void set_continuation(Continuation fn, void* ctx) noexcept;

  // Reader only, instead of waiting here (a coroutine awaiting the reply): the
  // writer calls waker.wake() after publishing. False if the outcome is already
  // there (then nobody wakes). The waker must live until woken or withdrawn.
  bool register_waker(Waker& waker) noexcept;
  // Reader only (or someone acting for a suspended reader: a timeout), after
  // register_waker returned true: takes the registration back. True if the
  // outcome got in first: the writer then wakes (or has woken) the waker once.
  bool withdraw_waker() noexcept;

 protected:
  explicit ReplySlotBase(Destroy destroy) noexcept : destroy_(destroy) {}
  ~ReplySlotBase() = default;

 private:
  using Word = std::uintptr_t;
  static constexpr Word kValue = 1;
  static constexpr Word kWaiter = 2;
  static constexpr Word kContinuation = 4;
  static constexpr Word kReaderDone = 8;
  static constexpr Word kFlagMask = 15;
  // The waiting reader's Waker* (aligned so its low 4 bits are zero).
  static constexpr Word kWaiterMask = ~kFlagMask;

  bool spin_until_ready(std::chrono::steady_clock::time_point deadline) const noexcept;

  Atomic<Word> state_{0};
  Destroy destroy_;
  Continuation cont_ = nullptr;  // written by the reader before kContinuation (release)
  void* cont_ctx_ = nullptr;     // idem
  Atomic<bool> spin_{true};      // park_without_spinning()
};

}  // namespace tact::detail
