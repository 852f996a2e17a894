// SpinLock (src/sync/spin_lock.hpp): the live-actor registry's lock. Real threads,
// more of them than this machine's cores, so holders are preempted while waiters spin.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "support/watchdog.hpp"
#include "sync/spin_lock.hpp"

namespace {

using namespace std::chrono_literals;
using tact::detail::SpinLock;

TEST(SpinLock, TryLockFailsWhileHeldAndSucceedsAfter) {
  SpinLock lock;
  ASSERT_TRUE(lock.try_lock());
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

// Eight threads on two cores each add to two plain counters under the lock; a
// lost update, or a reader that sees one counter moved without the other, fails.
TEST(SpinLock, EightThreadsLoseNoIncrement) {
  tact::test::Watchdog watchdog("eight threads taking a SpinLock", 60s);
  constexpr int kThreads = 8;
  constexpr int kEach = 50'000;
  SpinLock lock;
  std::uint64_t first = 0;
  std::uint64_t second = 0;
  std::uint64_t torn = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        std::lock_guard<SpinLock> hold(lock);
        if (first != second) ++torn;
        ++first;
        ++second;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(first, std::uint64_t{kThreads} * kEach);
  EXPECT_EQ(second, first);
  EXPECT_EQ(torn, 0u);
}

// A holder that sleeps (as a preempted one would) is waited for, not overrun:
// the waiters yield their cores and take the lock after it lets go.
TEST(SpinLock, WaitersYieldToAHolderThatSleeps) {
  tact::test::Watchdog watchdog("waiters behind a sleeping SpinLock holder", 60s);
  SpinLock lock;
  int value = 0;
  lock.lock();
  std::vector<std::thread> waiters;
  for (int t = 0; t < 4; ++t) {
    waiters.emplace_back([&] {
      std::lock_guard<SpinLock> hold(lock);
      value += 1;
    });
  }
  std::this_thread::sleep_for(20ms);
  value = 100;  // under the lock: no waiter has added yet
  lock.unlock();
  for (std::thread& t : waiters) t.join();
  EXPECT_EQ(value, 104);
}

}  // namespace
