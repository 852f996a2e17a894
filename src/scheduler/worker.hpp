// Worker: one scheduler thread: its local deque and LIFO slot, and the loop that
// picks the next task (next_task), looks elsewhere (search), and sleeps (park).
//
// A guest Worker is not one of the scheduler's threads: it is the state a host
// thread uses while a tact::Driver lends that thread to the runtime
// (run_ready()). Nobody steals from a guest and it never parks: what it still
// holds when run_ready() returns goes to the injector, so nothing waits on a
// thread that has gone back to its own work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "metrics/thread_metrics.hpp"
#include "scheduler/chase_lev_deque.hpp"
#include "scheduler/injector.hpp"
#include "scheduler/kept_queue.hpp"
#include "scheduler/task.hpp"
#include "sync/parker.hpp"

namespace tact::detail {

class Scheduler;
class Worker;

// The worker whose task is running on the calling thread (a Driver's guest
// inside run_ready() too), or nullptr. __thread, not thread_local: read on
// every send (Scheduler::schedule, inline), and an extern thread_local is
// reached through a TLS wrapper call.
extern __thread Worker* t_current_worker;
inline Worker* current_worker_any() noexcept { return t_current_worker; }

// The calling thread's Driver guest (tact/driver.hpp), of any scheduler, or nullptr.
Worker* driver_guest() noexcept;
void set_driver_guest(Worker* guest) noexcept;

// Page-aligned: the owner-only fields then sit at fixed offsets in their page,
// whatever the heap held before. A load whose address matches an in-flight
// store's in its low 12 bits waits for that store (4K aliasing): with the
// Worker at a heap address where lifo_runs_ matched the worker thread's stack
// slot of next_task's return address, ring ran 0.89x on 1 worker (perf: 17 %
// of samples on that `ret`, 3 % otherwise).
class alignas(4096) Worker {
 public:
  Worker(Scheduler& scheduler, std::size_t index);
  struct GuestTag {};
  Worker(Scheduler& scheduler, GuestTag);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The thread body.
  void run();

  // Guest only, on its host thread, not inside a task: runs ready tasks (the
  // injector's, and what they schedule here) until none is left or `max_tasks`
  // ran; hands what is left to the workers. Returns how many ran.
  std::size_t run_ready(std::size_t max_tasks);
  // Guest only: sends from the host thread (outside run_ready) put tasks in the
  // injector without waking a worker; the host promised to run them. Wakes one
  // now if any of that is still waiting (before the host blocks, or leaves).
  void wake_deferred() noexcept;
  void defer_wake() noexcept { wake_deferred_ = true; }
  // set_driver_guest's hook for sync/blocking.hpp: wake_deferred(), if the
  // guest deferred anything.
  static void wake_deferred_before_blocking(void* guest) noexcept;

  // How many times in a row the LIFO slot may be taken before the deque gets a
  // turn (when it has tasks): two actors messaging each other through the slot
  // would otherwise starve the rest. tokio takes 3 ("picked out of thin air");
  // here each trip through the deque also lets an idle worker steal one of a
  // messaging pair, which then talk across cores: 1,000 pairs on 2 workers ran
  // ~35M msgs/s with 3, ~41M with 8, ~51M with 16, ~58M with 64 (medians of 4
  // interleaved runs). 16 bounds the wait of the deque's tasks at 16 turns.
  static constexpr std::uint32_t kMaxLifoRuns = 16;
  // As kMaxLifoRuns, for the kept queue: it goes before the deque, whose tasks
  // get one turn in this many while it has tasks (or thieves take them).
  static constexpr std::uint32_t kMaxKeptRuns = 16;

  bool is_guest() const noexcept { return guest_; }
  // Only before run_ready() or between its calls (the host thread's own state).
  bool holds_no_tasks() const noexcept { return lifo_slot_ == nullptr && deque_.empty(); }

  std::size_t index() const noexcept { return index_; }
  Scheduler& scheduler() noexcept { return scheduler_; }
  // Owner only: what this thread counts (src/metrics/thread_metrics.hpp).
  ThreadMetrics& metrics() noexcept { return metrics_; }

 private:
  friend class Scheduler;

  // Every this many tasks the injector is polled first, even when local work
  // remains, so external work and overflow are not starved (tokio: 61).
  static constexpr std::uint32_t kInjectorInterval = 61;

  // -- owner-side scheduling (called on this worker's thread) ----------------------
  // The task runs next here (the LIFO slot); a task it displaces goes where
  // others can take it.
  void schedule_local(Task* task) {
    Task* displaced = lifo_slot_;
    lifo_slot_ = task;
    if (displaced != nullptr) share_displaced(displaced);
  }
  void share_displaced(Task* displaced);
  void yield_local(Task* task);
  // The task runs here, after the LIFO slot, where no other worker can take it
  // (kept_queue.hpp); a guest, or a full kept queue, uses the deque. A
  // consumer goes to the deque instead when another consumer is kept here and
  // a worker is idle, which then takes this one's pipeline.
  void keep_local(Task* task, bool consumer);
  void push_to_deque(Task* task);

  // -- the loop ------------------------------------------------------------------------
  Task* next_task();
  Task* search();
  void end_search();
  Task* steal_from_others();
  void park();
  // Before taking a task while flagged idle (is_idle_): flags this worker busy.
  void announce_taking() noexcept;
  void run_task(Task* task);
  void hand_back_local_tasks();

  Scheduler& scheduler_;
  const std::size_t index_;
  // Owner-only fields: touched by this worker's thread only.
  Task* lifo_slot_ = nullptr;
  std::uint32_t lifo_runs_ = 0;
  KeptQueue kept_;
  std::uint32_t kept_runs_ = 0;
  std::uint32_t injector_countdown_ = kInjectorInterval;  // the injector's turn at 0
  bool take_oldest_next_ = false;
  bool searching_ = false;
  const bool guest_ = false;
  const bool metrics_on_;  // Config::metrics: else the loop keeps no time split
  bool wake_deferred_ = false;  // guest: the host queued work without waking anyone
  std::uint64_t rng_;
  Injector::HandlePtr injector_handle_;
  ThreadMetrics metrics_;  // owner-written; the scheduler's MetricsHub reads it
  // Shared: thieves steal from the deque; notifiers unpark the parker.
  ChaseLevDeque<Task> deque_;
  Parker parker_;
  // True while this worker holds no task (searching, spinning or asleep); read by
  // Scheduler::quiescent(). Cleared before any take that can follow it
  // (announce_taking, whose fence orders it), so a task is always in a queue or
  // in a busy worker's hands. Set with release after the tasks it ran, read with
  // acquire, so what quiescent() reports idle has its tasks' effects seen.
  Atomic<bool> is_idle_{false};
};

}  // namespace tact::detail
