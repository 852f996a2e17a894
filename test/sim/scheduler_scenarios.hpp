// Scheduler-level scenarios for the simulation (no actors: Scheduler + Tasks), after
// test/stress/scheduler_stress_test.cpp. Each is a sim body: it returns whether its
// invariant held. Used by sim_scheduler_test (the library as it is) and sim_bug_test
// (the library with one historical race re-introduced).
#pragma once

#include <array>
#include <chrono>

#include "scheduler/scheduler.hpp"
#include "sim/sim.hpp"
#include "sync/thread.hpp"
#include "tact/config.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/detail/clock.hpp"

namespace tact::simtest {

using namespace std::chrono_literals;

struct OneShot : detail::Task {
  const detail::Atomic<bool>* gate = nullptr;  // non-null: a long task, runs until it opens
  detail::Atomic<bool> started{false};
  detail::Atomic<bool> done{false};
};

inline void run_one_shot(detail::Task* base, detail::Worker& /*worker*/, void* /*context*/) {
  auto* task = static_cast<OneShot*>(base);
  task->started.store(true);
  if (task->gate != nullptr) {
    while (!task->gate->load()) sim::spin_point();
  }
  task->done.store(true);
}

inline Config scenario_config(std::size_t workers) {
  Config config;
  config.workers = workers;
  config.spin_before_park = 5us;  // virtual: a few looks, then park
  return config;
}

// Waits (virtual time, polling) until `flag` or `limit` passes.
inline bool wait_for(const detail::Atomic<bool>& flag, std::chrono::microseconds limit) {
  const auto deadline = detail::steady_now() + limit;
  while (!flag.load()) {
    if (detail::steady_now() > deadline) return false;
    detail::sleep_for(10us);
  }
  return true;
}

// Shutdown's drain: quiescent() must never be true while a task is queued or
// running (SchedulerStress.QuiescentIsNeverTrueWhileATaskIsQueuedOrRunning). A plain
// thread schedules one task at a time and polls quiescent() until it says quiet;
// the task must have run by then. Some rounds first let the workers park.
inline bool quiescent_never_true_while_a_task_is_in_flight() {
  detail::Scheduler scheduler(scenario_config(2), &run_one_shot, nullptr);
  scheduler.start();
  std::array<OneShot, 3> shots;
  bool ok = true;
  for (std::size_t i = 0; i < shots.size(); ++i) {
    if (i == 1) detail::sleep_for(100us);  // the workers spin out and park
    scheduler.schedule(&shots[i]);
    while (!scheduler.quiescent()) sim::spin_point();
    if (!shots[i].done.load()) {
      ok = false;
      (void)wait_for(shots[i].done, 10s);  // it is still ours until it ran
      break;
    }
  }
  scheduler.stop();
  return ok;
}

// A sleeping worker is woken while the other runs a long task
// (SchedulerWakeUp.ASleepingWorkerIsWokenWhileTheOtherRunsALongTask): both workers
// asleep, a long task arrives from outside (one wakes and runs it), then a short
// one: the other must wake and run it while the long one still runs.
inline bool a_sleeping_worker_is_woken_while_the_other_runs_a_long_task() {
  detail::Scheduler scheduler(scenario_config(2), &run_one_shot, nullptr);
  scheduler.start();
  detail::sleep_for(200us);  // both spin out and park
  detail::Atomic<bool> gate{false};
  OneShot long_task;
  long_task.gate = &gate;
  OneShot short_task;
  scheduler.schedule(&long_task);
  bool ok = wait_for(long_task.started, 10ms);
  if (ok) {
    scheduler.schedule(&short_task);
    ok = wait_for(short_task.done, 2ms);  // 2 ms of virtual time: hundreds of looks
  }
  gate.store(true);
  (void)wait_for(short_task.done, 10s);
  (void)wait_for(long_task.done, 10s);
  scheduler.stop();
  return ok;
}

}  // namespace tact::simtest
