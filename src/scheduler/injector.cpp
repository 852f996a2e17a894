#include "scheduler/injector.hpp"
#include "sync/mutex.hpp"

#include <cstdint>

#include "tact/detail/atomic.hpp"
#if defined(TACT_SIM)
#include "sim/sim.hpp"
#endif

#if defined(TACT_SANITIZE_THREAD)
// ThreadSanitizer does not model atomic_thread_fence, and moodycamel's queue
// synchronizes through fences (its dequeue reads tailIndex relaxed, then fences):
// TSan reports false races inside it, and would miss the happens-before edge it
// gives tact (a scheduled cell's fields, written by the pusher, read by the
// worker that pops it). So the TSan build puts a mutex-guarded deque behind the
// same interface: TSan then checks everything of tact's own. moodycamel is tested
// by its authors (with Relacy, a model checker).
#include <deque>
#include <mutex>
#else
// moodycamel's code trips GCC's flow-based -Wnull-dereference when instantiated
// here; the warning is about its internals, not tact's.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#if __has_include(<concurrentqueue.h>)
#include <concurrentqueue.h>
#elif __has_include(<concurrentqueue/concurrentqueue.h>)
#include <concurrentqueue/concurrentqueue.h>
#else
#include <moodycamel/concurrentqueue.h>
#endif
#endif

namespace tact::detail {

#if defined(TACT_SANITIZE_THREAD)

struct Injector::Queue {
  ::tact::detail::Mutex mutex;
  std::deque<Task*> tasks;
};

class Injector::Handle {};

Injector::Injector() : queue_(std::make_unique<Queue>()) {}
Injector::~Injector() = default;

Injector::HandlePtr Injector::make_handle() { return HandlePtr(new Handle()); }

void Injector::HandleDeleter::operator()(Handle* handle) const noexcept { delete handle; }

void Injector::push(Task* task) {
  std::lock_guard<::tact::detail::Mutex> lock(queue_->mutex);
  queue_->tasks.push_back(task);
}

void Injector::push(Handle&, Task* task) { push(task); }

Task* Injector::pop() noexcept {
  std::lock_guard<::tact::detail::Mutex> lock(queue_->mutex);
  if (queue_->tasks.empty()) return nullptr;
  Task* task = queue_->tasks.front();
  queue_->tasks.pop_front();
  return task;
}

Task* Injector::pop(Handle&) noexcept { return pop(); }

bool Injector::probably_empty() const noexcept {
  std::lock_guard<::tact::detail::Mutex> lock(queue_->mutex);
  return queue_->tasks.empty();
}

#else

struct Injector::Queue {
  moodycamel::ConcurrentQueue<Task*> queue;
  // Tasks pushed and not yet popped, counted up *before* the enqueue and down
  // after a successful dequeue, so it is never below the queue's true size.
  // Why: a dequeue from an empty moodycamel queue walks every producer (one per
  // thread that ever pushed), ~190 instructions; workers poll the injector
  // often and find it empty nearly always (callgrind, pairs: ~20% of all
  // instructions). One load of this word answers "empty" instead. relaxed
  // everywhere: a stale zero only delays a pop, and the parking re-check reads
  // it after its seq_cst fence, which pairs with the pusher's fence after the
  // increment (idle.hpp, P1-P3 / W1-W3), so no task is missed by a sleeper.
  alignas(kCacheLine) Atomic<std::int64_t> queued{0};
};

// moodycamel's atomics are not tact's Atomic: the simulation's weak-memory model
// (src/sim/weak_memory.hpp) is told of the hand-off its enqueue/dequeue make.
inline void handed_over(const void* queue) noexcept {
#if defined(TACT_SIM)
  sim::weak_release(queue);
#else
  (void)queue;
#endif
}
inline void taken_over(const void* queue) noexcept {
#if defined(TACT_SIM)
  sim::weak_acquire(queue);
#else
  (void)queue;
#endif
}

class Injector::Handle {
 public:
  explicit Handle(moodycamel::ConcurrentQueue<Task*>& q) : producer(q), consumer(q) {}
  moodycamel::ProducerToken producer;
  moodycamel::ConsumerToken consumer;
};

Injector::Injector() : queue_(std::make_unique<Queue>()) {}
Injector::~Injector() = default;

Injector::HandlePtr Injector::make_handle() { return HandlePtr(new Handle(queue_->queue)); }

void Injector::HandleDeleter::operator()(Handle* handle) const noexcept { delete handle; }

void Injector::push(Task* task) {
  queue_->queued.fetch_add(1, relaxed);  // before: see Queue::queued
  handed_over(queue_.get());
  queue_->queue.enqueue(task);
}

void Injector::push(Handle& handle, Task* task) {
  queue_->queued.fetch_add(1, relaxed);  // before: see Queue::queued
  handed_over(queue_.get());
  queue_->queue.enqueue(handle.producer, task);
}

Task* Injector::pop() noexcept {
  if (queue_->queued.load(relaxed) == 0) return nullptr;
  Task* task = nullptr;
  if (!queue_->queue.try_dequeue(task)) return nullptr;
  taken_over(queue_.get());
  queue_->queued.fetch_sub(1, relaxed);
  return task;
}

Task* Injector::pop(Handle& handle) noexcept {
  if (queue_->queued.load(relaxed) == 0) return nullptr;
  Task* task = nullptr;
  if (!queue_->queue.try_dequeue(handle.consumer, task)) return nullptr;
  taken_over(queue_.get());
  queue_->queued.fetch_sub(1, relaxed);
  return task;
}

bool Injector::probably_empty() const noexcept {
  return queue_->queued.load(relaxed) == 0;
}

#endif

}  // namespace tact::detail

#if !defined(TACT_SANITIZE_THREAD)
#pragma GCC diagnostic pop
#endif
