// The one-shot reply slot (tact::Promise / tact::Reply) against std::promise /
// std::future.
//
//   reply/roundtrip/<impl>    thread A makes a pair, hands the promise to thread B
//                             through a one-slot atomic mailbox that B spins on, B
//                             answers, A get()s: ns per round trip. Both
//                             implementations use the same mailbox, so only the
//                             reply mechanism differs.
//   reply/same_thread/<impl>  make, set, get on one thread: the fixed cost of a
//                             reply (allocation, the state word, no waiting).
//
// Target (quiet machine): tact roundtrip <= 1/5 of std_future's. The reason it
// can be: a tact get() spins for up to kReplySpin (50 us) before parking, and a
// round trip between two running cores takes well under that, so neither side
// makes a syscall; libstdc++'s future::get() sleeps in the futex at once, so its
// round trip includes a futex wait, a wake and a context switch.
// The round trip needs both threads on a core: on a shared two-core machine the
// numbers measure the OS scheduler too. Run with --benchmark_repetitions=N for the
// min/max statistics (scripts/bench.sh passes its own count).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <future>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "tact/detail/atomic.hpp"
#include "sync/spin.hpp"
#include "tact/reply.hpp"
#include "min_max.hpp"

namespace {

using tact::detail::acquire;
using tact::detail::Atomic;
using tact::detail::cpu_relax;
using tact::detail::kCacheLine;
using tact::detail::relaxed;
using tact::detail::release;

// -- the hand-off: a preallocated one-slot mailbox, thread A -> thread B ---------------

// One cache line holds the flag and the promise: B reads both right after the
// flag flips, so keeping them together costs one line transfer, not two.
template <class P>
class alignas(kCacheLine) Mailbox {
 public:
  // Thread A. The slot is empty again as soon as B has taken the last promise,
  // which happens before B answers it, so this never waits in a round trip.
  void put(P promise) {
    // acquire: pairs with the release in take(); B is done moving out of item_.
    while (full_.load(acquire)) cpu_relax();
    item_.emplace(std::move(promise));
    full_.store(true, release);  // release: publishes item_; pairs with take()
  }

  // Thread B. Spins until a promise is there; nullopt once `stop` is set.
  std::optional<P> take(const Atomic<bool>& stop) {
    // acquire: pairs with put()'s release; item_ is ours.
    while (!full_.load(acquire)) {
      if (stop.load(relaxed)) return std::nullopt;  // relaxed: only ends the loop
      cpu_relax();
    }
    std::optional<P> promise(std::move(*item_));
    item_.reset();
    full_.store(false, release);  // release: we are done with item_; pairs with put()
    return promise;
  }

 private:
  Atomic<bool> full_{false};
  std::optional<P> item_;  // owned by A while !full_, by B while full_
};

// Thread B: answers every promise the mailbox brings, with `answer(promise, n)`.
template <class P>
class Answerer {
 public:
  using Answer = void (*)(P& promise, long n);

  explicit Answerer(Answer answer) : answer_(answer), thread_([this] { run(); }) {}
  Answerer(const Answerer&) = delete;
  Answerer& operator=(const Answerer&) = delete;
  ~Answerer() {
    stop_.store(true, relaxed);  // relaxed: the mailbox is empty (A waited for its reply)
    thread_.join();
  }

  Mailbox<P>& mailbox() { return mailbox_; }

 private:
  void run() {
    long n = 0;
    while (std::optional<P> promise = mailbox_.take(stop_)) answer_(*promise, n++);
  }

  Answer answer_;
  Mailbox<P> mailbox_;
  alignas(kCacheLine) Atomic<bool> stop_{false};  // off the mailbox's line
  std::thread thread_;                            // last: starts after the fields it reads
};

// -- round trip -----------------------------------------------------------------------

void roundtrip_tact(benchmark::State& state) {
  Answerer<tact::Promise<long>> answerer(
      [](tact::Promise<long>& promise, long n) { promise.set_value(n); });
  for (auto _ : state) {
    auto [promise, reply] = tact::Promise<long>::make();
    answerer.mailbox().put(std::move(promise));
    benchmark::DoNotOptimize(reply.get());
  }
  state.SetItemsProcessed(state.iterations());
}

void roundtrip_std_future(benchmark::State& state) {
  Answerer<std::promise<long>> answerer(
      [](std::promise<long>& promise, long n) { promise.set_value(n); });
  for (auto _ : state) {
    std::promise<long> promise;
    std::future<long> reply = promise.get_future();
    answerer.mailbox().put(std::move(promise));
    benchmark::DoNotOptimize(reply.get());
  }
  state.SetItemsProcessed(state.iterations());
}

// -- same thread ----------------------------------------------------------------------

void same_thread_tact(benchmark::State& state) {
  long n = 0;
  for (auto _ : state) {
    auto [promise, reply] = tact::Promise<long>::make();
    promise.set_value(n++);
    benchmark::DoNotOptimize(reply.get());
  }
  state.SetItemsProcessed(state.iterations());
}

void same_thread_std_future(benchmark::State& state) {
  long n = 0;
  for (auto _ : state) {
    std::promise<long> promise;
    std::future<long> reply = promise.get_future();
    promise.set_value(n++);
    benchmark::DoNotOptimize(reply.get());
  }
  state.SetItemsProcessed(state.iterations());
}

// -- registration ---------------------------------------------------------------------

using tact::bench::with_min_max;

BENCHMARK(roundtrip_tact)->Name("reply/roundtrip/tact")->UseRealTime()->Apply(with_min_max);
BENCHMARK(roundtrip_std_future)
    ->Name("reply/roundtrip/std_future")
    ->UseRealTime()
    ->Apply(with_min_max);
BENCHMARK(same_thread_tact)->Name("reply/same_thread/tact")->Apply(with_min_max);
BENCHMARK(same_thread_std_future)->Name("reply/same_thread/std_future")->Apply(with_min_max);

}  // namespace

BENCHMARK_MAIN();
