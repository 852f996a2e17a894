// Injector: the scheduler's global FIFO queue, fed by threads outside the runtime
// and by workers whose local deque is full; every worker polls it. The only file
// in tact that includes moodycamel::ConcurrentQueue.
#pragma once

#include <cstddef>
#include <memory>

#include "scheduler/task.hpp"

namespace tact::detail {

class Injector {
 public:
  // A worker's (or any thread's) cheap repeated access: moodycamel producer and
  // consumer tokens. One per thread; not thread-safe itself.
  class Handle;
  struct HandleDeleter {
    void operator()(Handle* handle) const noexcept;
  };
  using HandlePtr = std::unique_ptr<Handle, HandleDeleter>;

  Injector();
  ~Injector();
  Injector(const Injector&) = delete;
  Injector& operator=(const Injector&) = delete;

  // Any thread. Never fails (allocates a block when needed).
  void push(Task* task);
  void push(Handle& handle, Task* task);

  // Any thread. nullptr when empty.
  Task* pop() noexcept;
  Task* pop(Handle& handle) noexcept;

  // Any thread: an estimate, exact when quiescent. Used by the parking re-check,
  // after a seq_cst fence (see idle.hpp).
  bool probably_empty() const noexcept;

  HandlePtr make_handle();

 private:
  struct Queue;
  std::unique_ptr<Queue> queue_;
};

}  // namespace tact::detail
