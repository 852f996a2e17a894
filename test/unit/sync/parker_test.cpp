// Parker: the per-thread, token-based futex parker under blocked reply waits.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/watchdog.hpp"
#include "sync/parker.hpp"
#include "tact/detail/atomic.hpp"

namespace {

using namespace std::chrono_literals;
using tact::detail::acquire;
using tact::detail::Atomic;
using tact::detail::Parker;
using tact::detail::release;
using Clock = std::chrono::steady_clock;

TEST(Parker, UnparkBeforeParkMakesParkReturnAtOnce) {
  tact::test::Watchdog watchdog("park() with a token already there");
  Parker parker;
  parker.unpark();
  parker.park();  // would hang without the token
  SUCCEED();
}

TEST(Parker, ParkUntilTimesOutWithoutAToken) {
  Parker parker;
  const auto start = Clock::now();
  EXPECT_FALSE(parker.park_until(start + 5ms));
  EXPECT_GE(Clock::now() - start, 5ms);
}

TEST(Parker, ParkUntilAPastDeadlineReturnsAtOnce) {
  Parker parker;
  EXPECT_FALSE(parker.park_until(Clock::now() - 1s));
}

TEST(Parker, ParkUntilConsumesATokenThatIsThere) {
  Parker parker;
  parker.unpark();
  EXPECT_TRUE(parker.park_until(Clock::now() + 10s));
  EXPECT_FALSE(parker.park_until(Clock::now() + 1ms)) << "the token was consumed";
}

TEST(Parker, TokensDoNotAccumulateBeyondOne) {
  Parker parker;
  parker.unpark();
  parker.unpark();
  parker.unpark();
  EXPECT_TRUE(parker.park_until(Clock::now() + 10s));
  EXPECT_FALSE(parker.park_until(Clock::now() + 2ms)) << "a second token was kept";
}

TEST(Parker, ATimedOutParkLeavesTheParkerUsable) {
  tact::test::Watchdog watchdog("park() after a timed-out park_until()");
  Parker parker;
  EXPECT_FALSE(parker.park_until(Clock::now() + 1ms));
  parker.unpark();
  parker.park();
  SUCCEED();
}

TEST(Parker, UnparkFromAnotherThreadWakesAParkedThread) {
  tact::test::Watchdog watchdog("cross-thread wake");
  Parker parker;
  Atomic<bool> woke{false};
  std::thread sleeper([&] {
    parker.park();
    woke.store(true, release);  // release: pairs with the acquire load below
  });
  std::this_thread::sleep_for(5ms);  // most likely asleep in the futex by now
  EXPECT_FALSE(woke.load(acquire));
  parker.unpark();
  sleeper.join();
  EXPECT_TRUE(woke.load(acquire));
}

TEST(Parker, UnparkWakesAParkUntilBeforeItsDeadline) {
  tact::test::Watchdog watchdog("cross-thread wake of park_until");
  Parker parker;
  bool consumed = false;  // plain: join() orders it
  std::thread sleeper([&] { consumed = parker.park_until(Clock::now() + 60s); });
  std::this_thread::sleep_for(5ms);
  parker.unpark();
  sleeper.join();
  EXPECT_TRUE(consumed);
}

// Ping-pong between two threads' parkers: a lost wake-up hangs (the watchdog
// fails the test instead). Each side's write before unpark() is read after park().
TEST(Parker, PingPongLosesNoWakeUpAndOrdersWrites) {
  tact::test::Watchdog watchdog("parker ping-pong", std::chrono::seconds(60));
  const long rounds = tact::test::scaled(20000);
  Parker ping;
  Parker pong;
  long last_ping = -1;  // plain: ordered by unpark() (release) / park() (acquire)
  long last_pong = -1;
  std::thread other([&] {
    for (long i = 0; i < rounds; ++i) {
      pong.park();
      EXPECT_EQ(last_ping, i);
      last_pong = i;
      ping.unpark();
    }
  });
  for (long i = 0; i < rounds; ++i) {
    last_ping = i;
    pong.unpark();
    ping.park();
    EXPECT_EQ(last_pong, i);
  }
  other.join();
}

TEST(Parker, CurrentIsOnePerThread) {
  Parker* mine = &Parker::current();
  EXPECT_EQ(mine, &Parker::current());
  Parker* theirs = nullptr;
  std::thread([&] { theirs = &Parker::current(); }).join();
  EXPECT_NE(mine, theirs);
}

TEST(Parker, IsCacheLineAlignedSoReplySlotsCanTagItsAddress) {
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&Parker::current()) % tact::detail::kCacheLine, 0u);
}

}  // namespace
