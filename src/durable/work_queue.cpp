#include "durable/work_queue.hpp"

namespace tact::nats::durable {

WorkQueue::WorkQueue(int threads) {
  for (int i = 0; i < (threads > 0 ? threads : 1); ++i) threads_.emplace_back([this] { serve(); });
}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
    later_.clear();
  }
  ready_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkQueue::run(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    now_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void WorkQueue::run_at(Clock::time_point when, Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_) return;
    later_.emplace(when, std::move(job));
  }
  ready_.notify_all();  // a sleeper may have to wake sooner
}

void WorkQueue::serve() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    while (!later_.empty() && later_.begin()->first <= Clock::now()) {
      now_.push_back(std::move(later_.begin()->second));
      later_.erase(later_.begin());
    }
    if (!now_.empty()) {
      Job job = std::move(now_.front());
      now_.pop_front();
      lock.unlock();
      job();
      lock.lock();
      continue;
    }
    if (closing_) return;
    if (later_.empty()) {
      ready_.wait(lock);
    } else {
      // A copy: another thread may run (and erase) that job while this one waits.
      const Clock::time_point next = later_.begin()->first;
      ready_.wait_until(lock, next);
    }
  }
}

}  // namespace tact::nats::durable
