#include "actor/blocking_pool.hpp"

#include <mutex>
#include <utility>

#include "actor/runtime_core.hpp"
#include "sync/thread.hpp"
#include "tact/detail/clock.hpp"

namespace tact::detail {

BlockingPool::BlockingPool(std::size_t max_threads, std::size_t queue_capacity,
                           std::chrono::milliseconds shutdown_wait)
    : max_threads_(max_threads == 0 ? 1 : max_threads),
      queue_capacity_(queue_capacity),
      shutdown_wait_(shutdown_wait),
      state_(std::make_shared<State>()) {}

BlockingPool::~BlockingPool() { shutdown(); }

BlockingSubmit BlockingPool::submit(BlockingFn fn, void* job) noexcept {
  std::unique_lock<::tact::detail::Mutex> lock(state_->mutex);
  if (state_->closed) return BlockingSubmit::kClosed;
  // Beyond the jobs being run, at most queue_capacity_ wait.
  const std::size_t free_threads = state_->idle_threads + (max_threads_ - threads_.size());
  if (state_->queue.size() >= queue_capacity_ + free_threads) return BlockingSubmit::kFull;
  try {
    state_->queue.push_back(Job{fn, job});
  } catch (...) {
    return BlockingSubmit::kFull;  // no memory for the queue: refused like a full one
  }
  // A thread more when the idle ones cannot take every queued job.
  if (state_->queue.size() > state_->idle_threads && threads_.size() < max_threads_) {
    try {
      threads_.push_back(start_thread([state = state_] { thread_main(state); }));
    } catch (...) {
      if (threads_.empty()) {  // nobody would ever run it
        state_->queue.pop_back();
        return BlockingSubmit::kFull;
      }
    }
  }
  lock.unlock();
  state_->work.notify_one();
  return BlockingSubmit::kQueued;
}

void BlockingPool::thread_main(const std::shared_ptr<State>& state) noexcept {
  std::unique_lock<::tact::detail::Mutex> lock(state->mutex);
  for (;;) {
    while (state->queue.empty() && !state->closed) {
      ++state->idle_threads;
      state->work.wait(lock);
      --state->idle_threads;
    }
    if (state->queue.empty()) return;  // closed, and nothing left (shutdown cancels the rest)
    const Job job = state->queue.front();
    state->queue.pop_front();
    ++state->running;
    lock.unlock();
    job.fn(job.ctx, true);  // noexcept: the job answers its own Reply
    lock.lock();
    --state->running;
    if (state->running == 0 && state->queue.empty()) state->done.notify_all();
  }
}

bool BlockingPool::idle() const {
  std::lock_guard<::tact::detail::Mutex> lock(state_->mutex);
  return state_->queue.empty() && state_->running == 0;
}

void BlockingPool::shutdown() {
  if (std::exchange(shut_down_, true)) return;
  std::deque<Job> cancelled;
  std::vector<std::thread> threads;
  {
    std::lock_guard<::tact::detail::Mutex> lock(state_->mutex);
    state_->closed = true;  // step 1
    cancelled.swap(state_->queue);
    threads.swap(threads_);
  }
  state_->work.notify_all();  // idle threads see `closed` and exit
  for (const Job& job : cancelled) job.fn(job.ctx, false);  // step 2, outside the lock
  bool finished;
  {
    std::unique_lock<::tact::detail::Mutex> lock(state_->mutex);  // step 3
    const auto deadline = ::tact::detail::steady_now() + shutdown_wait_;
    while (state_->running != 0 && ::tact::detail::steady_now() < deadline) {
      state_->done.wait_until(lock, deadline);
    }
    finished = state_->running == 0;
  }
#if defined(TACT_SIM)
  finished = true;  // the simulation's threads must end inside the run
#endif
  for (std::thread& thread : threads) {  // step 4
    if (finished) {
      join_thread(thread);
    } else {
      thread.detach();  // it keeps `state`, finishes its job and exits
    }
  }
}

// ===== the boundary (runtime_abi.hpp) ========================================================

BlockingSubmit blocking_pool_submit(RuntimeCore* runtime, BlockingFn fn, void* job) noexcept {
  return runtime->blocking_pool().submit(fn, job);
}

}  // namespace tact::detail
