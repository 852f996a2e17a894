#include "scheduler/injector.hpp"

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
  std::mutex mutex;
  std::deque<Task*> tasks;
};

class Injector::Handle {};

Injector::Injector() : queue_(std::make_unique<Queue>()) {}
Injector::~Injector() = default;

Injector::HandlePtr Injector::make_handle() { return HandlePtr(new Handle()); }

void Injector::HandleDeleter::operator()(Handle* handle) const noexcept { delete handle; }

void Injector::push(Task* task) {
  std::lock_guard<std::mutex> lock(queue_->mutex);
  queue_->tasks.push_back(task);
}

void Injector::push(Handle&, Task* task) { push(task); }

Task* Injector::pop() noexcept {
  std::lock_guard<std::mutex> lock(queue_->mutex);
  if (queue_->tasks.empty()) return nullptr;
  Task* task = queue_->tasks.front();
  queue_->tasks.pop_front();
  return task;
}

Task* Injector::pop(Handle&) noexcept { return pop(); }

bool Injector::probably_empty() const noexcept {
  std::lock_guard<std::mutex> lock(queue_->mutex);
  return queue_->tasks.empty();
}

#else

struct Injector::Queue {
  moodycamel::ConcurrentQueue<Task*> queue;
};

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

void Injector::push(Task* task) { queue_->queue.enqueue(task); }

void Injector::push(Handle& handle, Task* task) { queue_->queue.enqueue(handle.producer, task); }

Task* Injector::pop() noexcept {
  Task* task = nullptr;
  return queue_->queue.try_dequeue(task) ? task : nullptr;
}

Task* Injector::pop(Handle& handle) noexcept {
  Task* task = nullptr;
  return queue_->queue.try_dequeue(handle.consumer, task) ? task : nullptr;
}

bool Injector::probably_empty() const noexcept { return queue_->queue.size_approx() == 0; }

#endif

}  // namespace tact::detail

#if !defined(TACT_SANITIZE_THREAD)
#pragma GCC diagnostic pop
#endif
