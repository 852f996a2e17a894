// KeptQueue: a worker's private FIFO of tasks that should stay on its thread
// (Worker::keep_local): no other thread sees it, so nobody steals from it.
//
// Why: under backpressure (actor/backpressure.hpp) a consumer and the senders
// muted on it take turns closely. Run on one worker they pass each message
// through its cache (fan-in, 1 worker: ~70M msgs/s); when an idle worker steals
// the senders or the consumer from the deque, every message crosses cores
// (2 workers: ~9M). Keeping them here keeps the pipeline on one core.
//
// Fixed capacity, no allocation: push() reports a full queue, and the worker
// puts the task in its deque instead.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "scheduler/task.hpp"

namespace tact::detail {

class KeptQueue {
 public:
  static constexpr std::size_t kCapacity = 64;  // a power of two

  bool empty() const noexcept { return head_ == tail_; }
  bool push(Task* task) noexcept {
    if (tail_ - head_ == kCapacity) return false;
    slots_[tail_++ % kCapacity] = task;
    return true;
  }
  // Not when empty.
  Task* pop() noexcept { return slots_[head_++ % kCapacity]; }

 private:
  std::array<Task*, kCapacity> slots_{};
  std::uint32_t head_ = 0;  // free-running; the difference is the size
  std::uint32_t tail_ = 0;
};

}  // namespace tact::detail
