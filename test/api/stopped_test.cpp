// ref.stopped(): a Reply<Down> that resolves once the actor has stopped, from a
// plain thread or a coroutine handler, on local and proxy refs.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include <tact/detail/proxy.hpp>
#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::Watchdog;
using tact::test::workers;

struct Ping {};
struct StopNow {};
struct Fail {};

class Target {
 public:
  int handle(Ping) const { return 1; }
  void handle(StopNow, tact::Context<Target>& ctx) { ctx.stop(); }
  void handle(Fail) { throw std::runtime_error("target failed"); }
};

TEST(Stopped, ResolvesFromAPlainThreadWhenTheActorStops) {
  Watchdog watchdog("Stopped.ResolvesFromAPlainThreadWhenTheActorStops", std::chrono::seconds(30));
  tact::Runtime rt(workers(2));
  auto target = rt.spawn<Target>();
  tact::Reply<tact::Down> stopped = target.stopped();
  EXPECT_EQ(target.ask(Ping{}).get(), 1);
  EXPECT_FALSE(stopped.ready());  // still running
  target.stop();
  tact::Down down = stopped.get();
  EXPECT_TRUE(down.who == target);
  EXPECT_EQ(down.reason, tact::ExitReason::normal);
  EXPECT_FALSE(down.error);
}

TEST(Stopped, OnAStoppedActorResolvesAtOnce) {
  tact::Runtime rt(workers(1));
  auto target = rt.spawn<Target>();
  target.kill();
  EXPECT_EQ(target.stopped().get().reason, tact::ExitReason::killed);
  auto again = target.stopped();  // after the stop: answered inside stopped()
  EXPECT_TRUE(again.ready());
  EXPECT_EQ(again.get().reason, tact::ExitReason::killed);
}

TEST(Stopped, AFailureCarriesTheException) {
  tact::Runtime rt(workers(2));
  auto target = rt.spawn<Target>();
  auto stopped = target.stopped();
  target.tell(Fail{});
  tact::Down down = stopped.get_for(10s);
  EXPECT_EQ(down.reason, tact::ExitReason::failed);
  ASSERT_TRUE(down.error);
  EXPECT_THROW(std::rethrow_exception(down.error), std::runtime_error);
}

TEST(Stopped, ShutdownResolvesEveryPendingWait) {
  tact::Runtime rt(workers(2));
  auto target = rt.spawn<Target>();
  auto stopped = target.stopped();
  rt.shutdown();
  ASSERT_TRUE(stopped.ready());
  EXPECT_EQ(stopped.get().reason, tact::ExitReason::shutdown);
}

TEST(Stopped, ThenRunsOnceWithTheReason) {
  tact::Runtime rt(workers(2));
  auto target = rt.spawn<Target>();
  std::atomic<int> calls{0};
  std::atomic<int> reason{-1};
  target.stopped().then([&](tact::Outcome<tact::Down> outcome) {
    reason.store(static_cast<int>(outcome.value().reason));
    calls.fetch_add(1);
  });
  target.ask(StopNow{}).get();
  ASSERT_TRUE(tact::test::eventually([&] { return calls.load() == 1; }));
  EXPECT_EQ(reason.load(), static_cast<int>(tact::ExitReason::normal));
}

// An actor awaits another's stop in a coroutine handler.
struct AwaitStop {
  tact::ActorRef<Target> target;
};
class Waiter {
 public:
  tact::Task<tact::ExitReason> handle(AwaitStop msg) {
    tact::Down down = co_await msg.target.stopped();
    co_return down.reason;
  }
};

TEST(Stopped, CoAwaitedInACoroutineHandler) {
  Watchdog watchdog("Stopped.CoAwaitedInACoroutineHandler", std::chrono::seconds(30));
  tact::Runtime rt(workers(2));
  auto target = rt.spawn<Target>();
  auto waiter = rt.spawn<Waiter>();
  auto reason = waiter.ask(AwaitStop{target});
  std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(reason.ready());
  target.tell(Fail{});
  EXPECT_EQ(reason.get_for(10s), tact::ExitReason::failed);
}

// A supervised child restarted in place has not stopped.
class Flaky {
 public:
  int handle(Ping) const { return 2; }
  void handle(Fail) { throw std::runtime_error("flaky"); }
};
TEST(Stopped, ARestartIsNotAStop) {
  tact::Runtime rt(workers(2));
  auto parent = rt.spawn<tact::Supervisor>(tact::SupervisorSpec{});
  tact::ActorRef<Flaky> child = parent.ask(tact::StartChild{[] { return Flaky(); }}).get();
  auto stopped = child.stopped();
  child.tell(Fail{});
  EXPECT_EQ(child.ask(Ping{}).get_for(10s), 2);  // restarted: answering again
  EXPECT_FALSE(stopped.ready());
  parent.stop();  // the supervisor's stop stops its child for good
  EXPECT_EQ(stopped.get_for(10s).reason, tact::ExitReason::shutdown);
}

// The race: stopped() called while the actor stops on another thread. Every
// call resolves exactly once, with the one reason.
TEST(Stopped, RacesWithTheStopResolveEveryCallOnce) {
  Watchdog watchdog("Stopped.RacesWithTheStopResolveEveryCallOnce", std::chrono::seconds(90));
  tact::Runtime rt(workers(2));
  constexpr int kRounds = 300;
  constexpr int kWaitsPerRound = 8;
  std::atomic<int> resolved{0};
  std::atomic<int> wrong{0};
  for (int round = 0; round < kRounds; ++round) {
    auto target = rt.spawn<Target>();
    std::atomic<bool> go{false};
    std::vector<tact::Reply<tact::Down>> blocking;
    std::thread waiter([&] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kWaitsPerRound; ++i) {
        if (i % 2 == 0) {
          blocking.push_back(target.stopped());
        } else {
          target.stopped().then([&](tact::Outcome<tact::Down> outcome) {
            if (outcome.value().reason != tact::ExitReason::killed) wrong.fetch_add(1);
            resolved.fetch_add(1);
          });
        }
      }
    });
    go.store(true);
    if (round % 2 == 0) {
      target.kill();
    } else {
      std::this_thread::yield();
      target.kill();
    }
    waiter.join();
    for (auto& reply : blocking) {
      if (reply.get().reason != tact::ExitReason::killed) wrong.fetch_add(1);
      resolved.fetch_add(1);
    }
  }
  ASSERT_TRUE(tact::test::eventually([&] { return resolved.load() == kRounds * kWaitsPerRound; }));
  EXPECT_EQ(wrong.load(), 0);
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(resolved.load(), kRounds * kWaitsPerRound);  // and never twice
}

// A proxy (what tact::nats hands out for a remote actor) resolves when its
// owner reports the stop, and is asked to watch the actor it stands for.
struct TestProxy final : tact::detail::ProxyObject {
  TestProxy() noexcept : ProxyObject(&forward, &on_watched) {}
  static bool forward(ProxyObject*, tact::detail::CellBase* cell, tact::detail::Envelope* e) noexcept {
    tact::detail::proxy_reject(cell, e);
    return false;
  }
  static void on_watched(ProxyObject* self, tact::detail::CellBase*) noexcept {
    static_cast<TestProxy*>(self)->watched.fetch_add(1);
  }
  std::atomic<int> watched{0};
};
const tact::detail::ActorVTable kTestProxyVTable{
    [](void* object) noexcept { static_cast<TestProxy*>(object)->~TestProxy(); },
    nullptr, nullptr, sizeof(TestProxy), alignof(TestProxy), 0, "TestProxy"};

TEST(Stopped, OnAProxyResolvesByItsWatchPath) {
  tact::Runtime rt(workers(1));
  tact::detail::CellBase* cell =
      tact::detail::cell_allocate(tact::detail::RuntimeAccess::core(rt), &kTestProxyVTable);
  auto* proxy = ::new (tact::detail::cell_object(cell)) TestProxy();
  auto ref = tact::detail::RefAccess<Target>::adopt(tact::detail::proxy_activate(cell));
  auto stopped = ref.stopped();
  EXPECT_EQ(proxy->watched.load(), 1);
  EXPECT_FALSE(stopped.ready());
  tact::detail::proxy_stop(cell, tact::ExitReason::failed, std::make_exception_ptr(std::runtime_error("remote")));
  ASSERT_TRUE(stopped.ready());
  tact::Down down = stopped.get();
  EXPECT_EQ(down.reason, tact::ExitReason::failed);
  EXPECT_TRUE(down.who == ref);
  EXPECT_THROW(std::rethrow_exception(down.error), std::runtime_error);
}

TEST(Stopped, AProxyDroppedWithoutAStopAnswersActorStopped) {
  tact::Runtime rt(workers(1));
  tact::detail::CellBase* cell =
      tact::detail::cell_allocate(tact::detail::RuntimeAccess::core(rt), &kTestProxyVTable);
  ::new (tact::detail::cell_object(cell)) TestProxy();
  auto ref = tact::detail::RefAccess<Target>::adopt(tact::detail::proxy_activate(cell));
  auto stopped = ref.stopped();
  ref.reset();  // the last reference: the proxy goes, never told of a stop
  ASSERT_TRUE(stopped.ready());
  EXPECT_THROW(stopped.get(), tact::ActorStopped);
}

TEST(Stopped, OnAnEmptyRefThrows) {
  tact::ActorRef<Target> empty;
  EXPECT_THROW((void)empty.stopped(), tact::Error);
}

}  // namespace
