// TimerService with its real thread: firing (never early), periodic timers
// without drift, cancellation (from outside, from inside the firing, while
// firing), dispose exactly once, lazy thread start, shutdown. Timing is asserted
// strictly only for "not early"; "eventually" has generous limits (shared machine).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"
#include "timer/timer_service.hpp"

namespace {

using namespace std::chrono_literals;
using tact::TimerHandle;
using tact::detail::TimerCallbacks;
using tact::detail::TimerService;
using Clock = std::chrono::steady_clock;
using tact::test::eventually;
using tact::test::Watchdog;

// A timer's context: counts firings and disposals, remembers when it fired.
struct Probe {
  std::atomic<int> fired{0};
  std::atomic<int> disposed{0};
  std::atomic<bool> in_fire{false};
  std::atomic<Clock::rep> first_fire{0};
  int keep_firing_for = 1 << 30;           // fire returns false after this many
  std::chrono::microseconds fire_takes{0};  // how long fire runs
  std::function<void()> on_fire;            // run inside fire (e.g. cancel)

  static bool fire(void* ctx) noexcept {
    auto* p = static_cast<Probe*>(ctx);
    p->in_fire = true;
    Clock::rep zero = 0;
    p->first_fire.compare_exchange_strong(zero, Clock::now().time_since_epoch().count());
    const int n = p->fired.fetch_add(1) + 1;
    if (p->on_fire) p->on_fire();
    if (p->fire_takes.count() > 0) std::this_thread::sleep_for(p->fire_takes);
    p->in_fire = false;
    return n < p->keep_firing_for;
  }
  static void dispose(void* ctx) noexcept { static_cast<Probe*>(ctx)->disposed.fetch_add(1); }
  static constexpr TimerCallbacks kCallbacks{&fire, &dispose};

  Clock::time_point first_fire_time() const { return Clock::time_point(Clock::duration(first_fire.load())); }
};

TEST(TimerService, NoThreadUntilTheFirstTimer) {
  Probe probe;  // declared first: it outlives the service's thread
  TimerService service;
  EXPECT_FALSE(service.thread_started());
  TimerHandle h = service.schedule(Clock::now() + 1h, 0s, &Probe::kCallbacks, &probe);
  EXPECT_TRUE(service.thread_started());
  service.shutdown();
  EXPECT_EQ(probe.fired, 0);
  EXPECT_EQ(probe.disposed, 1);
}

TEST(TimerService, OneShotFiresOnceNotEarlyThenDisposes) {
  Watchdog watchdog("one-shot timer");
  TimerService service;
  for (auto delay : {0ms, 1ms, 5ms, 20ms}) {
    Probe probe;
    const auto deadline = Clock::now() + delay;
    TimerHandle h = service.schedule(deadline, 0s, &Probe::kCallbacks, &probe);
    ASSERT_TRUE(eventually([&] { return probe.disposed == 1; }));
    EXPECT_EQ(probe.fired, 1);
    EXPECT_GE(probe.first_fire_time(), deadline) << "fired early";
    EXPECT_FALSE(h.active());
    EXPECT_FALSE(h.cancel()) << "cancel after the firing prevents nothing";
  }
}

TEST(TimerService, EarlierDeadlineWakesTheSleepingThread) {
  Watchdog watchdog("wake for an earlier deadline");
  Probe late, early;
  TimerService service;
  TimerHandle a = service.schedule(Clock::now() + 1h, 0s, &Probe::kCallbacks, &late);
  std::this_thread::sleep_for(5ms);  // the thread is asleep until +1h
  TimerHandle b = service.schedule(Clock::now() + 2ms, 0s, &Probe::kCallbacks, &early);
  EXPECT_TRUE(eventually([&] { return early.fired == 1; }, 20s));
  EXPECT_EQ(late.fired, 0);
  EXPECT_TRUE(a.cancel());
  EXPECT_EQ(late.disposed, 1);
}

TEST(TimerService, TimersFireInDeadlineOrder) {
  Probe warm_up;  // outlives the service, whose shutdown disposes of its timer
  std::vector<Probe> probes(5);
  TimerService service;
  // Starts the thread first: that can take long on a loaded machine.
  TimerHandle w = service.schedule(Clock::now() + 1h, 0s, &Probe::kCallbacks, &warm_up);
  const auto base = Clock::now() + 20ms;
  std::vector<TimerHandle> handles;
  for (int i = 4; i >= 0; --i) {
    handles.push_back(service.schedule(base + 3ms * i, 0s, &Probe::kCallbacks, &probes[static_cast<std::size_t>(i)]));
  }
  ASSERT_TRUE(eventually([&] { return probes[4].disposed == 1; }));
  for (int i = 1; i < 5; ++i) {
    EXPECT_LE(probes[static_cast<std::size_t>(i - 1)].first_fire.load(), probes[static_cast<std::size_t>(i)].first_fire.load());
  }
}

TEST(TimerService, PeriodicFiresRepeatedlyWithoutDrift) {
  Watchdog watchdog("periodic timer");
  Probe probe;
  TimerService service;
  const auto start = Clock::now();
  TimerHandle h = service.schedule(start + 2ms, 2ms, &Probe::kCallbacks, &probe);
  ASSERT_TRUE(eventually([&] { return probe.fired >= 25; }));
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(h.cancel());
  const int fired = probe.fired;
  // Not early: k firings need at least k periods (deadlines are start + k*period;
  // a busy machine may make fewer: a late firing skips the missed deadlines).
  EXPECT_GE(elapsed, 2ms * fired);
  EXPECT_FALSE(h.active());
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(probe.fired, fired) << "fired after cancel returned";
  EXPECT_EQ(probe.disposed, 1);
}

TEST(TimerService, PeriodicThatFellBehindFiresOnceAndSkips) {
  Probe probe;
  TimerService service;
  probe.fire_takes = 30ms;  // the first firing overruns ~15 periods
  TimerHandle h = service.schedule(Clock::now(), 2ms, &Probe::kCallbacks, &probe);
  ASSERT_TRUE(eventually([&] { return probe.fired >= 2; }));
  h.cancel();
  // Without skipping, the second firing would be followed by ~15 catch-up firings.
  EXPECT_LE(probe.fired, 3);
}

TEST(TimerService, PeriodicStopsWhenFireReturnsFalse) {
  Probe probe;
  TimerService service;
  probe.keep_firing_for = 3;
  TimerHandle h = service.schedule(Clock::now(), 1ms, &Probe::kCallbacks, &probe);
  ASSERT_TRUE(eventually([&] { return probe.disposed == 1; }));
  EXPECT_EQ(probe.fired, 3);
  EXPECT_FALSE(h.active());
}

TEST(TimerService, CancelPendingPreventsTheFiringAndDisposesOnce) {
  Probe probe;
  TimerService service;
  TimerHandle h = service.schedule(Clock::now() + 1h, 0s, &Probe::kCallbacks, &probe);
  EXPECT_TRUE(h.active());
  EXPECT_TRUE(h.cancel());
  EXPECT_EQ(probe.disposed, 1) << "the canceller disposes a pending timer";
  EXPECT_FALSE(h.cancel());
  EXPECT_FALSE(h.active());
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(probe.fired, 0);
  EXPECT_EQ(probe.disposed, 1);
}

TEST(TimerService, CancelWaitsForAFiringInProgress) {
  Watchdog watchdog("cancel during a firing");
  Probe probe;
  TimerService service;
  probe.fire_takes = 20ms;
  TimerHandle h = service.schedule(Clock::now(), 1ms, &Probe::kCallbacks, &probe);
  ASSERT_TRUE(eventually([&] { return probe.in_fire.load(); }));
  EXPECT_TRUE(h.cancel()) << "it prevented the later firings";
  EXPECT_FALSE(probe.in_fire) << "cancel returned while fire was running";
  const int fired = probe.fired;
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(probe.fired, fired);
  EXPECT_TRUE(eventually([&] { return probe.disposed == 1; }));
}

TEST(TimerService, CancelFromInsideItsOwnFireDoesNotDeadlock) {
  Watchdog watchdog("self-cancel");
  Probe probe;
  TimerService service;
  TimerHandle h;
  std::atomic<bool> ready{false};
  std::atomic<int> cancel_result{-1};
  probe.on_fire = [&] {
    while (!ready) std::this_thread::yield();
    cancel_result = h.cancel() ? 1 : 0;
  };
  h = service.schedule(Clock::now(), 1ms, &Probe::kCallbacks, &probe);
  ready = true;
  ASSERT_TRUE(eventually([&] { return probe.disposed == 1; }));
  EXPECT_EQ(probe.fired, 1);
  EXPECT_EQ(cancel_result, 1) << "a periodic timer's later firings were prevented";
}

TEST(TimerService, CancellingAnotherTimerFromAFireIsSafe) {
  Probe victim, killer;
  TimerService service;
  TimerHandle v = service.schedule(Clock::now() + 1h, 0s, &Probe::kCallbacks, &victim);
  std::atomic<int> result{-1};
  killer.on_fire = [&] { result = v.cancel() ? 1 : 0; };
  TimerHandle k = service.schedule(Clock::now(), 0s, &Probe::kCallbacks, &killer);
  ASSERT_TRUE(eventually([&] { return killer.disposed == 1; }));
  EXPECT_EQ(result, 1);
  EXPECT_EQ(victim.disposed, 1);
  EXPECT_EQ(victim.fired, 0);
}

TEST(TimerService, ShutdownDisposesPendingTimersWithoutFiring) {
  Probe a, b;
  TimerHandle ha, hb;
  {
    TimerService service;
    ha = service.schedule(Clock::now() + 1h, 0s, &Probe::kCallbacks, &a);
    hb = service.schedule(Clock::time_point::max(), 1s, &Probe::kCallbacks, &b);
    EXPECT_EQ(service.pending(), 2u);
    service.shutdown();
    service.shutdown();  // idempotent
    EXPECT_EQ(service.pending(), 0u);
    Probe late;
    TimerHandle hl = service.schedule(Clock::now(), 0s, &Probe::kCallbacks, &late);
    EXPECT_EQ(late.disposed, 1) << "scheduled after shutdown: disposed at once";
    EXPECT_FALSE(hl.active());
    EXPECT_FALSE(hl.cancel());
  }
  EXPECT_EQ(a.fired + b.fired, 0);
  EXPECT_EQ(a.disposed, 1);
  EXPECT_EQ(b.disposed, 1);
  // The service is gone; handles to finished timers stay safe.
  EXPECT_FALSE(ha.cancel());
  EXPECT_FALSE(hb.active());
}

TEST(TimerService, HandleMisuseIsSafe) {
  Probe probe;
  TimerService service;
  TimerHandle h = service.schedule(Clock::now() + 1h, 0s, &Probe::kCallbacks, &probe);
  TimerHandle moved = std::move(h);
  EXPECT_FALSE(h.cancel());  // NOLINT(bugprone-use-after-move): moved-from is inert
  EXPECT_FALSE(h.active());
  EXPECT_TRUE(moved.active());
  moved.detach();  // dropping does not cancel
  EXPECT_EQ(probe.disposed, 0);
  EXPECT_EQ(service.pending(), 1u);
  TimerHandle empty;
  EXPECT_FALSE(empty.cancel());
  service.shutdown();
  EXPECT_EQ(probe.disposed, 1);
}

}  // namespace
