// The simulator itself: a run is a pure function of its seed (the same seed gives the
// same schedule length and trace hash, in two fresh child processes, and again through
// TACT_SIM_SEED); different seeds give different schedules; virtual time jumps to the
// earliest deadline when every thread waits; a deadlock and a crash fail their seed
// with a reason instead of hanging or killing the test.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>
#include <vector>

#include "sim/sim.hpp"
#include "sim_support.hpp"
#include "sync/mutex.hpp"
#include "sync/parker.hpp"
#include "sync/thread.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/detail/clock.hpp"

namespace {

namespace sim = tact::sim;
using tact::detail::Atomic;

// Three threads that race increments through a CAS loop and a sim mutex, with a
// timed park: enough choices that different seeds take different schedules.
bool racy_counter() {
  Atomic<int> counter{0};
  tact::detail::Mutex m;
  int guarded = 0;
  std::vector<std::thread> ts;
  for (int t = 0; t < 3; ++t) {
    ts.push_back(sim::spawn([&] {
      for (int i = 0; i < 5; ++i) {
        int v = counter.load();
        while (!counter.compare_exchange_weak(v, v + 1)) {
        }
        std::lock_guard<tact::detail::Mutex> lock(m);
        ++guarded;
      }
      (void)tact::detail::Parker::current().park_until(tact::detail::steady_now() +
                                                        std::chrono::microseconds(50));
    }));
  }
  for (auto& t : ts) sim::join(t);
  return counter.load() == 15 && guarded == 15;
}

sim::ExploreReport one_seed(std::uint64_t seed, sim::Mode mode, const std::function<bool()>& body) {
  sim::ExploreOptions o;
  o.first_seed = seed;
  o.seeds = 1;
  o.mode = mode;
  o.pct_horizon = 200;
  o.from_environment = false;  // these tests name their seeds (a sweep's variables aside)
  return sim::explore("replay", o, body);
}

TEST(SimReplay, SameSeedSameTrace) {
  for (sim::Mode mode : {sim::Mode::kRandom, sim::Mode::kPct}) {
    for (std::uint64_t seed : {1u, 7u, 12345u}) {
      const auto a = one_seed(seed, mode, racy_counter);
      const auto b = one_seed(seed, mode, racy_counter);
      ASSERT_EQ(a.failures, 0u);
      ASSERT_EQ(b.failures, 0u);
      EXPECT_GT(a.last_steps, 50u);
      EXPECT_EQ(a.last_steps, b.last_steps) << "seed " << seed;
      EXPECT_EQ(a.last_hash, b.last_hash) << "seed " << seed;
    }
  }
}

TEST(SimReplay, DifferentSeedsTakeDifferentSchedules) {
  std::set<std::uint64_t> hashes;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    hashes.insert(one_seed(seed, sim::Mode::kRandom, racy_counter).last_hash);
  }
  EXPECT_GE(hashes.size(), 8u);
}

TEST(SimReplay, TactSimSeedReplaysOneSeed) {
  const auto original = one_seed(42, sim::Mode::kRandom, racy_counter);
  unsetenv("TACT_SIM_SEEDS");
  unsetenv("TACT_SIM_FIRST_SEED");
  ASSERT_EQ(setenv("TACT_SIM_SEED", "42", 1), 0);
  sim::ExploreOptions o;
  o.first_seed = 1000;  // ignored: the environment names the seed
  o.seeds = 50;
  const auto replayed = sim::explore("replay_env", o, racy_counter);
  unsetenv("TACT_SIM_SEED");
  EXPECT_EQ(replayed.runs, 1u);
  EXPECT_EQ(replayed.last_hash, original.last_hash);
  EXPECT_EQ(replayed.last_steps, original.last_steps);
}

TEST(SimReplay, VirtualTimeJumpsToTheEarliestDeadline) {
  const auto r = one_seed(3, sim::Mode::kRandom, [] {
    const auto t0 = tact::detail::steady_now();
    const auto wall0 = std::chrono::steady_clock::now();
    std::thread sleeper = sim::spawn([] { tact::detail::sleep_for(std::chrono::hours(1)); });
    tact::detail::sleep_for(std::chrono::minutes(30));
    sim::join(sleeper);
    const auto virtual_elapsed = tact::detail::steady_now() - t0;
    const auto wall = std::chrono::steady_clock::now() - wall0;
    return virtual_elapsed >= std::chrono::hours(1) && virtual_elapsed < std::chrono::hours(2) &&
           wall < std::chrono::seconds(5);
  });
  EXPECT_EQ(r.failures, 0u) << r.first_failure;
}

TEST(SimReplay, ADeadlockFailsTheSeedWithAReason) {
  const auto r = one_seed(5, sim::Mode::kRandom, [] {
    tact::detail::Mutex a;
    tact::detail::Mutex b;
    Atomic<int> both{0};
    std::thread t1 = sim::spawn([&] {
      std::lock_guard<tact::detail::Mutex> la(a);
      both.fetch_add(1);
      while (both.load() < 2) sim::spin_point();
      std::lock_guard<tact::detail::Mutex> lb(b);
    });
    std::thread t2 = sim::spawn([&] {
      std::lock_guard<tact::detail::Mutex> lb(b);
      both.fetch_add(1);
      while (both.load() < 2) sim::spin_point();
      std::lock_guard<tact::detail::Mutex> la(a);
    });
    sim::join(t1);
    sim::join(t2);
    return true;
  });
  EXPECT_EQ(r.failures, 1u);
  EXPECT_NE(r.first_failure.find("deadlock"), std::string::npos) << r.first_failure;
}

TEST(SimReplay, ACrashFailsTheSeedNotTheTest) {
  const auto r = one_seed(6, sim::Mode::kRandom, []() -> bool {
    std::thread t = sim::spawn([] { std::abort(); });
    sim::join(t);
    return true;
  });
  EXPECT_EQ(r.failures, 1u);
  EXPECT_NE(r.first_failure.find("signal"), std::string::npos) << r.first_failure;
}

}  // namespace
