// Timers as a user sees them: ctx.send_after / send_every, rt.send_after /
// send_every, TimerHandle. "Not early" is asserted strictly, "eventually" with
// generous limits; after a cancel (or the owner's stop) the number of deliveries
// (the copies a periodic timer makes) must not grow, and every message copy is
// destroyed in the end (no leaks; ASan checks the rest).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tact::test::eventually;
using tact::test::Watchdog;

const tact::Config kTwoWorkers = tact::test::workers(2);

// Counts a message's instances alive and the copies made (a periodic timer makes
// one per delivery; moves are not counted).
struct Census {
  std::atomic<int> live{0};
  std::atomic<int> copies{0};
};

struct Tick {
  explicit Tick(Census* c) : census(c) { census->live.fetch_add(1); }
  Tick(const Tick& other) : census(other.census) {
    census->live.fetch_add(1);
    census->copies.fetch_add(1);
  }
  Tick(Tick&& other) noexcept : census(other.census) { census->live.fetch_add(1); }
  Tick& operator=(const Tick&) = delete;
  ~Tick() { census->live.fetch_sub(1); }
  Census* census;
};

struct Ping {
  Clock::time_point not_before;
};
struct StopNow {};

// Records what it handles.
struct SinkLog {
  std::atomic<int> ticks{0};
  std::atomic<int> pings{0};
  std::atomic<Clock::rep> early_by{0};  // the largest earliness seen (must stay 0)
  std::atomic<Clock::rep> last_lateness{0};
};
class Sink {
 public:
  explicit Sink(SinkLog* log) : log_(log) {}
  void handle(Tick) { log_->ticks.fetch_add(1); }
  void handle(Ping ping) {
    const auto now = Clock::now();
    if (now < ping.not_before) log_->early_by = (ping.not_before - now).count();
    log_->last_lateness = (now - ping.not_before).count();
    log_->pings.fetch_add(1);
  }
  void handle(StopNow, tact::Context<Sink>& ctx) { ctx.stop(); }

 private:
  SinkLog* log_;
};

// Starts timers from inside an actor and keeps the last handle.
struct StartAfter {
  Clock::duration delay;
  tact::ActorRef<Sink> sink;
};
struct StartEvery {
  Clock::duration period;
  tact::ActorRef<Sink> sink;
  Census* census;
};
struct StartMany {
  int count;
  tact::ActorRef<Sink> sink;
  Census* census;
};
struct CancelIt {};
class Owner {
 public:
  void handle(StartAfter msg, tact::Context<Owner>& ctx) {
    handle_ = ctx.send_after(msg.delay, msg.sink, Ping{Clock::now() + msg.delay});
  }
  void handle(StartEvery msg, tact::Context<Owner>& ctx) {
    handle_ = ctx.send_every(msg.period, msg.sink, Tick(msg.census));
  }
  void handle(StartMany msg, tact::Context<Owner>& ctx) {
    for (int i = 0; i < msg.count; ++i) {
      (void)ctx.send_after(1h + 1ms * i, msg.sink, Tick(msg.census));  // dropped: not cancelled
    }
  }
  bool handle(CancelIt) { return handle_.cancel(); }
  void handle(StopNow, tact::Context<Owner>& ctx) { ctx.stop(); }

 private:
  tact::TimerHandle handle_;
};

// A runtime whose Sink receives census's Ticks from a 1 ms rt.send_every. Members
// in this order: the Sink uses `log` until the runtime's shutdown stops it.
struct Ticking {
  explicit Ticking(Census* census) : every(rt.send_every(1ms, sink, Tick(census))) {
    EXPECT_TRUE(eventually([&] { return log.ticks >= 3; }));
  }
  SinkLog log;
  tact::Runtime rt{kTwoWorkers};
  tact::ActorRef<Sink> sink = rt.spawn<Sink>(&log);
  tact::TimerHandle every;
};

std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// ===== send_after ===========================================================================

TEST(Timers, ContextSendAfterDeliversOnceAndNotEarly) {
  Watchdog watchdog("ctx.send_after");
  tact::Runtime rt(kTwoWorkers);
  SinkLog log;
  auto sink = rt.spawn<Sink>(&log);
  auto owner = rt.spawn<Owner>();
  for (auto delay : {0ms, 1ms, 10ms}) {
    const int before = log.pings;
    owner.ask(StartAfter{delay, sink}).get();
    ASSERT_TRUE(eventually([&] { return log.pings == before + 1; }));
  }
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(log.pings, 3) << "delivered more than once";
  EXPECT_EQ(log.early_by, 0) << "delivered early";
  EXPECT_FALSE(owner.ask(CancelIt{}).get()) << "cancel after the delivery prevents nothing";
}

TEST(Timers, RuntimeSendAfterDeliversOnceAndNotEarly) {
  tact::Runtime rt(kTwoWorkers);
  SinkLog log;
  auto sink = rt.spawn<Sink>(&log);
  const auto not_before = Clock::now() + 5ms;
  tact::TimerHandle h = rt.send_after(5ms, sink, Ping{not_before});
  ASSERT_TRUE(eventually([&] { return log.pings == 1; }));
  EXPECT_EQ(log.early_by, 0);
  // The delivery may be handled before the timer thread marks the timer finished.
  EXPECT_TRUE(eventually([&] { return !h.active(); }));
  EXPECT_FALSE(h.cancel());
}

TEST(Timers, AnIdleRuntimeHasNoTimerThreadUntilTheFirstTimer) {
  tact::Runtime rt(kTwoWorkers);
  SinkLog log;
  auto sink = rt.spawn<Sink>(&log);
  sink.tell(Ping{});
  ASSERT_TRUE(eventually([&] { return log.pings == 1; }));
  std::this_thread::sleep_for(5ms);
  const std::size_t before = thread_count();  // the workers (and a sanitizer's own threads)
  EXPECT_EQ(thread_count(), before) << "no thread appears while idle";
  tact::TimerHandle h = rt.send_after(1h, sink, Ping{});
  EXPECT_EQ(thread_count(), before + 1) << "the timer thread, started by the first timer";
  EXPECT_TRUE(h.cancel());
}

TEST(Timers, FarAndPastDelaysAreFine) {
  tact::Runtime rt(kTwoWorkers);
  SinkLog log;
  auto sink = rt.spawn<Sink>(&log);
  tact::TimerHandle never = rt.send_after(std::chrono::hours::max(), sink, Ping{});
  tact::TimerHandle past = rt.send_after(-5s, sink, Ping{});
  ASSERT_TRUE(eventually([&] { return log.pings == 1; }));
  EXPECT_TRUE(never.active());
  EXPECT_TRUE(never.cancel());
  EXPECT_THROW((void)rt.send_every(0ms, sink, Ping{}), tact::Error);
  EXPECT_THROW((void)rt.send_after(1ms, tact::ActorRef<Sink>(), Ping{}), tact::Error);
}

// ===== send_every and cancel ===================================================================

TEST(Timers, SendEveryDeliversRepeatedlyAndNothingAfterCancelReturns) {
  Watchdog watchdog("ctx.send_every + cancel");
  Census census;
  {
    tact::Runtime rt(kTwoWorkers);
    SinkLog log;
    auto sink = rt.spawn<Sink>(&log);
    auto owner = rt.spawn<Owner>();
    owner.ask(StartEvery{1ms, sink, &census}).get();
    ASSERT_TRUE(eventually([&] { return log.ticks >= 5; }));
    EXPECT_TRUE(owner.ask(CancelIt{}).get());
    // "After cancel": no delivery starts once cancel() returned. Ticks delivered
    // before are in the sink's mailbox and are still handled.
    const int delivered = census.copies;
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(census.copies, delivered) << "a delivery after cancel returned";
    EXPECT_TRUE(eventually([&] { return log.ticks == delivered; }));
    EXPECT_FALSE(owner.ask(CancelIt{}).get()) << "cancelling twice";
  }
  EXPECT_EQ(census.live, 0) << "a message copy leaked";
}

TEST(Timers, RuntimeSendEveryRunsUntilCancelled) {
  Census census;
  {
    Ticking ticking(&census);
    tact::TimerHandle& h = ticking.every;
    EXPECT_TRUE(h.active());
    EXPECT_TRUE(h.cancel());
    EXPECT_FALSE(h.active());
    const int delivered = census.copies;
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(census.copies, delivered);
  }
  EXPECT_EQ(census.live, 0);
}

// ===== timers and the actors' lives ===============================================================

TEST(Timers, AnActorsTimersAreCancelledWhenItStops) {
  Watchdog watchdog("owner stops");
  Census every_census, after_census;
  {
    tact::Runtime rt(kTwoWorkers);
    SinkLog log;
    auto sink = rt.spawn<Sink>(&log);
    auto owner = rt.spawn<Owner>();
    owner.ask(StartEvery{1ms, sink, &every_census}).get();
    owner.ask(StartMany{50, sink, &after_census}).get();  // handles dropped
    ASSERT_TRUE(eventually([&] { return log.ticks >= 3; }));
    const auto stopped_before = rt.stats().actors_stopped;
    owner.tell(StopNow{});
    ASSERT_TRUE(eventually([&] { return rt.stats().actors_stopped == stopped_before + 1; }));
    const int delivered = every_census.copies;
    std::this_thread::sleep_for(30ms);  // settle
    EXPECT_EQ(every_census.copies, delivered) << "delivered after its owner stopped";
    // The timers' messages were destroyed with them (not at shutdown).
    EXPECT_TRUE(eventually([&] { return after_census.live == 0; }));
    EXPECT_TRUE(eventually([&] { return every_census.live == 0; }));
    EXPECT_EQ(log.ticks, delivered);
  }
  EXPECT_EQ(every_census.live, 0);
  EXPECT_EQ(after_census.live, 0);
}

TEST(Timers, APeriodicTimerToAStoppedTargetCancelsItself) {
  Census census;
  Ticking ticking(&census);
  ticking.sink.tell(StopNow{});
  EXPECT_TRUE(eventually([&] { return !ticking.every.active(); })) << "still running after its target stopped";
  EXPECT_TRUE(eventually([&] { return census.live == 0; }));
  EXPECT_GE(ticking.rt.stats().dead_letters, 1u) << "the rejected tick is a dead letter";
  EXPECT_FALSE(ticking.every.cancel());
}

TEST(Timers, ShutdownWithPendingTimersIsPromptAndLeaksNothing) {
  Watchdog watchdog("shutdown with timers");
  Census census;
  std::chrono::nanoseconds took{};
  {
    tact::Runtime rt(kTwoWorkers);
    SinkLog log;
    auto sink = rt.spawn<Sink>(&log);
    auto owner = rt.spawn<Owner>();
    owner.ask(StartMany{200, sink, &census}).get();
    tact::TimerHandle fast = rt.send_every(200us, sink, Tick(&census));  // keeps firing into the drain
    tact::TimerHandle slow = rt.send_every(1h, sink, Tick(&census));
    tact::TimerHandle once = rt.send_after(1h, sink, Tick(&census));
    ASSERT_TRUE(eventually([&] { return log.ticks >= 3; }));
    const auto start = Clock::now();
    rt.shutdown();
    took = Clock::now() - start;
    EXPECT_FALSE(fast.active());
    EXPECT_FALSE(slow.cancel());
    EXPECT_FALSE(once.active());
  }
  EXPECT_EQ(census.live, 0);
  std::printf("shutdown with 203 pending timers and a 200us periodic one: %.1f ms\n",
              std::chrono::duration<double, std::milli>(took).count());
  EXPECT_LT(took, 10s) << "loose: shutdown must not wait for the timers";
}

TEST(Timers, HandleMisuseIsSafe) {
  tact::TimerHandle outlives;
  {
    tact::Runtime rt(kTwoWorkers);
    SinkLog log;
    auto sink = rt.spawn<Sink>(&log);
    tact::TimerHandle a = rt.send_after(1h, sink, Ping{});
    tact::TimerHandle b = std::move(a);
    EXPECT_FALSE(a.active());  // NOLINT(bugprone-use-after-move): moved-from is inert
    EXPECT_FALSE(a.cancel());
    EXPECT_TRUE(b.cancel());
    EXPECT_FALSE(b.cancel());
    tact::TimerHandle c = rt.send_after(0ms, sink, Ping{});
    ASSERT_TRUE(eventually([&] { return log.pings == 1; }));
    EXPECT_TRUE(eventually([&] { return !c.active(); }));
    EXPECT_FALSE(c.cancel());
    b = std::move(c);  // assigning over a finished handle
    outlives = rt.send_after(1h, sink, Ping{});
  }
  EXPECT_FALSE(outlives.active()) << "the runtime shut down: its timers finished";
  EXPECT_FALSE(outlives.cancel());
  tact::TimerHandle empty;
  EXPECT_FALSE(empty.cancel());
  empty.detach();
}

// ===== a figure: how late send_after(1ms) is ===============================================

TEST(Timers, SendAfterOneMillisecondLatenessReport) {
  Watchdog watchdog("lateness report", std::chrono::seconds(120));
  tact::Runtime rt(kTwoWorkers);
  SinkLog log;
  auto sink = rt.spawn<Sink>(&log);
  const int runs = 1000;
  std::vector<double> lateness_us;
  lateness_us.reserve(runs);
  for (int i = 0; i < runs; ++i) {
    const int before = log.pings;
    (void)rt.send_after(1ms, sink, Ping{Clock::now() + 1ms});
    ASSERT_TRUE(eventually([&] { return log.pings == before + 1; }));
    lateness_us.push_back(static_cast<double>(log.last_lateness.load()) / 1000.0);
  }
  EXPECT_EQ(log.early_by, 0);
  std::sort(lateness_us.begin(), lateness_us.end());
  std::printf("send_after(1ms) lateness over %d runs (scheduled -> handled): median %.1f us, "
              "p99 %.1f us, max %.1f us\n",
              runs, lateness_us[runs / 2], lateness_us[runs * 99 / 100], lateness_us.back());
}

}  // namespace
