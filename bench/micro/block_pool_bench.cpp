// The small-block pool (tact::detail::pool_allocate / pool_free) against glibc's
// malloc/free, for 32-byte blocks (a tell envelope of an 8-byte message).
//
//   pool/same_thread/<impl>   allocate and free on one thread, 64 blocks live at a
//                             time: the sender and receiver of a message on one
//                             worker.
//   pool/cross_thread/<impl>  this thread allocates, a second thread frees (the
//                             blocks reach it through a single-producer ring both
//                             implementations share): a message sent from one
//                             worker to an actor running on the other.
//
// What it shows: the per-message cost of the envelope's memory, the lever behind
// allocating envelopes and reply slots from per-thread caches.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <thread>
#include <vector>

#include "memory/block_pool.hpp"
#include "min_max.hpp"
#include "sync/spin.hpp"
#include "tact/detail/atomic.hpp"

namespace {

using tact::detail::acquire;
using tact::detail::Atomic;
using tact::detail::cpu_relax;
using tact::detail::kCacheLine;
using tact::detail::relaxed;
using tact::detail::release;

constexpr std::size_t kBytes = 32;
constexpr std::size_t kLive = 64;

struct Pool {
  static void* allocate() { return tact::detail::pool_allocate(kBytes); }
  static void free(void* block) { tact::detail::pool_free(block, kBytes); }
};
struct Malloc {
  static void* allocate() { return std::malloc(kBytes); }
  static void free(void* block) { std::free(block); }
};

template <class Impl>
void same_thread(benchmark::State& state) {
  std::array<void*, kLive> blocks{};
  for (auto _ : state) {
    for (void*& block : blocks) block = Impl::allocate();
    benchmark::DoNotOptimize(blocks.data());
    for (void* block : blocks) Impl::free(block);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kLive));
}

// A bounded single-producer single-consumer ring of pointers.
class Ring {
 public:
  // Producer. Spins while full.
  void push(void* item) {
    const std::size_t tail = tail_.load(relaxed);
    // acquire: pairs with pop()'s release; the consumer is done with that cell.
    while (tail - head_.load(acquire) == kCapacity) cpu_relax();
    cells_[tail % kCapacity] = item;
    tail_.store(tail + 1, release);  // release: publishes the cell; pairs with pop()
  }
  // Consumer. nullptr when empty.
  void* pop() {
    const std::size_t head = head_.load(relaxed);
    // acquire: pairs with push()'s release; the cell is written.
    if (head == tail_.load(acquire)) return nullptr;
    void* item = cells_[head % kCapacity];
    head_.store(head + 1, release);  // release: the cell may be reused; pairs with push()
    return item;
  }

 private:
  static constexpr std::size_t kCapacity = 4096;
  alignas(kCacheLine) Atomic<std::size_t> head_{0};
  alignas(kCacheLine) Atomic<std::size_t> tail_{0};
  alignas(kCacheLine) std::array<void*, kCapacity> cells_{};
};

template <class Impl>
void cross_thread(benchmark::State& state) {
  Ring ring;
  Atomic<bool> done{false};
  std::thread freer([&] {
    for (;;) {
      if (void* block = ring.pop()) {
        Impl::free(block);
      } else if (done.load(acquire)) {  // acquire: pairs with the release below
        if (void* last = ring.pop()) {
          Impl::free(last);
          continue;
        }
        return;
      } else {
        cpu_relax();
      }
    }
  });
  for (auto _ : state) {
    for (std::size_t i = 0; i < kLive; ++i) ring.push(Impl::allocate());
  }
  done.store(true, release);  // release: every push before it; pairs with the freer
  freer.join();
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kLive));
}

using tact::bench::with_min_max;

BENCHMARK(same_thread<Pool>)->Name("pool/same_thread/tact")->Apply(with_min_max);
BENCHMARK(same_thread<Malloc>)->Name("pool/same_thread/malloc")->Apply(with_min_max);
BENCHMARK(cross_thread<Pool>)->Name("pool/cross_thread/tact")->UseRealTime()->Apply(with_min_max);
BENCHMARK(cross_thread<Malloc>)
    ->Name("pool/cross_thread/malloc")
    ->UseRealTime()
    ->Apply(with_min_max);

}  // namespace

BENCHMARK_MAIN();
