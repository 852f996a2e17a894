// rt.on_shutdown: hooks run once when shutdown() begins, newest first, while
// the actors still run; a removed hook never runs; removing a running hook
// waits for it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "support/watchdog.hpp"
#include "tact/tact.hpp"

namespace {

using namespace std::chrono_literals;

struct Ping {};
class Echo {
 public:
  int handle(Ping) { return 7; }
};

tact::Config two_workers() {
  tact::Config config;
  config.workers = 2;
  return config;
}

TEST(ShutdownHook, RunsOnceNewestFirstWhileActorsStillRun) {
  tact::Runtime rt(two_workers());
  auto echo = rt.spawn<Echo>();
  std::vector<int> order;
  int answered = 0;
  tact::ShutdownHook first = rt.on_shutdown([&] { order.push_back(1); });
  tact::ShutdownHook second = rt.on_shutdown([&] {
    order.push_back(2);
    answered = echo.ask(Ping{}).get();  // the actors are not stopped yet
  });
  rt.shutdown();
  rt.shutdown();  // idempotent: the hooks do not run again
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
  EXPECT_EQ(answered, 7);
}

TEST(ShutdownHook, ARemovedHookNeverRuns) {
  tact::Runtime rt(two_workers());
  int runs = 0;
  tact::ShutdownHook kept = rt.on_shutdown([&] { ++runs; });
  {
    tact::ShutdownHook dropped = rt.on_shutdown([&] { runs += 100; });
  }
  tact::ShutdownHook reset = rt.on_shutdown([&] { runs += 1000; });
  reset.reset();
  EXPECT_FALSE(reset);
  tact::ShutdownHook moved_to = std::move(kept);
  rt.shutdown();
  EXPECT_EQ(runs, 1);
}

TEST(ShutdownHook, AfterShutdownRegisteringThrows) {
  tact::Runtime rt(two_workers());
  rt.shutdown();
  EXPECT_THROW((void)rt.on_shutdown([] {}), tact::Error);
}

TEST(ShutdownHook, RemovingARunningHookWaitsForIt) {
  tact::test::Watchdog dog("RemovingARunningHook", 30s);
  tact::Runtime rt(two_workers());
  std::atomic<bool> entered{false}, finished{false};
  auto hook = std::make_unique<tact::ShutdownHook>(rt.on_shutdown([&] {
    entered = true;
    std::this_thread::sleep_for(100ms);
    finished = true;
  }));
  std::thread stopper([&] { rt.shutdown(); });
  while (!entered) std::this_thread::sleep_for(1ms);
  hook.reset();  // waits until the hook has returned
  EXPECT_TRUE(finished);
  stopper.join();
}

TEST(ShutdownHook, AHandleMayOutliveItsRuntime) {
  tact::ShutdownHook hook;
  {
    tact::Runtime rt(two_workers());
    hook = rt.on_shutdown([] {});
  }
  hook.reset();  // the core is still alive: the handle holds it
  SUCCEED();
}

}  // namespace
