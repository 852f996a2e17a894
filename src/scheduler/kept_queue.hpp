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
#include <bit>
#include <cstddef>
#include <cstdint>

#include "scheduler/task.hpp"

namespace tact::detail {

class KeptQueue {
 public:
  static constexpr std::size_t kCapacity = 64;  // a power of two, one bit each in consumer_bits_

  bool empty() const noexcept { return head_ == tail_; }
  // `consumer`: the task is an actor behind the actors that feed it, the head
  // of a pipeline (Worker::keep_local counts them to know when it holds more
  // than one).
  bool push(Task* task, bool consumer = false) noexcept {
    if (tail_ - head_ == kCapacity) return false;
    const std::uint32_t slot = tail_++ % kCapacity;
    slots_[slot] = task;
    consumer_bits_ |= std::uint64_t{consumer} << slot;  // the slot's bit is clear: pop cleared it
    return true;
  }
  // Not when empty.
  Task* pop() noexcept {
    const std::uint32_t slot = head_++ % kCapacity;
    consumer_bits_ &= ~(std::uint64_t{1} << slot);
    return slots_[slot];
  }
  // How many of the queued tasks were pushed as consumers.
  std::uint32_t consumers() const noexcept { return static_cast<std::uint32_t>(std::popcount(consumer_bits_)); }

 private:
  std::array<Task*, kCapacity> slots_{};
  std::uint64_t consumer_bits_ = 0;  // bit i: slots_[i] holds a consumer
  std::uint32_t head_ = 0;           // free-running; the difference is the size
  std::uint32_t tail_ = 0;
};

}  // namespace tact::detail
