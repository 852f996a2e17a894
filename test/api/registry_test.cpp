// The registry: names for actors, typed lookup, names gone when the actor stops.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
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

class Counter {
 public:
  explicit Counter(int id = 0) : id_(id) {}
  int handle(Get) const { return id_; }
  void handle(StopNow, tact::Context<Counter>& ctx) { ctx.stop(); }
  void handle(Fail) { throw std::runtime_error("fail"); }

 private:
  int id_;
};

class Other {
 public:
  int handle(Get) const { return -1; }
};

TEST(Registry, LookupFindsTheRegisteredActor) {
  tact::Runtime rt(workers(2));
  auto counter = rt.spawn<Counter>(7);
  EXPECT_TRUE(rt.register_name("counter", counter));
  std::optional<tact::ActorRef<Counter>> found = rt.lookup<Counter>("counter");
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(*found == counter);
  EXPECT_EQ(found->ask(Get{}).get(), 7);
  EXPECT_FALSE(rt.lookup<Counter>("nobody").has_value());
}

TEST(Registry, ATakenNameIsRefused) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Counter>(1);
  auto b = rt.spawn<Counter>(2);
  EXPECT_TRUE(rt.register_name("n", a));
  EXPECT_FALSE(rt.register_name("n", b));
  EXPECT_FALSE(rt.register_name("n", a));
  EXPECT_EQ(rt.lookup<Counter>("n")->ask(Get{}).get(), 1);
  EXPECT_TRUE(rt.register_name("m", a));  // an actor may have several names
  EXPECT_EQ(rt.lookup<Counter>("m")->ask(Get{}).get(), 1);
}

TEST(Registry, LookupOfAnotherClassIsEmpty) {
  tact::Runtime rt(workers(2));
  auto other = rt.spawn<Other>();
  ASSERT_TRUE(rt.register_name("x", other));
  EXPECT_FALSE(rt.lookup<Counter>("x").has_value());
  EXPECT_TRUE(rt.lookup<Other>("x").has_value());
}

TEST(Registry, UnregisterFreesTheName) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Counter>(1);
  auto b = rt.spawn<Counter>(2);
  ASSERT_TRUE(rt.register_name("n", a));
  EXPECT_TRUE(rt.unregister_name("n"));
  EXPECT_FALSE(rt.unregister_name("n"));
  EXPECT_FALSE(rt.lookup<Counter>("n").has_value());
  EXPECT_TRUE(rt.register_name("n", b));
  EXPECT_EQ(rt.lookup<Counter>("n")->ask(Get{}).get(), 2);
}

TEST(Registry, NamesGoWhenTheActorStopsAndMayBeTakenAgain) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Counter>(1);
  ASSERT_TRUE(rt.register_name("n", a));
  ASSERT_TRUE(rt.register_name("n2", a));
  a.ask(StopNow{}).get();
  EXPECT_TRUE(eventually([&] { return !rt.lookup<Counter>("n") && !rt.lookup<Counter>("n2"); }));
  auto b = rt.spawn<Counter>(2);
  EXPECT_TRUE(rt.register_name("n", b));
  EXPECT_EQ(rt.lookup<Counter>("n")->ask(Get{}).get(), 2);
}

TEST(Registry, NamesGoWhenTheActorFails) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Counter>(1);
  ASSERT_TRUE(rt.register_name("n", a));
  a.tell(Fail{});
  EXPECT_TRUE(eventually([&] { return !rt.lookup<Counter>("n"); }));
}

TEST(Registry, AStoppedActorCannotBeNamed) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Counter>(1);
  a.ask(StopNow{}).get();
  EXPECT_TRUE(eventually([&] { return !a.tell(Get{}); }));  // stopped: a dead letter
  EXPECT_FALSE(rt.register_name("n", a));
  EXPECT_FALSE(rt.lookup<Counter>("n").has_value());
  EXPECT_THROW((void)rt.register_name("e", tact::ActorRef<Counter>()), tact::Error);
}

TEST(Registry, ShutdownRemovesEveryName) {
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Counter>(1);
  ASSERT_TRUE(rt.register_name("n", a));
  rt.shutdown();
  EXPECT_FALSE(rt.lookup<Counter>("n").has_value());
}

// From inside: an actor names itself and finds another by name.
struct NameYourself {
  std::string name;
};
struct Find {
  std::string name;
};
class Namer {
 public:
  bool handle(NameYourself msg, tact::Context<Namer>& ctx) { return ctx.register_name(msg.name); }
  int handle(Find msg, tact::Context<Namer>& ctx) {
    auto found = ctx.lookup<Counter>(msg.name);
    return found ? 1 : 0;
  }
  bool handle(Get, tact::Context<Namer>& ctx) { return ctx.unregister_name("me"); }
};

TEST(Registry, ActorsUseTheRegistryThroughTheirContext) {
  tact::Runtime rt(workers(2));
  auto namer = rt.spawn<Namer>();
  auto counter = rt.spawn<Counter>(3);
  ASSERT_TRUE(rt.register_name("counter", counter));
  EXPECT_TRUE(namer.ask(NameYourself{"me"}).get());
  EXPECT_FALSE(namer.ask(NameYourself{"counter"}).get());
  EXPECT_TRUE(rt.lookup<Namer>("me").has_value());
  EXPECT_EQ(namer.ask(Find{"counter"}).get(), 1);
  EXPECT_EQ(namer.ask(Find{"me"}).get(), 0);  // a Namer, not a Counter
  EXPECT_TRUE(namer.ask(Get{}).get());
  EXPECT_FALSE(rt.lookup<Namer>("me").has_value());
}

// Threads register, look up and stop actors under a few shared names at once.
// Invariants: a lookup finds a live-at-the-time actor of the right class (its
// ask answers its id, or ActorStopped if it stopped since); once every actor
// has stopped, no name is left.
TEST(RegistryRace, RegisterLookupAndStopRaceWithoutLosingTheInvariants) {
  Watchdog watchdog("registry race", 120s);
  tact::Runtime rt(workers(2));
  constexpr int kThreads = 4;
  const int rounds = static_cast<int>(scaled(2000));
  std::atomic<long> found{0};
  std::atomic<long> registered{0};
  std::atomic<long> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        const int id = t * 1'000'000 + i;
        auto actor = rt.spawn<Counter>(id);
        const std::string name = "name" + std::to_string(i % 3);
        if (rt.register_name(name, actor)) registered.fetch_add(1);
        if (auto other = rt.lookup<Counter>("name" + std::to_string((i + t) % 3))) {
          found.fetch_add(1);
          try {
            if (other->ask(Get{}).get() < 0) wrong.fetch_add(1);
          } catch (const tact::ActorStopped&) {
          }
        }
        if (i % 2 == 0) {
          actor.tell(StopNow{});
        } else {
          actor.tell(Fail{});
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(registered.load(), 0);
  EXPECT_TRUE(eventually([&] {
    return !rt.lookup<Counter>("name0") && !rt.lookup<Counter>("name1") &&
           !rt.lookup<Counter>("name2");
  }));
  rt.shutdown();
}

}  // namespace
