// The simulation's weak-memory mode (src/sim/weak_memory.hpp) against the classic
// litmus tests: each outcome C++ allows must show up within a few hundred seeds, and
// each it forbids must never. A weak outcome "showing up" is a seed whose body returns
// false, so explore()'s failure count is how often it was seen.
#include <gtest/gtest.h>

#include <thread>

#include "sim/sim.hpp"
#include "sim_support.hpp"
#include "tact/detail/atomic.hpp"

namespace {

namespace sim = tact::sim;
using tact::detail::Atomic;

// Each seed is a forked child: bounded in seeds and in seconds per test.
constexpr std::uint64_t kSeeds = 200;
constexpr double kSeconds = 10;

sim::ExploreReport explore_weak(const char* name, const std::function<bool()>& body,
                                bool weak = true) {
  sim::ExploreOptions o;
  o.seeds = kSeeds;
  o.weak_memory = weak;
  o.stop_at_first_failure = false;
  o.max_seconds = kSeconds;
  o.from_environment = false;
  return sim::explore(name, o, body);
}

// Starts each function as a sim thread and joins them all.
template <class... Fns>
void run_threads(Fns... fns) {
  std::thread threads[] = {sim::spawn(fns)...};
  for (std::thread& t : threads) sim::join(t);
}

// Message passing: data, then a flag; a reader loads the flag, then the data. What
// it saw of each.
struct MessagePassing {
  Atomic<int> data{0};
  Atomic<int> flag{0};
  int seen_flag = 0;
  int seen_data = 0;
};

// With the flag relaxed, a reader that sees the flag may still read the old data;
// with release/acquire it may not.
bool message_passing(std::memory_order store_flag, std::memory_order load_flag) {
  MessagePassing mp;
  run_threads(
      [&] {
        mp.data.store(42, std::memory_order_relaxed);
        mp.flag.store(1, store_flag);
      },
      [&] {
        mp.seen_flag = mp.flag.load(load_flag);
        mp.seen_data = mp.data.load(std::memory_order_relaxed);
      });
  return !(mp.seen_flag == 1 && mp.seen_data == 0);  // false: the weak outcome
}

TEST(SimWeakMemory, RelaxedMessagePassingCanReadOldData) {
  const auto r = explore_weak("mp_relaxed", [] {
    return message_passing(std::memory_order_relaxed, std::memory_order_relaxed);
  });
  std::printf("mp relaxed: weak outcome in %llu of %llu seeds\n",
              static_cast<unsigned long long>(r.failures), static_cast<unsigned long long>(r.runs));
  EXPECT_GT(r.failures, 0u);
}

TEST(SimWeakMemory, ReleaseAcquireMessagePassingNeverReadsOldData) {
  const auto r = explore_weak("mp_release_acquire", [] {
    return message_passing(std::memory_order_release, std::memory_order_acquire);
  });
  EXPECT_EQ(r.failures, 0u) << r.summary();
}

// The same with fences: a relaxed flag between a release fence and an acquire fence.
TEST(SimWeakMemory, FencesMakeRelaxedMessagePassingSafe) {
  const auto r = explore_weak("mp_fences", [] {
    MessagePassing mp;
    run_threads(
        [&] {
          mp.data.store(42, std::memory_order_relaxed);
          tact::detail::sim_weak_fence(std::memory_order_release);
          mp.flag.store(1, std::memory_order_relaxed);
        },
        [&] {
          mp.seen_flag = mp.flag.load(std::memory_order_relaxed);
          tact::detail::sim_weak_fence(std::memory_order_acquire);
          mp.seen_data = mp.data.load(std::memory_order_relaxed);
        });
    return !(mp.seen_flag == 1 && mp.seen_data == 0);
  });
  EXPECT_EQ(r.failures, 0u) << r.summary();
}

// A release sequence: a read-modify-write after the release store carries it on, so an
// acquire that reads the RMW's value (2) synchronizes with the first store.
TEST(SimWeakMemory, ARmwContinuesTheReleaseSequence) {
  const auto r = explore_weak("release_sequence", [] {
    MessagePassing mp;
    run_threads(
        [&] {
          mp.data.store(42, std::memory_order_relaxed);
          mp.flag.store(1, std::memory_order_release);
        },
        [&] { mp.flag.fetch_add(1, std::memory_order_relaxed); },
        [&] {
          mp.seen_flag = mp.flag.load(std::memory_order_acquire);
          mp.seen_data = mp.data.load(std::memory_order_relaxed);
        });
    return !(mp.seen_flag == 2 && mp.seen_data == 0);
  });
  EXPECT_EQ(r.failures, 0u) << r.summary();
}

// Store buffering: each thread stores, then loads the other's location. Relaxed (or
// even release/acquire), both may read 0; with a seq_cst fence between store and
// load, not both.
bool store_buffering(bool fences) {
  Atomic<int> x{0};
  Atomic<int> y{0};
  int r1 = -1;
  int r2 = -1;
  run_threads(
      [&] {
        x.store(1, std::memory_order_release);
        if (fences) tact::detail::fence_seq_cst();
        r1 = y.load(std::memory_order_acquire);
      },
      [&] {
        y.store(1, std::memory_order_release);
        if (fences) tact::detail::fence_seq_cst();
        r2 = x.load(std::memory_order_acquire);
      });
  return !(r1 == 0 && r2 == 0);
}

TEST(SimWeakMemory, StoreBufferingWithoutFencesCanReadBothZero) {
  const auto r = explore_weak("sb", [] { return store_buffering(false); });
  std::printf("sb: both zero in %llu of %llu seeds\n",
              static_cast<unsigned long long>(r.failures), static_cast<unsigned long long>(r.runs));
  EXPECT_GT(r.failures, 0u);
  // Sequentially consistent (the mode off), it never happens.
  const auto sc = explore_weak("sb_sc", [] { return store_buffering(false); }, false);
  EXPECT_EQ(sc.failures, 0u) << sc.summary();
}

TEST(SimWeakMemory, StoreBufferingWithSeqCstFencesNeverReadsBothZero) {
  const auto r = explore_weak("sb_fences", [] { return store_buffering(true); });
  EXPECT_EQ(r.failures, 0u) << r.summary();
}

// Coherence: one thread's two loads of one location never go backwards in its
// modification order, and a thread reads its own last store or a later one.
TEST(SimWeakMemory, LoadsOfOneLocationNeverGoBackwards) {
  const auto r = explore_weak("coherence", [] {
    Atomic<int> x{0};
    bool ok = true;
    std::thread writer = sim::spawn([&] {
      for (int i = 1; i <= 5; ++i) x.store(i, std::memory_order_relaxed);
    });
    std::thread reader = sim::spawn([&] {
      int last = 0;
      for (int i = 0; i < 10; ++i) {
        const int v = x.load(std::memory_order_relaxed);
        if (v < last) ok = false;
        last = v;
      }
      x.store(100, std::memory_order_relaxed);
      const int own = x.load(std::memory_order_relaxed);  // its own store, or a later one
      if (own != 100 && own <= last) ok = false;
    });
    sim::join(writer);
    sim::join(reader);
    // After both joined, the main thread has seen everything: the newest value.
    return ok && (x.load(std::memory_order_relaxed) == 100 || x.load(std::memory_order_relaxed) == 5);
  });
  EXPECT_EQ(r.failures, 0u) << r.summary();
}

// A seed replays exactly in the weak mode too: the loads' choices come from the seed.
TEST(SimWeakMemory, ASeedReplaysWithTheSameTraceHash) {
  sim::Options o;
  o.seed = 7;
  o.weak_memory = true;
  auto body = [] { (void)message_passing(std::memory_order_relaxed, std::memory_order_relaxed); };
  const sim::Result first = sim::run(o, body);
  const sim::Result second = sim::run(o, body);
  EXPECT_EQ(first.hash, second.hash);
  EXPECT_EQ(first.steps, second.steps);
  EXPECT_EQ(first.stale_loads, second.stale_loads);
}

}  // namespace
