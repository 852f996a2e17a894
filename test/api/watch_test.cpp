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

#include "support/down_log.hpp"
#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::DownLog;
using tact::test::DownRecorder;
using tact::test::eventually;
using tact::test::StopRecording;
using tact::test::UnwatchIt;
using tact::test::WatchIt;
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

TEST(Watch, ANormalStopDeliversOneDownNamingTheActor) {
  tact::Runtime rt(workers(2));
  DownLog seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<DownRecorder>(&seen);
  watcher.ask(WatchIt{target}).get();
  target.ask(StopNow{}).get();
  ASSERT_TRUE(eventually([&] { return seen.size() == 1; }));
  tact::Down down = seen.at(0);
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
  DownLog seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<DownRecorder>(&seen);
  watcher.ask(WatchIt{target}).get();
  target.tell(Fail{});
  ASSERT_TRUE(eventually([&] { return seen.size() == 1; }));
  tact::Down down = seen.at(0);
  EXPECT_EQ(down.reason, tact::ExitReason::failed);
  ASSERT_TRUE(down.error);
  EXPECT_THROW(std::rethrow_exception(down.error), std::runtime_error);
}

TEST(Watch, WatchingAStoppedActorDeliversDownAtOnceWithItsReason) {
  tact::Runtime rt(workers(2));
  DownLog seen;
  auto target = rt.spawn<Target>();
  target.tell(Fail{});
  ASSERT_TRUE(eventually([&] { return !target.tell(Get{}); }));  // stopped
  auto watcher = rt.spawn<DownRecorder>(&seen);
  watcher.ask(WatchIt{target}).get();
  ASSERT_TRUE(eventually([&] { return seen.size() == 1; }));
  EXPECT_EQ(seen.at(0).reason, tact::ExitReason::failed);
  watcher.ask(WatchIt{target}).get();  // again: again at once (each watch of a stopped actor)
  ASSERT_TRUE(eventually([&] { return seen.size() == 2; }));
}

TEST(Watch, WatchingTwiceIsWatchingOnce) {
  tact::Runtime rt(workers(2));
  DownLog seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<DownRecorder>(&seen);
  watcher.ask(WatchIt{target}).get();
  watcher.ask(WatchIt{target}).get();
  target.ask(StopNow{}).get();
  ASSERT_TRUE(eventually([&] { return seen.size() == 1; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(seen.size(), 1u);
}

TEST(Watch, UnwatchMeansNoDown) {
  tact::Runtime rt(workers(2));
  DownLog seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<DownRecorder>(&seen);
  watcher.ask(WatchIt{target}).get();
  watcher.ask(UnwatchIt{target}).get();
  target.ask(StopNow{}).get();
  watcher.ask(WatchIt{rt.spawn<Target>()}).get();  // a round trip after the stop
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(seen.size(), 0u);
}

TEST(Watch, EveryWatcherHearsOnce) {
  DownLog seen;
  {
    tact::Runtime rt(workers(2));
    auto target = rt.spawn<Target>();
    std::vector<tact::ActorRef<DownRecorder>> watchers;
    for (int i = 0; i < 10; ++i) {
      watchers.push_back(rt.spawn<DownRecorder>(&seen));
      watchers.back().ask(WatchIt{target}).get();
    }
    target.ask(StopNow{}).get();
    ASSERT_TRUE(eventually([&] { return seen.size() == 10; }));
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(Watch, ADownForAStoppedWatcherIsDroppedNotADeadLetter) {
  tact::Runtime rt(workers(2));
  DownLog seen;
  auto target = rt.spawn<Target>();
  auto watcher = rt.spawn<DownRecorder>(&seen);
  watcher.ask(WatchIt{target}).get();
  watcher.ask(StopRecording{}).get();
  ASSERT_TRUE(eventually([&] { return !watcher.tell(StopRecording{}); }));
  // A tell of that loop may have been queued before the stop: the stopping
  // runner counts it as a dead letter, and is done once it left the registry.
  ASSERT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
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
