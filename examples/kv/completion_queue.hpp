// CompletionQueue: shard answers on their way back to one I/O thread.
//
// Any thread (the tact worker that ran a shard's handler, via Reply::then) pushes;
// only the owning I/O thread takes. A short mutex guards a vector that the I/O
// thread swaps out whole, so it takes every waiting completion in one lock.
//
// Wake-up without a syscall per answer: the I/O thread marks itself `sleeping_`
// (under the lock, and only when the queue is empty) just before epoll_wait; a
// push writes the eventfd only when it finds that mark, and clears it. So:
//   - no lost wake-up: a push either lands before the mark (the I/O thread sees a
//     non-empty queue and does not sleep) or after it (the pusher sees the mark and
//     writes the eventfd, which epoll_wait reports) — the mutex orders the two;
//   - while the I/O thread is busy, pushes cost a lock and no syscall.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include <tact/tact.hpp>

#include "shard_batches.hpp"
#include "shard_messages.hpp"

namespace kv {

struct Completion {
  std::vector<Target> targets;     // one per op of the batch
  tact::Outcome<BatchDone> answer; // the shard's answers, or why there are none
};

class CompletionQueue {
 public:
  CompletionQueue();  // throws std::system_error when no eventfd can be made
  ~CompletionQueue();
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  // The eventfd the I/O thread polls for readability.
  int fd() const noexcept { return event_fd_; }

  // Any thread.
  void push(Completion completion);
  // Any thread: makes the I/O thread's epoll_wait return (to notice a stop request).
  void wake() const noexcept;

  // I/O thread: a hint, without the lock, that completions are waiting (for a
  // short spin before sleeping); take_all() is the real answer.
  bool maybe_waiting() const noexcept { return waiting_.load(std::memory_order_acquire); }
  // I/O thread: swaps every waiting completion into `out` (which must be empty).
  void take_all(std::vector<Completion>& out);
  // I/O thread, right before a blocking epoll_wait: false when completions are
  // already waiting (do not block then); true after marking the thread asleep.
  bool prepare_to_sleep();
  // I/O thread, after epoll_wait: awake again; also consumes the eventfd's count.
  void woke_up(bool event_fd_readable);

 private:
  std::mutex mutex_;
  std::vector<Completion> items_;  // guarded by mutex_
  bool sleeping_ = false;          // guarded by mutex_
  // Mirrors !items_.empty() for maybe_waiting(). Written under mutex_; release in
  // push() pairs with the acquire in maybe_waiting() (a hint only: the data itself
  // is handed over under the mutex).
  std::atomic<bool> waiting_{false};
  int event_fd_ = -1;
};

}  // namespace kv
