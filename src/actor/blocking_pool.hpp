// BlockingPool: the runtime's threads for blocking work (ctx.blocking(f)), so a
// handler that must wait on a file, a legacy client or a lock does not stall a
// worker. Config::blocking_threads threads at most, started lazily (a runtime
// that never calls ctx.blocking has none), and a queue of at most
// Config::blocking_queue jobs beyond those running.
//
// A job is a function pointer and its context (runtime_abi.hpp, BlockingFn):
// fn(job, true) runs it on a pool thread; fn(job, false) cancels it (shutdown),
// and must answer its Reply with an error. Either way the job frees itself.
//
// Shutdown (RuntimeCore::shutdown, after the actors have stopped):
//   1. close: later submissions are refused (kClosed);
//   2. cancel what is queued and not started: fn(job, false), outside the lock;
//   3. wait for the running jobs, at most Config::blocking_shutdown_wait;
//   4. join the threads; if a job still runs past the wait (a call that never
//      returns), detach them instead: shutdown must not hang. Each thread holds
//      the shared state, so a detached one finishes its job, answers its Reply
//      and exits without touching the runtime. (The simulation build always
//      joins: its threads must end inside the run.)
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "sync/mutex.hpp"
#include "tact/detail/runtime_abi.hpp"

namespace tact::detail {

class BlockingPool {
 public:
  BlockingPool(std::size_t max_threads, std::size_t queue_capacity,
               std::chrono::milliseconds shutdown_wait);
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;
  ~BlockingPool();  // shutdown() if it has not run

  // Any thread. See BlockingSubmit (runtime_abi.hpp).
  BlockingSubmit submit(BlockingFn fn, void* job) noexcept;

  // Any thread. Nothing queued and nothing running (the shutdown drain waits
  // for it, as for quiescent workers).
  bool idle() const;

  // Once; any thread but a pool thread.
  void shutdown();

 private:
  struct Job {
    BlockingFn fn;
    void* ctx;
  };
  // Shared with the threads, which may outlive the pool (detached, step 4).
  struct State {
    mutable ::tact::detail::Mutex mutex;
    ::tact::detail::CondVar work;  // a job was queued, or closed
    ::tact::detail::CondVar done;  // a job finished
    std::deque<Job> queue;         // guarded by mutex
    std::size_t idle_threads = 0;  // guarded: threads waiting for work
    std::size_t running = 0;       // guarded: jobs being run
    bool closed = false;           // guarded
  };
  static void thread_main(const std::shared_ptr<State>& state) noexcept;

  const std::size_t max_threads_;
  const std::size_t queue_capacity_;
  const std::chrono::milliseconds shutdown_wait_;
  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;  // guarded by state_->mutex
  bool shut_down_ = false;            // shutdown()'s caller only
};

}  // namespace tact::detail
