#include "completion_queue.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

namespace kv {

CompletionQueue::CompletionQueue() : event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

CompletionQueue::~CompletionQueue() { ::close(event_fd_); }

void CompletionQueue::push(Completion completion) {
  bool wake_needed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(std::move(completion));
    waiting_.store(true, std::memory_order_release);  // pairs with maybe_waiting()'s acquire
    wake_needed = std::exchange(sleeping_, false);
  }
  if (wake_needed) wake();
}

void CompletionQueue::wake() const noexcept {
  const std::uint64_t one = 1;
  // A full counter (EAGAIN) already means "readable": nothing is lost.
  [[maybe_unused]] const ssize_t n = ::write(event_fd_, &one, sizeof one);
}

void CompletionQueue::take_all(std::vector<Completion>& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  out.swap(items_);
  waiting_.store(false, std::memory_order_relaxed);  // under the lock: push() cannot interleave
}

bool CompletionQueue::prepare_to_sleep() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!items_.empty()) return false;
  sleeping_ = true;
  return true;
}

void CompletionQueue::woke_up(bool event_fd_readable) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sleeping_ = false;
  }
  if (event_fd_readable) {
    std::uint64_t count = 0;
    [[maybe_unused]] const ssize_t n = ::read(event_fd_, &count, sizeof count);
  }
}

}  // namespace kv
