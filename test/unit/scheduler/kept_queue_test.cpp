// The kept queue (src/scheduler/kept_queue.hpp) and the worker's use of it
// (Worker::keep_local, next_task): kept tasks stay on their worker while another
// worker idles, and they do not starve the deque.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "scheduler/kept_queue.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/task.hpp"
#include "scheduler/worker.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::detail::KeptQueue;
using tact::detail::Scheduler;
using tact::detail::Task;
using tact::detail::Worker;
using tact::test::Watchdog;

// ---- the queue alone ---------------------------------------------------------------------

TEST(KeptQueue, IsFirstInFirstOutAcrossTheWrapAndRefusesWhenFull) {
  KeptQueue queue;
  std::vector<Task> tasks(KeptQueue::kCapacity + 1);
  EXPECT_TRUE(queue.empty());
  // Three rounds of fill and drain, starting at different offsets of the ring.
  for (std::size_t round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < round * 5; ++i) {  // move the start along
      ASSERT_TRUE(queue.push(&tasks[i]));
      ASSERT_EQ(queue.pop(), &tasks[i]);
    }
    for (std::size_t i = 0; i < KeptQueue::kCapacity; ++i) ASSERT_TRUE(queue.push(&tasks[i]));
    EXPECT_FALSE(queue.push(&tasks[KeptQueue::kCapacity])) << "round " << round;
    for (std::size_t i = 0; i < KeptQueue::kCapacity; ++i) {
      ASSERT_FALSE(queue.empty());
      ASSERT_EQ(queue.pop(), &tasks[i]) << "round " << round << ", index " << i;
    }
    EXPECT_TRUE(queue.empty());
  }
}

// ---- kept tasks are not stolen -------------------------------------------------------------

struct KeptStage {
  std::atomic<std::thread::id> home{};
  std::atomic<std::uint64_t> runs{0};
  std::atomic<std::uint64_t> away{0};  // runs on another thread than home
  std::atomic<int> finished{0};
};

struct KeptTask : Task {
  bool root = false;
  int left = 0;
};

constexpr int kKeptChildren = 8;
constexpr int kRunsEach = 2'000;

void run_kept(Task* base, Worker& worker, void* context) {
  auto* stage = static_cast<KeptStage*>(context);
  auto* task = static_cast<KeptTask*>(base);
  stage->runs.fetch_add(1, std::memory_order_relaxed);
  if (std::this_thread::get_id() != stage->home.load()) stage->away.fetch_add(1, std::memory_order_relaxed);
  if (--task->left == 0) {
    stage->finished.fetch_add(1, std::memory_order_release);
    return;
  }
  worker.scheduler().schedule_kept(task);
}

// The first child is scheduled from a plain thread; each run of a kept child
// re-queues itself kept, and the first run also keeps its siblings: they all
// stay on the worker of that first run while the other spins looking for work.
struct Spawner : KeptTask {
  std::vector<KeptTask>* siblings = nullptr;
};

void run_spawner_or_kept(Task* base, Worker& worker, void* context) {
  auto* stage = static_cast<KeptStage*>(context);
  auto* task = static_cast<KeptTask*>(base);
  if (task->root) {
    stage->home.store(std::this_thread::get_id());
    for (KeptTask& sibling : *static_cast<Spawner*>(task)->siblings) {
      worker.scheduler().schedule_kept(&sibling);
    }
    return;
  }
  run_kept(base, worker, context);
}

TEST(KeptTasks, StayOnTheirWorkerWhileAnotherLooksForWork) {
  KeptStage stage;
  std::vector<KeptTask> children(kKeptChildren);
  for (KeptTask& child : children) child.left = kRunsEach;
  Spawner spawner;
  spawner.root = true;
  spawner.siblings = &children;
  tact::Config config;
  config.workers = 2;
  config.busy_poll = true;  // the other worker never sleeps: it would steal at once
  Scheduler scheduler(config, &run_spawner_or_kept, &stage);
  Watchdog watchdog("kept tasks", 60s, [&] { return "runs=" + std::to_string(stage.runs.load()); });
  scheduler.start();
  scheduler.schedule(&spawner);
  while (stage.finished.load(std::memory_order_acquire) != kKeptChildren) std::this_thread::sleep_for(100us);
  scheduler.stop();
  EXPECT_EQ(stage.runs.load(), static_cast<std::uint64_t>(kKeptChildren) * kRunsEach);
  // Through the deque (yield) the other worker took some in 4 of the 5 runs we tried.
  EXPECT_EQ(stage.away.load(), 0u) << "kept tasks ran on another worker";
}

// ---- kept tasks do not starve the deque ----------------------------------------------------

struct FairStage {
  Task* waiting = nullptr;
  std::atomic<bool> waiting_ran{false};
  std::atomic<std::uint64_t> kept_runs_before_waiting{0};
  std::atomic<bool> done{false};
};

struct LoopTask : Task {
  bool first = true;
};

constexpr std::uint64_t kKeptRunLimit = 10'000;

void run_loop_or_waiting(Task* base, Worker& worker, void* context) {
  auto* stage = static_cast<FairStage*>(context);
  if (base == stage->waiting) {
    stage->waiting_ran.store(true, std::memory_order_release);
    return;
  }
  auto* task = static_cast<LoopTask*>(base);
  if (task->first) {
    // The waiting task goes to the deque; this one loops through the kept queue.
    task->first = false;
    worker.scheduler().yield(stage->waiting);
    worker.scheduler().schedule_kept(task);
    return;
  }
  const std::uint64_t runs = stage->kept_runs_before_waiting.fetch_add(1) + 1;
  if (stage->waiting_ran.load(std::memory_order_acquire) || runs >= kKeptRunLimit) {
    stage->done.store(true, std::memory_order_release);
    return;
  }
  worker.scheduler().schedule_kept(task);
}

TEST(KeptTasks, ATaskLoopingThroughTheKeptQueueDoesNotStarveTheDeque) {
  FairStage stage;
  LoopTask loop;
  Task waiting;
  stage.waiting = &waiting;
  tact::Config config;
  config.workers = 1;  // nobody else to steal the waiting task
  Scheduler scheduler(config, &run_loop_or_waiting, &stage);
  Watchdog watchdog("kept loop and waiting task", 60s,
                    [&] { return "kept runs=" + std::to_string(stage.kept_runs_before_waiting.load()); });
  scheduler.start();
  scheduler.schedule(&loop);
  while (!stage.done.load(std::memory_order_acquire)) std::this_thread::sleep_for(100us);
  scheduler.stop();
  EXPECT_TRUE(stage.waiting_ran.load());
  EXPECT_LE(stage.kept_runs_before_waiting.load(), Worker::kMaxKeptRuns + 2);
}

}  // namespace
