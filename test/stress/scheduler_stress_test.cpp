// The scheduler alone (src/scheduler/scheduler.hpp), with its own Task type:
//   - tasks that reschedule themselves N times (through the LIFO slot with
//     schedule(), through the deque with yield()) and spawn children from inside,
//     seeded from plain threads: every run counted exactly, no task ever on two
//     threads at once, the scheduler quiescent at the end;
//   - tasks re-armed from plain threads after idle gaps (workers parked): each must
//     run, or a wake-up was lost.
// Run under several Configs: a local queue of 2 overflows into the injector
// constantly; no spinning parks at once; one to four workers.
// The seed is printed on failure; TACT_STRESS_SEED=<n> replays the same choices.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "scheduler/scheduler.hpp"
#include "scheduler/task.hpp"
#include "scheduler/worker.hpp"
#include "support/concurrency.hpp"
#include "support/random.hpp"
#include "support/watchdog.hpp"

namespace {

using tact::test::Atomic;
using tact::test::Clock;
using tact::test::Thread;

using namespace std::chrono_literals;
using tact::detail::Scheduler;
using tact::detail::Task;
using tact::detail::Worker;
using tact::test::scaled;
using tact::test::Watchdog;

constexpr auto kWatchdogLimit = std::chrono::seconds(150);

std::uint64_t seed() {
  static const std::uint64_t value = tact::test::stress_seed(0x5C4E'D01Eull);
  return value;
}

using tact::test::mix64;

tact::Config make_config(std::size_t workers, std::size_t local_queue,
                         std::chrono::microseconds spin) {
  tact::Config config;
  config.workers = workers;
  config.local_queue_capacity = local_queue;
  config.spin_before_park = spin;
  return config;
}

struct NamedConfig {
  const char* name;
  tact::Config config;
};
const std::vector<NamedConfig>& configs() {
  static const std::vector<NamedConfig> all = {
      {"OneWorker", make_config(1, 256, 50us)},
      {"TwoWorkers", make_config(2, 256, 50us)},
      {"TwoWorkersLocalQueue2", make_config(2, 2, 50us)},
      {"TwoWorkersNoSpin", make_config(2, 256, 0us)},
      {"FourWorkersLocalQueue2NoSpin", make_config(4, 2, 0us)},
  };
  return all;
}

class SchedulerStress : public ::testing::TestWithParam<std::size_t> {
 protected:
  const tact::Config& config() const { return configs().at(GetParam()).config; }
};

std::string config_name(const ::testing::TestParamInfo<std::size_t>& info) {
  return configs().at(info.param).name;
}

// ===== 1. self-rescheduling tasks with children ===============================================

struct Pool;

// A task that wants `target` runs. runs_ is a plain field: only the task's current
// runner touches it, so TSan checks that every hand-over between workers is
// synchronized.
struct CountedTask : Task {
  Pool* pool = nullptr;
  std::uint64_t stream = 0;
  std::uint64_t target = 0;
  std::uint64_t runs = 0;
  Atomic<bool> inside{false};
};

struct Pool {
  explicit Pool(std::size_t n) : tasks(n) {
    for (auto& t : tasks) t.pool = this;
  }
  // An unused task, or nullptr when the pool is spent.
  CountedTask* take() {
    const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
    return i < tasks.size() ? &tasks[i] : nullptr;
  }
  // Arms `task` for `target` runs; counted before it can run.
  void arm(CountedTask* task, std::uint64_t target, std::uint64_t stream) {
    task->target = target;
    task->stream = stream;
    expected.fetch_add(target, std::memory_order_relaxed);
    remaining.fetch_add(target, std::memory_order_relaxed);
  }

  std::vector<CountedTask> tasks;
  Atomic<std::size_t> next{0};
  Atomic<std::uint64_t> expected{0};   // sum of the targets armed
  Atomic<std::uint64_t> remaining{0};  // runs still owed
  Atomic<std::uint64_t> total{0};      // runs done
  Atomic<std::uint64_t> overlaps{0};   // a task found running on two threads
  Atomic<std::uint64_t> over_runs{0};  // a task run beyond its target
};

void run_counted(Task* base, Worker& worker, void* /*context*/) {
  auto* task = static_cast<CountedTask*>(base);
  Pool& pool = *task->pool;
  if (task->inside.exchange(true, std::memory_order_acquire)) pool.overlaps.fetch_add(1);
  const std::uint64_t run = ++task->runs;
  if (run > task->target) pool.over_runs.fetch_add(1);
  const std::uint64_t r = mix64(task->stream ^ run);
  // Now and then a child, scheduled from inside (the LIFO slot; it displaces).
  if (r % 16 == 0) {
    if (CountedTask* child = pool.take()) {
      pool.arm(child, 1 + (r >> 8) % 64, r);
      worker.scheduler().schedule(child);
    }
  }
  const bool again = run < task->target;
  task->inside.store(false, std::memory_order_release);
  pool.total.fetch_add(1, std::memory_order_relaxed);
  // The last touch of the task: once rescheduled it may run elsewhere at once.
  if (again) {
    if ((r >> 4) % 3 == 0) {
      worker.scheduler().yield(task);  // to the deque's bottom: others first, thieves may take it
    } else {
      worker.scheduler().schedule(task);  // the LIFO slot
    }
  }
  pool.remaining.fetch_sub(1, std::memory_order_acq_rel);
}

TEST_P(SchedulerStress, SelfReschedulingTasksRunExactlyTheirCount) {
  SCOPED_TRACE("TACT_STRESS_SEED=" + std::to_string(seed()));
  const std::size_t kRoots = static_cast<std::size_t>(scaled(100'000));
  Pool pool(kRoots * 3);
  Scheduler scheduler(config(), &run_counted, nullptr);
  Watchdog watchdog("self-rescheduling tasks", kWatchdogLimit, [&] {
    return "expected=" + std::to_string(pool.expected.load()) +
           " total=" + std::to_string(pool.total.load()) +
           " remaining=" + std::to_string(pool.remaining.load());
  });
  scheduler.start();

  constexpr int kThreads = 3;
  std::vector<Thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < kRoots; i += kThreads) {
        const std::uint64_t r = mix64(seed() ^ (i * 31 + 7));
        CountedTask* task = pool.take();
        if (task == nullptr) return;
        pool.arm(task, 1 + r % 200, r);
        scheduler.schedule(task);  // from outside: the injector
        if (r % 512 == 0) tact::test::sleep_for(std::chrono::microseconds(r % 300));
      }
    });
  }
  for (auto& th : threads) th.join();

  const auto deadline = Clock::now() + 120s;
  while (pool.remaining.load(std::memory_order_acquire) != 0 &&
         Clock::now() < deadline) {
    tact::test::sleep_for(200us);
  }
  ASSERT_EQ(pool.remaining.load(), 0u) << "runs still owed: tasks lost (or a lost wake-up)";
  // Quiescent soon after the last run (workers go back to sleep).
  bool quiet = false;
  for (int i = 0; i < 20'000 && !quiet; ++i) {
    quiet = scheduler.quiescent();
    if (!quiet) tact::test::sleep_for(100us);
  }
  EXPECT_TRUE(quiet);
  scheduler.stop();

  EXPECT_EQ(pool.total.load(), pool.expected.load());
  EXPECT_EQ(pool.overlaps.load(), 0u);
  EXPECT_EQ(pool.over_runs.load(), 0u);
  const std::size_t used = std::min(pool.next.load(), pool.tasks.size());
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < used; ++i) {
    if (pool.tasks[i].runs != pool.tasks[i].target && ++wrong <= 5) {
      ADD_FAILURE() << "task " << i << " ran " << pool.tasks[i].runs << " times, wanted "
                    << pool.tasks[i].target;
    }
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_GT(used, kRoots);  // some children were spawned from inside
}

// ===== 2. re-armed from outside after idle gaps ==================================================

// Runs `left` more times per arming, then raises `finished` for its
// external owner, who waits for it and arms it again after a gap.
struct Relay : Task {
  std::uint32_t left = 0;                  // set by the owner before schedule(), then runner-only
  Atomic<std::uint64_t> finished{0};  // armings completed
};

void run_relay(Task* base, Worker& worker, void* /*context*/) {
  auto* relay = static_cast<Relay*>(base);
  if (--relay->left > 0) {
    worker.scheduler().schedule(relay);
    return;
  }
  relay->finished.fetch_add(1, std::memory_order_release);  // pairs with the owner's acquire
}

TEST_P(SchedulerStress, TasksArmedAfterIdleGapsAlwaysRunNoWakeUpIsLost) {
  SCOPED_TRACE("TACT_STRESS_SEED=" + std::to_string(seed()));
  Scheduler scheduler(config(), &run_relay, nullptr);
  constexpr int kOwners = 2;
  std::vector<std::unique_ptr<Relay>> relays;
  for (int i = 0; i < kOwners; ++i) relays.push_back(std::make_unique<Relay>());
  Atomic<long> progress[kOwners] = {};
  Watchdog watchdog("relays after idle gaps", kWatchdogLimit, [&] {
    std::string s;
    for (int i = 0; i < kOwners; ++i) s += " owner" + std::to_string(i) + "=" + std::to_string(progress[i].load());
    return "armings done:" + s;
  });
  scheduler.start();
  const long armings = scaled(2'000);
  std::vector<Thread> owners;
  for (int o = 0; o < kOwners; ++o) {
    owners.emplace_back([&, o] {
      Relay& relay = *relays[static_cast<std::size_t>(o)];
      for (long a = 0; a < armings; ++a) {
        const std::uint64_t r = mix64(seed() ^ (static_cast<std::uint64_t>(o) << 32) ^ static_cast<std::uint64_t>(a));
        // A gap long enough for the workers to park (most of the time).
        if (r % 4 != 0) tact::test::sleep_for(std::chrono::microseconds(200 + r % 1500));
        relay.left = 1 + static_cast<std::uint32_t>((r >> 16) % 4);  // before schedule: published by it
        scheduler.schedule(&relay);
        const auto deadline = Clock::now() + 20s;
        while (relay.finished.load(std::memory_order_acquire) != static_cast<std::uint64_t>(a + 1)) {
          if (Clock::now() > deadline) {
            ADD_FAILURE() << "owner " << o << ", arming " << a
                          << ": the task never ran (lost wake-up)";
            return;
          }
          tact::test::sleep_for(20us);
        }
        progress[o].store(a + 1);
      }
    });
  }
  for (auto& t : owners) t.join();
  scheduler.stop();
  for (int o = 0; o < kOwners; ++o) EXPECT_EQ(progress[o].load(), armings);
}

// ===== 3. a sleeping worker is woken while the other runs a long task =============================

// Runs once: raises `started`, spins until `gate` opens if it is long, raises `done`.
struct OneShot : Task {
  const Atomic<bool>* gate = nullptr;  // non-null: a long task
  Atomic<bool> started{false};
  Atomic<bool> done{false};
};

void run_one_shot(Task* base, Worker& /*worker*/, void* /*context*/) {
  auto* task = static_cast<OneShot*>(base);
  task->started.store(true, std::memory_order_release);
  if (task->gate != nullptr) {
    const auto give_up = Clock::now() + 30s;  // never hang the suite
    while (!task->gate->load(std::memory_order_acquire) && Clock::now() < give_up) {
      tact::test::yield();
    }
  }
  task->done.store(true, std::memory_order_release);
}

bool wait_for_flag(const Atomic<bool>& flag, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!flag.load(std::memory_order_acquire)) {
    if (Clock::now() > deadline) return false;
    tact::test::sleep_for(50us);
  }
  return true;
}

// Two workers, both asleep. A long task arrives from outside (one worker wakes and
// runs it), then a short one: the other worker must wake and run it while the
// first is still busy.
// A regression test. It failed every round (the short task ran only once the gate
// opened): a parked worker that was woken (claimed) resumed with searching_ = true
// and took its next task from next_task() (whose last step pops the injector), so
// it ran that task -- for as long as it took -- still counted as searching in
// Idle::state_ (transition_from_searching() was only called on the search() path).
// Scheduler::notify_one() saw searching != 0 and woke nobody, so the other worker
// slept while work waited in the injector (and, under sustained load, the runtime
// ran on one worker: see runtime_stress_test). tokio leaves the searching state
// before running any task it found.
TEST(SchedulerWakeUp, ASleepingWorkerIsWokenWhileTheOtherRunsALongTask) {
  Scheduler scheduler(make_config(2, 256, 50us), &run_one_shot, nullptr);
  Watchdog watchdog("sleeping worker woken", kWatchdogLimit);
  scheduler.start();
  constexpr int kRounds = 5;
  int stuck = 0;
  for (int round = 0; round < kRounds; ++round) {
    tact::test::sleep_for(10ms);  // both workers spin out and park
    Atomic<bool> gate{false};
    OneShot long_task;
    long_task.gate = &gate;
    OneShot short_task;
    scheduler.schedule(&long_task);
    ASSERT_TRUE(wait_for_flag(long_task.started, 10s));
    scheduler.schedule(&short_task);
    if (!wait_for_flag(short_task.done, 2s)) ++stuck;
    gate.store(true, std::memory_order_release);
    ASSERT_TRUE(wait_for_flag(short_task.done, 10s));
    ASSERT_TRUE(wait_for_flag(long_task.done, 10s));
  }
  scheduler.stop();
  EXPECT_EQ(stuck, 0) << stuck << " of " << kRounds
                      << " rounds: the short task waited for the long one with a worker asleep";
}

// ===== 4. quiescent() never misses a task in flight ===========================================

// Runtime::shutdown drains until Scheduler::quiescent() says nothing is queued or
// running, then kills every actor: a task that quiescent() missed has its
// messages dropped. A regression test: quiescent() read the workers' idle flags
// before the queues, and a searching worker cleared its flag only after taking a
// task (and leaving the search), so it could be seen idle with its task already
// out of the queue. Lifecycle.ATellRightBeforeShutdownIsHandled lost its message
// this way under ThreadSanitizer on a loaded machine (about one run in 4 of 300
// repetitions with 4 copies running). Here a plain thread polls quiescent() as
// fast as it can after each schedule(): it failed in every config, mostly on the
// first task.
TEST_P(SchedulerStress, QuiescentIsNeverTrueWhileATaskIsQueuedOrRunning) {
  Scheduler scheduler(config(), &run_one_shot, nullptr);
  Watchdog watchdog("quiescent polling", kWatchdogLimit);
  scheduler.start();
  const auto tasks = static_cast<std::size_t>(scaled(20'000));
  std::vector<OneShot> shots(tasks);
  std::size_t missed = 0;
  for (std::size_t i = 0; i < tasks && missed == 0; ++i) {
    if (i % 64 == 0) tact::test::sleep_for(std::chrono::microseconds(i % 3 == 0 ? 0 : 300));  // let them park
    scheduler.schedule(&shots[i]);
    const auto deadline = Clock::now() + 20s;
    while (!scheduler.quiescent()) {
      if (Clock::now() > deadline) {
        FAIL() << "task " << i << ": the scheduler never became quiescent";
      }
    }
    // quiescent()'s acquire read of the last flag pairs with the worker's release
    // when it went idle after running the task.
    if (!shots[i].done.load(std::memory_order_acquire)) {
      ADD_FAILURE() << "task " << i << " (of " << tasks << "): quiescent() while it was "
                    << (shots[i].started.load() ? "running" : "not yet started");
      ++missed;
      ASSERT_TRUE(wait_for_flag(shots[i].done, 10s));  // it is still ours until it ran
    }
  }
  scheduler.stop();
}

INSTANTIATE_TEST_SUITE_P(Configs, SchedulerStress,
                         ::testing::Range<std::size_t>(0, configs().size()), config_name);

}  // namespace
