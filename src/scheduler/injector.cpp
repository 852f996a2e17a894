#include "scheduler/injector.hpp"

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

namespace tact::detail {

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

}  // namespace tact::detail

#pragma GCC diagnostic pop
