// tact::Driver: a host thread lent to the runtime. What it sends runs on it (no
// worker woken), chains stay on it, nothing it sends is stranded when it blocks,
// leaves or shuts down, run_ready's bound hands the rest to the workers, and
// misuse throws.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::eventually;
using tact::test::Watchdog;

// One worker that parks at once: after a short pause it sleeps until notified,
// so whatever runs without a notification ran on the driver.
tact::Config one_sleepy_worker() {
  tact::Config config;
  config.workers = 1;
  config.spin_before_park = std::chrono::microseconds(0);
  return config;
}

void let_the_worker_fall_asleep() { std::this_thread::sleep_for(200ms); }

struct Note {};
struct Threads {};

// Records the thread of every message it handles.
class Recorder {
 public:
  explicit Recorder(std::atomic<std::int64_t>* handled = nullptr) : handled_(handled) {}
  void handle(Note) {
    threads_.push_back(std::this_thread::get_id());
    if (handled_ != nullptr) handled_->fetch_add(1, std::memory_order_relaxed);
  }
  std::vector<std::thread::id> handle(Threads) const { return threads_; }

 private:
  std::vector<std::thread::id> threads_;
  std::atomic<std::int64_t>* handled_;
};

TEST(Driver, ActorsWokenByTheDriversSendsRunOnTheDriversThread) {
  Watchdog watchdog("driver: sends run on the driver", 60s);
  tact::Runtime rt(one_sleepy_worker());
  auto recorder = rt.spawn<Recorder>();
  let_the_worker_fall_asleep();
  tact::Driver driver(rt);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(recorder.tell(Note{}));
    EXPECT_EQ(driver.run_ready(), 1u) << "send " << i;
  }
  EXPECT_EQ(driver.run_ready(), 0u);  // nothing left
  auto threads = recorder.ask(Threads{});
  driver.run_ready();
  const std::vector<std::thread::id> seen = threads.get_for(10s);
  ASSERT_EQ(seen.size(), 100u);
  for (std::thread::id id : seen) EXPECT_EQ(id, std::this_thread::get_id());
}

struct Square {
  std::int64_t x;
};
class Squarer {
 public:
  std::int64_t handle(Square s) { return s.x * s.x; }
};

TEST(Driver, AnAskAndItsThenContinuationCompleteInsideRunReady) {
  Watchdog watchdog("driver: ask + then", 60s);
  tact::Runtime rt(one_sleepy_worker());
  auto squarer = rt.spawn<Squarer>();
  let_the_worker_fall_asleep();
  tact::Driver driver(rt);
  for (std::int64_t i = 1; i <= 50; ++i) {
    std::int64_t answer = -1;
    std::thread::id ran_on;
    squarer.ask(Square{i}).then([&](tact::Outcome<std::int64_t> outcome) {
      answer = outcome.value();
      ran_on = std::this_thread::get_id();
    });
    EXPECT_EQ(answer, -1) << "answered before run_ready";
    driver.run_ready();
    EXPECT_EQ(answer, i * i);
    EXPECT_EQ(ran_on, std::this_thread::get_id());
  }
}

// A forwards to B, which answers the original ask: one run_ready runs both.
struct Forward {
  std::int64_t x;
};
class Front {
 public:
  explicit Front(tact::ActorRef<Squarer> back) : back_(std::move(back)) {}
  tact::Task<std::int64_t> handle(Forward f) { co_return co_await back_.ask(Square{f.x}) + 1; }

 private:
  tact::ActorRef<Squarer> back_;
};

TEST(Driver, ASendChainStaysOnTheDriverWithinOneRunReady) {
  Watchdog watchdog("driver: chains", 60s);
  tact::Runtime rt(one_sleepy_worker());
  auto front = rt.spawn<Front>(rt.spawn<Squarer>());
  let_the_worker_fall_asleep();
  tact::Driver driver(rt);
  std::int64_t answer = 0;
  front.ask(Forward{7}).then([&](tact::Outcome<std::int64_t> o) { answer = o.value(); });
  // Front's turn (parks on the ask), Squarer's turn, Front resumed: 3 turns.
  EXPECT_EQ(driver.run_ready(), 3u);
  EXPECT_EQ(answer, 50);
}

TEST(Driver, WhatTheDriverSentIsNotStrandedWhenItLeaves) {
  Watchdog watchdog("driver: leaving hands work to the workers", 60s);
  tact::Runtime rt(one_sleepy_worker());
  std::atomic<std::int64_t> handled{0};
  auto recorder = rt.spawn<Recorder>(&handled);
  let_the_worker_fall_asleep();
  {
    tact::Driver driver(rt);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(recorder.tell(Note{}));
  }  // never ran run_ready
  EXPECT_TRUE(eventually([&] { return handled.load() == 1000; }));
}

TEST(Driver, BlockingOnAReplyFromTheDriversThreadDoesNotHang) {
  Watchdog watchdog("driver: blocking get", 60s);
  tact::Runtime rt(one_sleepy_worker());
  auto squarer = rt.spawn<Squarer>();
  let_the_worker_fall_asleep();
  tact::Driver driver(rt);
  EXPECT_EQ(squarer.ask(Square{9}).get(), 81);  // no run_ready: a worker answers
  EXPECT_EQ(squarer.ask(Square{3}).get_for(10s), 9);
}

TEST(Driver, ShutdownOnTheDriversThreadHandlesWhatItSent) {
  Watchdog watchdog("driver: shutdown on the driver's thread", 60s);
  std::atomic<std::int64_t> handled{0};
  tact::Runtime rt(one_sleepy_worker());
  auto recorder = rt.spawn<Recorder>(&handled);
  let_the_worker_fall_asleep();
  tact::Driver driver(rt);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(recorder.tell(Note{}));
  rt.shutdown();  // drains: the workers run what the driver never did
  EXPECT_EQ(handled.load(), 500);
  EXPECT_EQ(driver.run_ready(), 0u);  // after shutdown: nothing, no crash
}

TEST(Driver, ShutdownFromAnotherThreadDoesNotWaitForAnIdleDriver) {
  Watchdog watchdog("driver: shutdown from elsewhere", 60s);
  std::atomic<std::int64_t> handled{0};
  tact::Runtime rt(one_sleepy_worker());
  auto recorder = rt.spawn<Recorder>(&handled);
  let_the_worker_fall_asleep();
  std::promise<void> sent;
  std::promise<void> shut;
  std::thread host([&] {
    tact::Driver driver(rt);
    for (int i = 0; i < 500; ++i) recorder.tell(Note{});
    sent.set_value();
    shut.get_future().wait();  // blocked elsewhere, sends not run: a misbehaving host
  });
  sent.get_future().wait();
  rt.shutdown();
  EXPECT_EQ(handled.load(), 500);
  shut.set_value();
  host.join();
}

// Handles Pass on the driver's thread: waits until shutdown has begun (and a
// little longer: its drain's look for quiet takes two snapshots 200 us apart),
// then tells the recorder, which lands in the driver's own LIFO slot.
struct Pass {};
class SlowRelay {
 public:
  SlowRelay(tact::ActorRef<Recorder> to, std::atomic<bool>* entered, std::atomic<bool>* shutting_down)
      : to_(std::move(to)), entered_(entered), shutting_down_(shutting_down) {}
  void handle(Pass) {
    entered_->store(true);
    while (!shutting_down_->load()) std::this_thread::yield();
    std::this_thread::sleep_for(50ms);
    to_.tell(Note{});
  }

 private:
  tact::ActorRef<Recorder> to_;
  std::atomic<bool>* entered_;
  std::atomic<bool>* shutting_down_;
};

TEST(Driver, ShutdownFromAnotherThreadWaitsForTheTurnTheDriverIsRunning) {
  // A turn on a driver's thread, and what it sends, are in no queue the workers
  // share: shutdown's drain must count the driver busy, or it would stop the
  // recorder before the relay's tell (which failed this test, a dead letter).
  Watchdog watchdog("driver: shutdown while it runs a turn", 60s);
  std::atomic<std::int64_t> handled{0};
  std::atomic<bool> entered{false};
  std::atomic<bool> shutting_down{false};
  tact::Runtime rt(one_sleepy_worker());
  auto recorder = rt.spawn<Recorder>(&handled);
  auto relay = rt.spawn<SlowRelay>(recorder, &entered, &shutting_down);
  let_the_worker_fall_asleep();
  std::thread host([&] {
    tact::Driver driver(rt);
    ASSERT_TRUE(relay.tell(Pass{}));
    // The relay's turn, then the recorder's: 2, unless shutdown took them.
    EXPECT_EQ(driver.run_ready(), 2u);
  });
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  shutting_down.store(true);
  rt.shutdown();
  host.join();
  EXPECT_EQ(handled.load(), 1);
  EXPECT_EQ(rt.stats().dead_letters, 0u);
}

TEST(Driver, RunReadyStopsAtMaxTurnsAndTheWorkersTakeTheRest) {
  Watchdog watchdog("driver: max turns", 60s);
  tact::Runtime rt(one_sleepy_worker());
  std::atomic<std::int64_t> handled{0};
  std::vector<tact::ActorRef<Recorder>> recorders;
  for (int i = 0; i < 10; ++i) recorders.push_back(rt.spawn<Recorder>(&handled));
  let_the_worker_fall_asleep();
  tact::Driver driver(rt);
  for (auto& r : recorders) ASSERT_TRUE(r.tell(Note{}));
  EXPECT_EQ(driver.run_ready(3), 3u);
  // The other seven were handed to the (woken) worker.
  EXPECT_TRUE(eventually([&] { return handled.load() == 10; }));
  EXPECT_EQ(driver.run_ready(), 0u);
}

// ---- misuse --------------------------------------------------------------------------

struct TryDriver {};
class DriverInHandler {
 public:
  explicit DriverInHandler(tact::Runtime* rt) : rt_(rt) {}
  bool handle(TryDriver) {
    try {
      tact::Driver driver(*rt_);
    } catch (const std::logic_error&) {
      return true;
    }
    return false;
  }

 private:
  tact::Runtime* rt_;
};

TEST(Driver, AHandlerCannotMakeADriver) {
  tact::Runtime rt(tact::test::workers(1));
  auto actor = rt.spawn<DriverInHandler>(&rt);
  EXPECT_TRUE(actor.ask(TryDriver{}).get_for(10s));
}

TEST(Driver, OneDriverPerThread) {
  tact::Runtime rt(tact::test::workers(1));
  tact::Runtime other(tact::test::workers(1));
  tact::Driver driver(rt);
  EXPECT_THROW(tact::Driver second(rt), std::logic_error);
  EXPECT_THROW(tact::Driver third(other), std::logic_error);
}

TEST(Driver, RunReadyOnlyOnTheDriversThread) {
  tact::Runtime rt(tact::test::workers(1));
  tact::Driver driver(rt);
  bool threw = false;
  std::thread other([&] {
    try {
      driver.run_ready();
    } catch (const std::logic_error&) {
      threw = true;
    }
  });
  other.join();
  EXPECT_TRUE(threw);
}

struct RunIt {};
class Reentrant {
 public:
  explicit Reentrant(tact::Driver* driver) : driver_(driver) {}
  void handle(RunIt) {
    try {
      driver_->run_ready();
    } catch (const std::logic_error&) {
      refused_ = true;
    }
  }
  bool handle(Threads) const { return refused_; }

 private:
  tact::Driver* driver_;
  bool refused_ = false;
};

TEST(Driver, RunReadyFromInsideAHandlerItRunsThrows) {
  tact::Runtime rt(one_sleepy_worker());
  tact::Driver driver(rt);
  auto actor = rt.spawn<Reentrant>(&driver);
  let_the_worker_fall_asleep();
  actor.tell(RunIt{});
  EXPECT_EQ(driver.run_ready(), 1u);
  EXPECT_TRUE(actor.ask(Threads{}).get_for(10s));
}

}  // namespace
