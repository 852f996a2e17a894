// Worker: one scheduler thread: its local deque and LIFO slot, and the loop that
// picks the next task (next_task), looks elsewhere (search), and sleeps (park).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "scheduler/chase_lev_deque.hpp"
#include "scheduler/injector.hpp"
#include "scheduler/task.hpp"
#include "sync/parker.hpp"

namespace tact::detail {

class Scheduler;

class Worker {
 public:
  Worker(Scheduler& scheduler, std::size_t index);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The thread body.
  void run();

  std::size_t index() const noexcept { return index_; }
  Scheduler& scheduler() noexcept { return scheduler_; }

 private:
  friend class Scheduler;

  // How many times in a row the LIFO slot may be taken before the deque gets a
  // turn: two actors messaging each other through the slot would otherwise
  // starve the rest. 3 is tokio's MAX_LIFO_POLLS_PER_TICK ("picked out of thin
  // air"); any small number keeps an ask/reply pair on one core.
  static constexpr std::uint32_t kMaxLifoRuns = 3;
  // Every this many tasks the injector is polled first, even when local work
  // remains, so external work and overflow are not starved (tokio: 61).
  static constexpr std::uint32_t kInjectorInterval = 61;

  // -- owner-side scheduling (called on this worker's thread) ----------------------
  void schedule_local(Task* task);
  void yield_local(Task* task);
  void push_to_deque(Task* task);

  // -- the loop ------------------------------------------------------------------------
  Task* next_task();
  Task* search();
  void end_search();
  Task* steal_from_others();
  void park();
  void run_task(Task* task);

  Scheduler& scheduler_;
  const std::size_t index_;
  // Owner-only fields: touched by this worker's thread only.
  Task* lifo_slot_ = nullptr;
  std::uint32_t lifo_runs_ = 0;
  std::uint32_t tick_ = 0;
  bool take_oldest_next_ = false;
  bool searching_ = false;
  std::uint64_t rng_;
  Injector::HandlePtr injector_handle_;
  // Shared: thieves steal from the deque; notifiers unpark the parker.
  ChaseLevDeque<Task> deque_;
  Parker parker_;
  // True while this worker runs no task (searching, spinning or asleep); read by
  // Scheduler::quiescent(). relaxed both ways: a snapshot for shutdown's drain,
  // which re-checks after a pause.
  Atomic<bool> is_idle_{false};
};

}  // namespace tact::detail
