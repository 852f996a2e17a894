// The kept queue (src/scheduler/kept_queue.hpp) and the worker's use of it
// (Worker::keep_local, next_task): kept tasks stay on their worker
// while another worker idles, a worker keeping two consumers gives one to an
// idle worker, and kept tasks do not starve the deque.
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

TEST(KeptQueue, CountsTheConsumersItHolds) {
  KeptQueue queue;
  std::vector<Task> tasks(4);
  EXPECT_EQ(queue.consumers(), 0u);
  ASSERT_TRUE(queue.push(&tasks[0], /*consumer=*/true));
  ASSERT_TRUE(queue.push(&tasks[1]));
  ASSERT_TRUE(queue.push(&tasks[2], /*consumer=*/true));
  EXPECT_EQ(queue.consumers(), 2u);
  EXPECT_EQ(queue.pop(), &tasks[0]);
  EXPECT_EQ(queue.consumers(), 1u);
  EXPECT_EQ(queue.pop(), &tasks[1]);
  EXPECT_EQ(queue.consumers(), 1u);
  ASSERT_TRUE(queue.push(&tasks[3]));
  EXPECT_EQ(queue.pop(), &tasks[2]);
  EXPECT_EQ(queue.consumers(), 0u);
  EXPECT_EQ(queue.pop(), &tasks[3]);
  EXPECT_TRUE(queue.empty());
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

// ---- a second consumer goes to an idle worker; a lone one stays ----------------------------

// Consumers re-keep themselves as consumers (Scheduler::schedule_kept with consumer);
// the root, run on some worker, keeps them all there first. Each records the
// thread of its last run, and counts its moves from one thread to another once
// `settled` says to look; then it runs kRunsEach more times and finishes.
struct Consumer : Task {
  std::atomic<std::thread::id> last{};  // relaxed: written by its runner, read by the test
  std::atomic<int> moves_after{0};      // moves once settled (relaxed, as `last`)
  int left = kRunsEach;                 // only its runner's
};

struct ConsumerStage {
  std::vector<Consumer>* consumers = nullptr;
  std::atomic<bool> settled{false};
  std::atomic<int> finished{0};
  Task root;
};

void run_consumers(Task* base, Worker& worker, void* context) {
  auto* stage = static_cast<ConsumerStage*>(context);
  if (base == &stage->root) {
    for (Consumer& consumer : *stage->consumers) worker.scheduler().schedule_kept(&consumer, /*consumer=*/true);
    return;
  }
  auto* consumer = static_cast<Consumer*>(base);
  const std::thread::id here = std::this_thread::get_id();
  const std::thread::id before = consumer->last.exchange(here, std::memory_order_relaxed);
  const bool settled = stage->settled.load(std::memory_order_relaxed);
  if (settled && before != std::thread::id{} && before != here) {
    consumer->moves_after.fetch_add(1, std::memory_order_relaxed);
  }
  if (settled && --consumer->left == 0) {
    stage->finished.fetch_add(1, std::memory_order_release);
    return;
  }
  worker.scheduler().schedule_kept(consumer, /*consumer=*/true);
}

struct ConsumerRun {
  std::vector<std::thread::id> last;  // per consumer: the thread of its last run
  std::vector<int> moves_after;       // per consumer: moves once settled
  std::uint64_t shared = 0;           // the workers' pipelines_shared, summed
};

// Runs `count` consumers from one root on 2 workers, the other one idle. Lets
// them run until `settled(consumers)` (a look while they run) or 10 s, then
// kRunsEach more runs each, counting moves.
template <class Settled>
ConsumerRun run_consumer_stage(std::size_t count, Settled settled) {
  std::vector<Consumer> consumers(count);
  ConsumerStage stage;
  stage.consumers = &consumers;
  tact::Config config;
  config.workers = 2;
  Scheduler scheduler(config, &run_consumers, &stage);
  Watchdog watchdog("kept consumers", 60s, [&] { return "finished=" + std::to_string(stage.finished.load()); });
  scheduler.start();
  // Both workers idle first, so the one that takes the root finds the other idle.
  while (!scheduler.quiescent()) std::this_thread::sleep_for(100us);
  scheduler.schedule(&stage.root);
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!settled(consumers) && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(1ms);
  stage.settled.store(true, std::memory_order_relaxed);
  while (stage.finished.load(std::memory_order_acquire) != static_cast<int>(count)) {
    std::this_thread::sleep_for(100us);
  }
  scheduler.stop();
  ConsumerRun run;
  for (const Consumer& consumer : consumers) {
    run.last.push_back(consumer.last.load());
    run.moves_after.push_back(consumer.moves_after.load());
  }
  scheduler.metrics().for_each_worker([&](const tact::detail::ThreadMetrics& worker, std::size_t) {
    run.shared += tact::detail::stat_read(worker.pipelines_shared);
  });
  return run;
}

TEST(KeptConsumers, ASecondConsumerMovesToAnIdleWorkerAndStaysThere) {
  // Until the two run on different threads (the idle worker may take a while
  // to wake, or get a core).
  const ConsumerRun run = run_consumer_stage(2, [](const std::vector<Consumer>& consumers) {
    return consumers[0].last.load(std::memory_order_relaxed) != consumers[1].last.load(std::memory_order_relaxed);
  });
  // One went to the idle worker, and for kRunsEach more runs each neither moved.
  EXPECT_NE(run.last[0], run.last[1]) << "both consumers stayed on one worker while the other idled";
  EXPECT_EQ(run.moves_after[0], 0);
  EXPECT_EQ(run.moves_after[1], 0);
  EXPECT_GE(run.shared, 1u);
}

TEST(KeptConsumers, ALoneConsumerStaysWhileAnotherWorkerIdles) {
  // Looks from the start: 10 ms of runs, then kRunsEach more, none may move.
  const auto until = std::chrono::steady_clock::now() + 10ms;
  const ConsumerRun run = run_consumer_stage(
      1, [until](const std::vector<Consumer>&) { return std::chrono::steady_clock::now() >= until; });
  EXPECT_EQ(run.moves_after[0], 0) << "a lone pipeline's consumer left its worker";
  EXPECT_EQ(run.shared, 0u);
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
