// The LIFO slot's fairness (src/scheduler/worker.cpp, next_task): two tasks
// passing the turn to each other through the slot do not starve a task waiting
// in the deque. (With the deque empty the slot is not capped: nobody waits.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "scheduler/scheduler.hpp"
#include "scheduler/task.hpp"
#include "scheduler/worker.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::detail::Scheduler;
using tact::detail::Task;
using tact::detail::Worker;
using tact::test::Watchdog;

// ---- a pair through the slot does not starve the deque -----------------------------------------

struct Stage {
  Task* waiting = nullptr;  // put in the deque by a's first run
  std::atomic<bool> waiting_ran{false};
  std::atomic<std::uint64_t> pair_runs_before_waiting{0};
  std::atomic<bool> done{false};
};

struct PairTask : Task {
  PairTask* partner = nullptr;
  bool first = true;
};

constexpr std::uint64_t kPairRunLimit = 10'000;

void run_pair_or_waiting(Task* base, Worker& worker, void* context) {
  auto* stage = static_cast<Stage*>(context);
  if (base == stage->waiting) {
    stage->waiting_ran.store(true, std::memory_order_release);
    return;
  }
  auto* task = static_cast<PairTask*>(base);
  if (task->first) {
    task->first = false;
    // The waiting task goes to the slot, then the partner displaces it into
    // the deque; from then on the pair passes the slot back and forth.
    worker.scheduler().schedule(stage->waiting);
    worker.scheduler().schedule(task->partner);
    return;
  }
  const std::uint64_t runs = stage->pair_runs_before_waiting.fetch_add(1) + 1;
  if (stage->waiting_ran.load(std::memory_order_acquire) || runs >= kPairRunLimit) {
    stage->done.store(true, std::memory_order_release);
    return;
  }
  worker.scheduler().schedule(task->partner);
}

TEST(LifoSlot, TwoTasksPassingTheSlotDoNotStarveTheDeque) {
  Stage stage;
  PairTask a;
  PairTask b;
  Task waiting;
  a.partner = &b;
  b.partner = &a;
  b.first = false;
  stage.waiting = &waiting;
  tact::Config config;
  config.workers = 1;  // nobody else to steal the waiting task
  Scheduler scheduler(config, &run_pair_or_waiting, &stage);
  Watchdog watchdog("pair and waiting task", 60s,
                    [&] { return "pair runs=" + std::to_string(stage.pair_runs_before_waiting.load()); });
  scheduler.start();
  scheduler.schedule(&a);
  while (!stage.done.load(std::memory_order_acquire)) std::this_thread::sleep_for(100us);
  scheduler.stop();
  EXPECT_TRUE(stage.waiting_ran.load());
  // kMaxLifoRuns slot runs, then the deque's task: a few runs, not thousands.
  EXPECT_LE(stage.pair_runs_before_waiting.load(), Worker::kMaxLifoRuns + 2);
}

}  // namespace
