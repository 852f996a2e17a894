#include "supervision/restart_timer.hpp"

#include "tact/detail/ties.hpp"
#include "tact/supervisor.hpp"

namespace tact::detail {

RestartTimer::RestartTimer(CellBase* supervisor) : supervisor_(supervisor), thread_([this] { run(); }) {}

RestartTimer::~RestartTimer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  changed_.notify_one();
  thread_.join();
}

void RestartTimer::wake_at(Clock::time_point at) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    due_.push(at);
  }
  changed_.notify_one();
}

void RestartTimer::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!done_) {
    if (due_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const Clock::time_point next = due_.top();
    if (Clock::now() < next) {
      changed_.wait_until(lock, next);
      continue;
    }
    due_.pop();
    lock.unlock();
    // The owner joins us before its object goes, so its cell is alive here.
    deliver_system<Supervisor>(supervisor_, RestartDue{});
    lock.lock();
  }
}

}  // namespace tact::detail
