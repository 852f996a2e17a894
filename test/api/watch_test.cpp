// Watches: a watcher receives one tact::Down when the watched actor stops.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tact/tact.hpp>

#include "support/eventually.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::eventually;
using tact::test::scaled;
using tact::test::Watchdog;
using tact::test::workers;

struct Get {};
struct StopNow {};
struct Fail {};

class Target {
 public:
  int handle(Get) const { return 1; }
  void handle(StopNow, tact::Context<Target>& ctx) { ctx.stop(); }
  void handle(Fail) { throw std::runtime_error("target failed"); }
};

// What a watcher saw: its Downs, in order.
class Seen {
 public:
  void add(tact::Down down) {
    std::lock_guard<std::mutex> lock(mutex_);
    downs_.push_back(std::move(down));
  }
  std::vector<tact::Down> downs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return downs_;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return downs_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<tact::Down> downs_;
};

struct Watch {
  tact::ActorRef<Target> target;
};
struct Unwatch {
  tact::ActorRef<Target> target;
};
class Watcher {
 public:
  explicit Watcher(Seen* seen) : seen_(seen) {}
  void handle(Watch msg, tact::Context<Watcher>& ctx) { ctx.watch(msg.target); }
  void handle(Unwatch msg, tact::Context<Watcher>& ctx) { ctx.unwatch(msg.target); }
  void handle(tact::Down down) { seen_->add(std::move(down)); }
  void handle(StopNow, tact::Context<Watcher>& ctx) { ctx.stop(); }

 private:
  Seen* seen_;
};

TEST(Watch, ANormalStopDeliversOneDownNamingTheActor) {
  tact::Runtime rt(workers(2));
  Seen seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<Watcher>(&seen);
  watcher.ask(Watch{target}).get();
  target.ask(StopNow{}).get();
  ASSERT_TRUE(eventually([&] { return seen.size() == 1; }));
  tact::Down down = seen.downs().front();
  EXPECT_TRUE(down.who == target);
  EXPECT_TRUE(down.who == target.address());
  EXPECT_EQ(std::hash<tact::ActorAddress>{}(down.who), std::hash<tact::ActorRef<Target>>{}(target));
  EXPECT_EQ(down.reason, tact::ExitReason::normal);
  EXPECT_FALSE(down.error);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(seen.size(), 1u);
}

TEST(Watch, AFailureDeliversDownWithTheException) {
  tact::Runtime rt(workers(2));
  Seen seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<Watcher>(&seen);
  watcher.ask(Watch{target}).get();
  target.tell(Fail{});
  ASSERT_TRUE(eventually([&] { return seen.size() == 1; }));
  tact::Down down = seen.downs().front();
  EXPECT_EQ(down.reason, tact::ExitReason::failed);
  ASSERT_TRUE(down.error);
  EXPECT_THROW(std::rethrow_exception(down.error), std::runtime_error);
}

TEST(Watch, WatchingAStoppedActorDeliversDownAtOnceWithItsReason) {
  tact::Runtime rt(workers(2));
  Seen seen;
  auto target = rt.spawn<Target>();
  target.tell(Fail{});
  ASSERT_TRUE(eventually([&] { return !target.tell(Get{}); }));  // stopped
  auto watcher = rt.spawn<Watcher>(&seen);
  watcher.ask(Watch{target}).get();
  ASSERT_TRUE(eventually([&] { return seen.size() == 1; }));
  EXPECT_EQ(seen.downs().front().reason, tact::ExitReason::failed);
  watcher.ask(Watch{target}).get();  // again: again at once (each watch of a stopped actor)
  ASSERT_TRUE(eventually([&] { return seen.size() == 2; }));
}

TEST(Watch, WatchingTwiceIsWatchingOnce) {
  tact::Runtime rt(workers(2));
  Seen seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<Watcher>(&seen);
  watcher.ask(Watch{target}).get();
  watcher.ask(Watch{target}).get();
  target.ask(StopNow{}).get();
  ASSERT_TRUE(eventually([&] { return seen.size() == 1; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(seen.size(), 1u);
}

TEST(Watch, UnwatchMeansNoDown) {
  tact::Runtime rt(workers(2));
  Seen seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<Watcher>(&seen);
  watcher.ask(Watch{target}).get();
  watcher.ask(Unwatch{target}).get();
  target.ask(StopNow{}).get();
  watcher.ask(Watch{rt.spawn<Target>()}).get();  // a round trip after the stop
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(seen.size(), 0u);
}

TEST(Watch, EveryWatcherHearsOnce) {
  Seen seen;
  {
    tact::Runtime rt(workers(2));
    auto target = rt.spawn<Target>();
    std::vector<tact::ActorRef<Watcher>> watchers;
    for (int i = 0; i < 10; ++i) {
      watchers.push_back(rt.spawn<Watcher>(&seen));
      watchers.back().ask(Watch{target}).get();
    }
    target.ask(StopNow{}).get();
    ASSERT_TRUE(eventually([&] { return seen.size() == 10; }));
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(Watch, ADownForAStoppedWatcherIsDroppedNotADeadLetter) {
  tact::Runtime rt(workers(2));
  Seen seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<Watcher>(&seen);
  watcher.ask(Watch{target}).get();
  watcher.ask(StopNow{}).get();
  ASSERT_TRUE(eventually([&] { return !watcher.tell(StopNow{}); }));
  const auto dead_before = rt.stats().dead_letters;
  target.ask(StopNow{}).get();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(seen.size(), 0u);
  EXPECT_EQ(rt.stats().dead_letters, dead_before);
}

// Watches racing stops: every (watcher, target) pair gets exactly one Down,
// whether the watch came before, during or after the stop.
struct WatchAll {
  std::shared_ptr<const std::vector<tact::ActorRef<Target>>> targets;
};
class CountingWatcher {
 public:
  explicit CountingWatcher(std::atomic<long>* downs) : downs_(downs) {}
  void handle(WatchAll msg, tact::Context<CountingWatcher>& ctx) {
    for (const auto& target : *msg.targets) ctx.watch(target);
  }
  void handle(tact::Down) { downs_->fetch_add(1); }

 private:
  std::atomic<long>* downs_;
};

TEST(WatchRace, WatchesRacingStopsDeliverExactlyOneDownEach) {
  Watchdog watchdog("watch vs stop race", 120s);
  const int rounds = static_cast<int>(scaled(200));
  constexpr int kTargets = 20;
  constexpr int kWatchers = 4;
  for (int round = 0; round < rounds; ++round) {
    std::atomic<long> downs{0};
    tact::Runtime rt(workers(2));
    auto targets = std::make_shared<std::vector<tact::ActorRef<Target>>>();
    for (int i = 0; i < kTargets; ++i) targets->push_back(rt.spawn<Target>());
    std::vector<tact::ActorRef<CountingWatcher>> watchers;
    for (int w = 0; w < kWatchers; ++w) watchers.push_back(rt.spawn<CountingWatcher>(&downs));
    for (auto& watcher : watchers) watcher.tell(WatchAll{targets});
    for (std::size_t i = 0; i < kTargets; ++i) {
      if (i % 2 == 0) {
        (*targets)[i].tell(Fail{});
      } else {
        (*targets)[i].tell(StopNow{});
      }
    }
    ASSERT_TRUE(eventually([&] { return downs.load() == kTargets * kWatchers; }))
        << "round " << round << ": " << downs.load();
    std::this_thread::sleep_for(1ms);
    EXPECT_EQ(downs.load(), kTargets * kWatchers);
  }
}

}  // namespace
