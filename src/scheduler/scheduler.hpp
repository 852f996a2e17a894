// Scheduler: worker threads, each with a Chase–Lev deque and a LIFO slot; a
// global injection queue; stealing; spin-then-park with the wake protocol of
// idle.hpp. It runs Tasks through the RunTask function it is given.
//
// Where a task made runnable goes (schedule()):
//   - on a worker of this scheduler: that worker's LIFO slot (the task runs next,
//     on the same core, while what it reads is hot in cache: an ask and its reply
//     stay on one core); the task it displaces goes to the deque, and other
//     workers are notified;
//   - anywhere else: the injection queue, and one sleeper is woken if nobody is
//     searching.
// A task that ran out of budget (yield()) goes to the bottom of its worker's deque
// and the worker next takes the oldest task of its deque: the others get a turn.
//
// A host thread with a tact::Driver (tact/driver.hpp) is a guest: inside its
// run_ready() it schedules as a worker does (LIFO slot); outside, its sends go to
// the injector without waking anyone, since it runs them next (worker.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "scheduler/idle.hpp"
#include "scheduler/injector.hpp"
#include "scheduler/task.hpp"
#include "scheduler/worker.hpp"
#include "metrics/metrics_hub.hpp"
#include "metrics/slow_handler_watchdog.hpp"
#include "tact/config.hpp"
#include "tact/detail/atomic.hpp"

namespace tact::detail {

class Scheduler {
 public:
  Scheduler(const Config& config, RunTask run, void* run_context);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the worker threads. Once.
  void start();

  // Any thread. Makes `task` runnable (see the file comment). Inline: every
  // send that wakes an actor comes here, mostly from a worker of this scheduler.
  void schedule(Task* task) {
    if (Worker* worker = current_worker(); worker != nullptr) [[likely]] {
      worker->schedule_local(task);
      return;
    }
    schedule_from_outside(task);
  }

  // Any thread. As schedule(), but on a worker the task stays on that worker,
  // in its kept queue (kept_queue.hpp), where no other worker takes it, and
  // nobody is woken: the caller's worker is busy and will get to it (senders a
  // running actor releases; from inside RunTask, a task that stays here to run
  // again: an actor flooding or behind; actor/backpressure.hpp).
  // `consumer`: the task is an actor behind the actors that feed it. It stays
  // unless this worker already keeps another consumer and a worker is idle:
  // then it goes where that worker steals it, and the senders it releases
  // follow it there (Worker::keep_local).
  void schedule_kept(Task* task, bool consumer = false) {
    if (Worker* worker = current_worker(); worker != nullptr) {
      worker->keep_local(task, consumer);
      return;
    }
    schedule_from_outside(task);
  }

  // Worker thread only, from inside RunTask: `task` still has work but used its
  // budget (or waits on a half-done push): run it again after the others.
  void yield(Task* task);

  // Any thread but a worker. Stops and joins every worker. Tasks still queued are
  // not run (the runtime stops every actor first). Idempotent.
  void stop();

  // True when no task is queued or running: every worker is idle (searching or
  // asleep), no guest is inside run_ready() and no queue holds work. A
  // snapshot (for Runtime::shutdown's drain).
  bool quiescent() const;

  // Any thread: wakes a sleeper if work is queued anywhere (for shutdown, which
  // must not rely on a driver thread's deferred wake-ups).
  void notify_if_work_visible();

  std::size_t worker_count() const noexcept { return workers_.size(); }
  const Config& config() const noexcept { return config_; }
  // Every thread's counters (src/metrics/): the workers' and the guests'.
  MetricsHub& metrics() noexcept { return metrics_; }
  const MetricsHub& metrics() const noexcept { return metrics_; }

  // The worker of this scheduler running on the calling thread, or nullptr.
  Worker* current_worker() const noexcept {
    Worker* worker = current_worker_any();
    return (worker != nullptr && &worker->scheduler() == this) ? worker : nullptr;
  }

 private:
  friend class Worker;

  // schedule() from a thread that is not one of ours: the injector.
  void schedule_from_outside(Task* task);
  // P1-P3 of idle.hpp, after making work visible.
  void notify_one();
  // notify_one for a thread that is not a worker, after an injector push: a
  // worker about to come back for work gets a moment to take it (below).
  void notify_from_outside();
  // W3 of idle.hpp: is there work anywhere a sleeper could take?
  bool work_visible() const noexcept;
  bool stopping() const noexcept { return stopping_.load(acquire); }

  Config config_;
  MetricsHub metrics_;  // before the workers, which join it
  RunTask run_;
  void* run_context_;
  Injector injector_;
  Idle idle_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  SlowHandlerWatchdog watchdog_{config_, metrics_};  // Config::slow_handler
  // release in stop(), acquire in the workers' loop: they exit after seeing it.
  Atomic<bool> stopping_{false};
  // Guests inside run_ready(): what a guest takes or schedules there is in no
  // queue another thread can see, so quiescent() is false while one runs.
  Atomic<std::uint32_t> guests_running_{0};
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace tact::detail
