// Microbenchmarks of ChaseLevDeque, with a std::mutex + std::deque baseline.
//
//   deque/push_pop/<impl>/<batch>   owner pushes `batch` items, pops them back (one thread)
//   deque/steal/<impl>              a thief's steal() cost on a full deque (one thread,
//                                   uncontended; the refill is not timed)
//   deque/steal_half/tact/<n>       one steal_half() from a deque of n items into an
//                                   empty one: the cost per item moved (refill not timed)
//   deque/owner_vs_thief/<impl>     two threads: the owner pushes (and pops every other
//                                   item) while one thief steals; real time
//
// items_per_second counts items through the deque: pushed-and-taken for push_pop and
// owner_vs_thief, taken for steal and steal_half. Repetitions come from the command
// line (scripts/bench.sh passes --benchmark_repetitions); with them each benchmark
// reports the min and max besides mean/median/stddev: on a shared machine the min is
// the figure least disturbed by other load.
#include "scheduler/chase_lev_deque.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <vector>

#include "min_max.hpp"

namespace {

using tact::detail::ChaseLevDeque;
using tact::detail::StealResult;
using tact::detail::StealStatus;

// 256 slots, as a worker's local run queue (tokio's LOCAL_QUEUE_CAPACITY): the size
// the scheduler will run with, and small enough to stay in L1.
constexpr std::size_t kCapacity = 256;

// Items taken per timed stretch in the steal benchmarks, whose refill is not timed.
// PauseTiming/ResumeTiming read the thread's CPU clock (a system call, around a
// microsecond here), so a stretch must hold thousands of operations for that cost
// to vanish in the noise; 4096 pointers (32 KiB) still fit in L1/L2.
constexpr std::size_t kStealBatch = 4096;

// The items: the deque stores pointers and never dereferences them.
std::vector<int>& item_pool() {
  static std::vector<int> pool(kStealBatch);
  return pool;
}

// -- the baseline: what a worker would write without a lock-free deque ------------

class MutexDeque {
 public:
  explicit MutexDeque(std::size_t capacity) : capacity_(capacity) {}

  bool push(int* item) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (items_.size() >= capacity_) return false;
    items_.push_back(item);
    return true;
  }
  int* pop() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (items_.empty()) return nullptr;
    int* item = items_.back();
    items_.pop_back();
    return item;
  }
  StealResult<int> steal() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (items_.empty()) return {StealStatus::kEmpty, nullptr};
    int* item = items_.front();
    items_.pop_front();
    return {StealStatus::kSuccess, item};
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::deque<int*> items_;
};

template <class Deque>
void fill(Deque& deque, std::size_t count) {
  std::vector<int>& pool = item_pool();
  for (std::size_t i = 0; i < count; ++i) {
    if (!deque.push(&pool[i])) std::abort();  // the benchmark sized it to fit
  }
}

template <class Deque>
void drain(Deque& deque) {
  while (deque.pop() != nullptr) {
  }
}

// -- statistics --------------------------------------------------------------------

using tact::bench::with_min_max;

// -- owner: push then pop, one thread ----------------------------------------------

template <class Deque>
void push_pop(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  Deque deque(kCapacity);
  std::vector<int>& pool = item_pool();
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) benchmark::DoNotOptimize(deque.push(&pool[i]));
    for (std::size_t i = 0; i < batch; ++i) benchmark::DoNotOptimize(deque.pop());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// -- thief: steal from a full deque, one thread --------------------------------------

template <class Deque>
void steal(benchmark::State& state) {
  Deque deque(kStealBatch);
  for (auto _ : state) {
    state.PauseTiming();
    fill(deque, kStealBatch);
    state.ResumeTiming();
    for (std::size_t i = 0; i < kStealBatch; ++i) benchmark::DoNotOptimize(deque.steal());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kStealBatch));
}

// -- thief: steal_half into its own deque, one thread ---------------------------------

void steal_half_tact(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  ChaseLevDeque<int> victim(kStealBatch);
  ChaseLevDeque<int> own(kStealBatch);
  std::int64_t moved = 0;
  for (auto _ : state) {
    state.PauseTiming();
    moved += static_cast<std::int64_t>(own.size());  // the previous round's batch
    drain(own);
    drain(victim);
    fill(victim, count);
    state.ResumeTiming();
    if (victim.steal_half(own).status == StealStatus::kSuccess) ++moved;  // the returned one
  }
  moved += static_cast<std::int64_t>(own.size());
  state.SetItemsProcessed(moved);
}

// -- owner and thief on two threads ---------------------------------------------------

// One deque shared by the benchmark's two threads. Thread 0 is its owner. The
// benchmark library's start/stop barriers order thread 0's drain after the loop
// before the next run's operations.
template <class Deque>
Deque& shared_deque() {
  static Deque deque(kCapacity);
  return deque;
}

template <class Deque>
void owner_vs_thief(benchmark::State& state) {
  Deque& deque = shared_deque<Deque>();
  std::vector<int>& pool = item_pool();
  if (state.thread_index() == 0) {
    // Owner: one push per iteration, a pop every other one (it runs some of its own
    // work); when the deque is full it takes an item back first, as a worker would.
    std::size_t next = 0;
    for (auto _ : state) {
      int* item = &pool[next++ % pool.size()];
      if (!deque.push(item)) {
        benchmark::DoNotOptimize(deque.pop());
        benchmark::DoNotOptimize(deque.push(item));
      }
      if (next % 2 == 0) benchmark::DoNotOptimize(deque.pop());
    }
    drain(deque);  // after the stop barrier: the thief is done
    state.SetItemsProcessed(state.iterations());
  } else {
    // Thief: one steal per iteration.
    std::int64_t stolen = 0;
    std::int64_t lost = 0;
    for (auto _ : state) {
      const StealResult<int> result = deque.steal();
      stolen += result.status == StealStatus::kSuccess ? 1 : 0;
      lost += result.status == StealStatus::kLost ? 1 : 0;
    }
    state.counters["stolen"] = benchmark::Counter(static_cast<double>(stolen));
    state.counters["lost"] = benchmark::Counter(static_cast<double>(lost));
  }
}

// -- registration --------------------------------------------------------------------

BENCHMARK(push_pop<ChaseLevDeque<int>>)
    ->Name("deque/push_pop/tact")
    ->Arg(1)
    ->Arg(64)
    ->Apply(with_min_max);
BENCHMARK(push_pop<MutexDeque>)
    ->Name("deque/push_pop/mutex_deque")
    ->Arg(1)
    ->Arg(64)
    ->Apply(with_min_max);

BENCHMARK(steal<ChaseLevDeque<int>>)->Name("deque/steal/tact")->Apply(with_min_max);
BENCHMARK(steal<MutexDeque>)->Name("deque/steal/mutex_deque")->Apply(with_min_max);

// Small victims are left out: PauseTiming/ResumeTiming would cost more than the
// few steals timed between them (see kStealBatch). 256 is a full worker deque.
BENCHMARK(steal_half_tact)
    ->Name("deque/steal_half/tact")
    ->Arg(static_cast<std::int64_t>(kCapacity))
    ->Arg(static_cast<std::int64_t>(kStealBatch))
    ->Apply(with_min_max);

BENCHMARK(owner_vs_thief<ChaseLevDeque<int>>)
    ->Name("deque/owner_vs_thief/tact")
    ->Threads(2)
    ->UseRealTime()
    ->Apply(with_min_max);
BENCHMARK(owner_vs_thief<MutexDeque>)
    ->Name("deque/owner_vs_thief/mutex_deque")
    ->Threads(2)
    ->UseRealTime()
    ->Apply(with_min_max);

}  // namespace

BENCHMARK_MAIN();
