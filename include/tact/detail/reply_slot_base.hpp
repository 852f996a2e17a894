// ReplySlotBase: the untyped core of a one-shot reply slot: one atomic state word
// that decides every race between the one writer and the one reader.
//
// State bits (a word, not an enum: the reader's and writer's bits are set by
// fetch_or and combine):
//   kValue        the writer has stored an outcome (value or error) and is done
//                 with the storage. Set once.
//   kWaiter       the reader is blocked (or about to be) on its thread's Parker,
//                 recorded in waiter_; the writer must unpark it.
//   kContinuation the reader registered cont_/cont_ctx_; the writer must run it.
//   kReaderDone   the reader abandoned the slot without consuming it.
//
// Lifetimes: the slot is freed exactly once, by whichever side finishes last:
//   - writer publishes, reader consumes later      -> the reader frees it;
//   - reader abandoned (kReaderDone) before publish -> the writer frees it;
//   - continuation registered                       -> whoever runs it frees it;
//   - reader blocked (kWaiter)                      -> the writer unparks it and
//     touches nothing after: the reader frees it once it wakes.
// That last rule is why waiting goes through a per-thread Parker and not through
// this word: a waker that notified this word could touch freed memory.
//
// Memory ordering: everything the writer wrote before publish() (the outcome,
// and whatever the handler wrote before replying) happens-before the reader's
// return from wait()/ready()==true and before a continuation runs.
#pragma once

#include <chrono>
#include <cstdint>

#include "tact/detail/atomic.hpp"

namespace tact::detail {

class Parker;

class ReplySlotBase {
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

  // Reader only. True once the outcome is stored (acquire: the outcome is then
  // readable).
  bool ready() const noexcept { return (state_.load(acquire) & kValue) != 0; }

  // Reader only. Blocks until ready(): spins briefly, then parks the thread.
  void wait() noexcept;

  // Reader only. As wait(), giving up at `deadline`; returns ready(). After a
  // false return the reader still owns the slot and may wait again.
  bool wait_until(std::chrono::steady_clock::time_point deadline) noexcept;

  // Reader only, after it saw ready() and took the outcome: frees the slot.
  void release_consumed() noexcept { destroy_(this); }

  // Reader only, instead of consuming: the writer will free the slot (or we do,
  // if the outcome is already there).
  void abandon() noexcept;

  // Reader only, instead of waiting: `fn(this, ctx)` runs exactly once with the
  // outcome, here if it is already there, else on the writer's thread.
  void set_continuation(Continuation fn, void* ctx) noexcept;

 protected:
  explicit ReplySlotBase(Destroy destroy) noexcept : destroy_(destroy) {}
  ~ReplySlotBase() = default;

 private:
  static constexpr std::uint32_t kValue = 1;
  static constexpr std::uint32_t kWaiter = 2;
  static constexpr std::uint32_t kContinuation = 4;
  static constexpr std::uint32_t kReaderDone = 8;

  bool spin_until_ready(std::chrono::steady_clock::time_point deadline) const noexcept;
  // Sets kWaiter; false if the outcome arrived first (then nobody will unpark us).
  bool register_waiter() noexcept;

  Atomic<std::uint32_t> state_{0};
  Destroy destroy_;
  Continuation cont_ = nullptr;  // written by the reader before kContinuation (release)
  void* cont_ctx_ = nullptr;     // idem
  Parker* waiter_ = nullptr;     // written by the reader before kWaiter (release)
};

// Blocking waits on runtime worker threads deadlock a small runtime: the
// scheduler marks its workers, and Reply::get() refuses to block there.
void set_blocking_forbidden(bool forbidden) noexcept;
bool blocking_forbidden() noexcept;

}  // namespace tact::detail
