// rt.spawn_detached<A>(): an actor on a thread of its own, free to block.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <tact/tact.hpp>

#include "support/down_log.hpp"
#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::DownLog;
using tact::test::DownRecorder;
using tact::test::eventually;
using tact::test::Watchdog;
using tact::test::WatchIt;
using tact::test::workers;

struct Block {
  std::atomic<bool>* release;
  std::atomic<bool>* entered;
};
struct WhereAmI {};
struct Ping {};
struct AskOther {
  tact::ActorRef<struct Plain> other;
};
struct SpawnChild {};
struct Quit {};

struct Plain {
  std::thread::id handle(WhereAmI) const { return std::this_thread::get_id(); }
  int handle(Ping) const { return 1; }
};

class Legacy {
 public:
  explicit Legacy(std::atomic<int>* stops = nullptr) : stops_(stops) {}
  void handle(Block b) {  // a synchronous call into a library that blocks
    b.entered->store(true);
    while (!b.release->load()) std::this_thread::sleep_for(1ms);
  }
  std::thread::id handle(WhereAmI) const { return std::this_thread::get_id(); }
  int handle(Ping) const { return 2; }
  int handle(AskOther a) const { return a.other.ask(Ping{}).get() + 10; }  // get() is allowed here
  std::thread::id handle(SpawnChild, tact::Context<Legacy>& ctx) const {
    return ctx.spawn<Plain>().ask(WhereAmI{}).get();
  }
  void handle(Quit, tact::Context<Legacy>& ctx) { ctx.stop(); }
  void on_stop() {
    if (stops_ != nullptr) stops_->fetch_add(1);
  }

 private:
  std::atomic<int>* stops_;
};

int threads_in_process() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "Threads:") {
      int n = 0;
      status >> n;
      return n;
    }
  }
  return -1;
}

TEST(Detached, ABlockingHandlerDoesNotStallTheWorkers) {
  Watchdog watchdog("detached stall", 30s);
  tact::Runtime rt(workers(1));
  auto legacy = rt.spawn_detached<Legacy>();
  auto plain = rt.spawn<Plain>();
  std::atomic<bool> release{false};
  std::atomic<bool> entered{false};
  legacy.tell(Block{&release, &entered});
  ASSERT_TRUE(eventually([&] { return entered.load(); }));  // it blocks now
  // The only worker is free: other actors keep going while the detached one
  // blocks (it is released only after; stalled, these would never answer and
  // the watchdog would fail the test).
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(plain.ask(Ping{}).get(), 1);
  release.store(true);
  EXPECT_EQ(legacy.ask(Ping{}).get(), 2);
}

TEST(Detached, RunsOnOneThreadOfItsOwnAndSpawnsOnTheWorkers) {
  tact::Runtime rt(workers(2));
  auto legacy = rt.spawn_detached<Legacy>();
  auto plain = rt.spawn<Plain>();
  const auto home = legacy.ask(WhereAmI{}).get();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(legacy.ask(WhereAmI{}).get(), home);
  for (int i = 0; i < 20; ++i) EXPECT_NE(plain.ask(WhereAmI{}).get(), home);
  EXPECT_NE(legacy.ask(SpawnChild{}).get(), home);
}

TEST(Detached, MayWaitForRepliesWithGet) {
  tact::Runtime rt(workers(1));
  auto legacy = rt.spawn_detached<Legacy>();
  auto plain = rt.spawn<Plain>();
  EXPECT_EQ(legacy.ask(AskOther{plain}).get(), 11);
}

TEST(Detached, SameSemanticsWatchStopNamesStats) {
  tact::Runtime rt(workers(2));
  std::atomic<int> stops{0};
  DownLog seen;
  auto legacy = rt.spawn_detached<Legacy>(&stops);
  auto watcher = rt.spawn<DownRecorder>(&seen);
  watcher.ask(WatchIt{legacy}).get();
  ASSERT_TRUE(rt.register_name("legacy", legacy));
  auto found = rt.lookup<Legacy>("legacy");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->ask(Ping{}).get(), 2);
  EXPECT_EQ(rt.stats().actors_spawned, 2u);  // the detached one counts in the runtime
  legacy.tell(Quit{});
  ASSERT_TRUE(eventually([&] { return seen.size() == 1; }));
  EXPECT_TRUE(seen.at(0).who == legacy);
  EXPECT_EQ(seen.at(0).reason, tact::ExitReason::normal);
  EXPECT_EQ(stops.load(), 1);
  EXPECT_FALSE(rt.lookup<Legacy>("legacy").has_value());  // its name went with it
  EXPECT_FALSE(legacy.tell(Ping{}));                     // a dead letter
  EXPECT_THROW((void)legacy.ask(Ping{}).get(), tact::ActorStopped);
}

TEST(Detached, AKillStopsItAndShutdownStopsTheRest) {
  std::atomic<int> stops{0};
  {
    tact::Runtime rt(workers(1));
    auto killed = rt.spawn_detached<Legacy>(&stops);
    auto kept = rt.spawn_detached<Legacy>(&stops);
    EXPECT_EQ(kept.ask(Ping{}).get(), 2);
    killed.kill();
    EXPECT_TRUE(eventually([&] { return stops.load() == 1; }));
  }  // shutdown stops `kept` and joins its thread
  EXPECT_EQ(stops.load(), 2);
}

TEST(Detached, StoppedOnesAreReapedNotAccumulated) {
  tact::Runtime rt(workers(1));
  (void)rt.spawn<Plain>().ask(Ping{}).get();
  const int before = threads_in_process();
  for (int i = 0; i < 20; ++i) {
    auto legacy = rt.spawn_detached<Legacy>();
    EXPECT_EQ(legacy.ask(Ping{}).get(), 2);
    legacy.tell(Quit{});
    ASSERT_TRUE(eventually([&] { return !legacy.tell(Ping{}); }));
  }
  // Each spawn_detached reaps the stopped ones: at most one idle thread is left over.
  EXPECT_LE(threads_in_process(), before + 2);
  EXPECT_EQ(rt.stats().actors_stopped, 20u);
}

TEST(Detached, ADetachedActorSpawnedFromAHandler) {
  struct Make {};
  struct Maker {
    tact::ActorRef<Legacy> handle(Make, tact::Context<Maker>& ctx) { return ctx.spawn_detached<Legacy>(); }
  };
  tact::Runtime rt(workers(1));
  auto maker = rt.spawn<Maker>();
  auto legacy = maker.ask(Make{}).get();
  EXPECT_EQ(legacy.ask(Ping{}).get(), 2);
}

}  // namespace
