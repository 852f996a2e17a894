// An actor's life, as a user sees it: spawn, on_start, messages, stop (asked for,
// by failure, or by shutdown), dead letters, and refs that outlive everything.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::scaled;
using tact::test::eventually;
using tact::test::Watchdog;
using tact::test::workers;

// A thread-safe log of lifecycle events.
class Journal {
 public:
  void add(std::string event) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  std::size_t count(const std::string& event) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : events_) n += (e == event) ? 1u : 0u;
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
};

struct Ping {};
struct Get {};
struct StopNow {};

// ===== spawn ================================================================================

class Named {
 public:
  Named(std::string name, int start, std::unique_ptr<int> extra)
      : name_(std::move(name)), value_(start + *extra) {}
  std::string handle(Get) const { return name_ + ":" + std::to_string(value_); }

 private:
  std::string name_;
  int value_;
};

TEST(Lifecycle, SpawnForwardsConstructorArgumentsIncludingMoveOnlyOnes) {
  tact::Runtime rt(workers(2));
  auto actor = rt.spawn<Named>(std::string("n"), 40, std::make_unique<int>(2));
  EXPECT_EQ(actor.ask(Get{}).get(), "n:42");
  std::string lvalue = "m";
  auto other = rt.spawn<Named>(lvalue, 1, std::make_unique<int>(1));
  EXPECT_EQ(other.ask(Get{}).get(), "m:2");
  EXPECT_EQ(lvalue, "m");
  EXPECT_EQ(rt.stats().actors_spawned, 2u);
}

// ===== on_start / on_stop ====================================================================

// Hooks without a context.
class Hooked {
 public:
  Hooked(Journal* journal, std::atomic<int>* destroyed) : journal_(journal), destroyed_(destroyed) {}
  ~Hooked() { destroyed_->fetch_add(1); }
  Hooked(const Hooked&) = delete;
  Hooked& operator=(const Hooked&) = delete;
  void on_start() { journal_->add("start"); }
  void on_stop() { journal_->add("stop"); }
  void handle(Ping) { journal_->add("msg"); }
  void handle(StopNow, tact::Context<Hooked>& ctx) {
    journal_->add("msg");
    ctx.stop();
  }

 private:
  Journal* journal_;
  std::atomic<int>* destroyed_;
};

// Hooks with a context: on_start messages itself.
struct Hello {};
class HookedWithContext {
 public:
  explicit HookedWithContext(Journal* journal) : journal_(journal) {}
  void on_start(tact::Context<HookedWithContext>& ctx) {
    journal_->add("start");
    ctx.self().tell(Hello{});
  }
  void on_stop(tact::Context<HookedWithContext>& ctx) {
    (void)ctx.self();  // the context is usable in on_stop
    journal_->add("stop");
  }
  void handle(Hello) { journal_->add("hello"); }
  void handle(Ping) { journal_->add("msg"); }

 private:
  Journal* journal_;
};

TEST(Lifecycle, OnStartRunsOnceBeforeTheFirstMessageAndOnStopOnceAtTheEnd) {
  Journal journal;
  std::atomic<int> destroyed{0};
  {
    tact::Runtime rt(workers(2));
    auto actor = rt.spawn<Hooked>(&journal, &destroyed);
    for (int i = 0; i < 10; ++i) actor.tell(Ping{});  // sent at once: still after on_start
    actor.ask(Ping{}).get();
    rt.shutdown();
    rt.shutdown();  // idempotent: on_stop does not run again
    EXPECT_EQ(destroyed.load(), 1);
  }
  std::vector<std::string> events = journal.events();
  ASSERT_EQ(events.size(), 13u);
  EXPECT_EQ(events.front(), "start");
  EXPECT_EQ(events.back(), "stop");
  EXPECT_EQ(journal.count("start"), 1u);
  EXPECT_EQ(journal.count("stop"), 1u);
  EXPECT_EQ(journal.count("msg"), 11u);
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(Lifecycle, OnStopRunsOnceWhenTheActorStopsItselfNotAgainAtShutdown) {
  Journal journal;
  std::atomic<int> destroyed{0};
  tact::Runtime rt(workers(2));
  auto actor = rt.spawn<Hooked>(&journal, &destroyed);
  actor.ask(StopNow{}).get();
  EXPECT_TRUE(eventually([&] { return destroyed.load() == 1; }));
  rt.shutdown();
  EXPECT_EQ(journal.events(), (std::vector<std::string>{"start", "msg", "stop"}));
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(Lifecycle, HooksTakingTheContextRunOnceAndOnStartMayMessageItself) {
  Journal journal;
  {
    tact::Runtime rt(workers(2));
    auto actor = rt.spawn<HookedWithContext>(&journal);
    actor.tell(Ping{});
    EXPECT_TRUE(eventually([&] { return journal.count("hello") == 1 && journal.count("msg") == 1; }));
  }  // the destructor shuts down
  std::vector<std::string> events = journal.events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events.front(), "start");
  EXPECT_EQ(events.back(), "stop");
}

TEST(Lifecycle, OnStartRunsEvenIfNoMessageEverComes) {
  Journal journal;
  std::atomic<int> destroyed{0};
  tact::Runtime rt(workers(2));
  auto actor = rt.spawn<Hooked>(&journal, &destroyed);
  EXPECT_TRUE(eventually([&] { return journal.count("start") == 1; }));
  rt.shutdown();
  EXPECT_EQ(journal.events(), (std::vector<std::string>{"start", "stop"}));
}

// ===== self and spawn from the context ======================================================

struct Inc {
  int amount;
};
class Counter {
 public:
  int handle(Inc inc) { return count_ += inc.amount; }
  int handle(Get) const { return count_; }

 private:
  int count_ = 0;
};

struct SpawnChild {
  int start;
};
struct WhoAmI {};
class Parent {
 public:
  tact::ActorRef<Counter> handle(SpawnChild msg, tact::Context<Parent>& ctx) {
    auto child = ctx.spawn<Counter>();
    child.tell(Inc{msg.start});
    return child;
  }
  tact::ActorRef<Parent> handle(WhoAmI, tact::Context<Parent>& ctx) { return ctx.self(); }
};

TEST(Lifecycle, SelfIsThisActorsOwnRef) {
  tact::Runtime rt(workers(2));
  auto parent = rt.spawn<Parent>();
  auto self = parent.ask(WhoAmI{}).get();
  EXPECT_TRUE(self == parent);
  EXPECT_EQ(self.hash(), parent.hash());
  EXPECT_FALSE(self == rt.spawn<Parent>());
}

TEST(Lifecycle, ContextSpawnsAnActorInTheSameRuntime) {
  tact::Runtime rt(workers(2));
  auto parent = rt.spawn<Parent>();
  tact::ActorRef<Counter> child = parent.ask(SpawnChild{40}).get();
  EXPECT_EQ(child.ask(Inc{2}).get(), 42);
  EXPECT_EQ(rt.stats().actors_spawned, 2u);
}

// ===== stopping from a handler: dead letters ===============================================

// Blocks in Wait until the test opens its gate, so that mail queues up behind it.
struct Wait {
  const std::atomic<bool>* gate;
};
class Stoppable {
 public:
  void handle(Wait msg) {
    const auto give_up = std::chrono::steady_clock::now() + 30s;  // never hang the suite
    while (!msg.gate->load() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(100us);
    }
  }
  int handle(Ping) { return ++handled_; }
  void handle(StopNow, tact::Context<Stoppable>& ctx) { ctx.stop(); }

 private:
  int handled_ = 0;
};

TEST(Lifecycle, AfterCtxStopLaterMessagesAreCountedDeadLettersAndAsksResolveActorStopped) {
  Watchdog watchdog("ctx.stop dead letters", 60s);
  tact::Runtime rt(workers(2));
  auto actor = rt.spawn<Stoppable>();
  std::atomic<bool> gate{false};
  ASSERT_TRUE(actor.tell(Wait{&gate}));
  tact::Reply<int> before = actor.ask(Ping{});
  ASSERT_TRUE(actor.tell(StopNow{}));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(actor.tell(Ping{}));  // queued: accepted for now
  tact::Reply<int> behind = actor.ask(Ping{});                   // queued behind the stop
  EXPECT_EQ(rt.stats().dead_letters, 0u);
  gate.store(true);

  EXPECT_EQ(before.get(), 1);
  EXPECT_THROW((void)behind.get(), tact::ActorStopped);
  // Rejected in order: by the time the last queued ask resolved, every earlier
  // message was counted. Five tells and one ask.
  EXPECT_EQ(rt.stats().dead_letters, 6u);

  // Once stopped, tell says so and the letter is counted.
  EXPECT_FALSE(actor.tell(Ping{}));
  EXPECT_EQ(rt.stats().dead_letters, 7u);
  EXPECT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  EXPECT_EQ(rt.stats().actors_failed, 0u);
}

TEST(Lifecycle, AnAskToAnAlreadyStoppedActorResolvesActorStopped) {
  tact::Runtime rt(workers(2));
  auto actor = rt.spawn<Stoppable>();
  actor.ask(StopNow{}).get();
  EXPECT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  tact::Reply<int> reply = actor.ask(Ping{});
  EXPECT_TRUE(reply.ready());  // rejected on the spot
  EXPECT_THROW((void)reply.get(), tact::ActorStopped);
  EXPECT_THROW(actor.ask(StopNow{}).get(), tact::ActorStopped);

  bool called = false;
  actor.ask(Ping{}).then([&](tact::Outcome<int> outcome) {
    called = true;
    EXPECT_THROW(outcome.value(), tact::ActorStopped);
  });
  EXPECT_TRUE(called);  // already answered: then() ran inline
  EXPECT_EQ(rt.stats().dead_letters, 3u);
}

// ===== failures ==============================================================================

struct CustomError {
  int code;
};
struct Boom {
  int code;
};
class Fragile {
 public:
  explicit Fragile(std::atomic<int>* stops) : stops_(stops) {}
  int handle(Boom boom) { throw CustomError{boom.code}; }
  void handle(Ping) {}
  int handle(Get) const { return 1; }
  void on_stop() { stops_->fetch_add(1); }

 private:
  std::atomic<int>* stops_;
};

TEST(Lifecycle, AThrowingHandlerFailsTheAskWithHandlerFailedCarryingTheCause) {
  Watchdog watchdog("handler throws", 60s);
  tact::Runtime rt(workers(2));
  std::atomic<int> stops{0};
  auto bystander = rt.spawn<Counter>();
  auto fragile = rt.spawn<Fragile>(&stops);
  bystander.tell(Inc{1});

  tact::Reply<int> failing = fragile.ask(Boom{7});
  tact::Reply<int> queued_behind = fragile.ask(Get{});
  try {
    (void)failing.get();
    ADD_FAILURE() << "get() returned a value";
  } catch (const tact::HandlerFailed& failed) {
    ASSERT_TRUE(failed.cause());
    try {
      failed.rethrow_cause();
    } catch (const CustomError& original) {
      EXPECT_EQ(original.code, 7);
    } catch (...) {
      ADD_FAILURE() << "cause() is not the original exception";
    }
  }
  // The actor stopped: what was queued behind, and anything later, is refused.
  EXPECT_THROW((void)queued_behind.get(), tact::ActorStopped);
  EXPECT_THROW((void)fragile.ask(Get{}).get(), tact::ActorStopped);
  EXPECT_TRUE(eventually([&] { return rt.stats().actors_failed == 1; }));
  EXPECT_EQ(rt.stats().actors_stopped, 1u);
  EXPECT_EQ(stops.load(), 1);  // on_stop ran for the failed actor

  // The runtime and the other actors carry on.
  EXPECT_EQ(bystander.ask(Inc{1}).get(), 2);
  auto fresh = rt.spawn<Counter>();
  EXPECT_EQ(fresh.ask(Inc{3}).get(), 3);
}

TEST(Lifecycle, AThrowingHandlerOfATellStopsTheActorToo) {
  tact::Runtime rt(workers(2));
  std::atomic<int> stops{0};
  auto fragile = rt.spawn<Fragile>(&stops);
  EXPECT_TRUE(fragile.tell(Boom{1}));  // the handler's reply type is int; told, it is dropped
  EXPECT_THROW((void)fragile.ask(Get{}).get(), tact::ActorStopped);
  EXPECT_TRUE(eventually([&] { return rt.stats().actors_failed == 1; }));
}

class FailsToStart {
 public:
  explicit FailsToStart(std::atomic<int>* handled) : handled_(handled) {}
  void on_start() { throw std::runtime_error("cannot start"); }
  int handle(Ping) { return handled_->fetch_add(1) + 1; }

 private:
  std::atomic<int>* handled_;
};

TEST(Lifecycle, AnOnStartThatThrowsStopsTheActorBeforeAnyMessage) {
  tact::Runtime rt(workers(2));
  std::atomic<int> handled{0};
  auto actor = rt.spawn<FailsToStart>(&handled);
  tact::Reply<int> reply = actor.ask(Ping{});
  EXPECT_THROW((void)reply.get(), tact::ActorStopped);
  EXPECT_TRUE(eventually([&] { return rt.stats().actors_failed == 1; }));
  EXPECT_EQ(handled.load(), 0);
  EXPECT_FALSE(actor.tell(Ping{}));
}

class StopsInOnStart {
 public:
  void on_start(tact::Context<StopsInOnStart>& ctx) { ctx.stop(); }
  int handle(Ping) { return 1; }
};

TEST(Lifecycle, OnStartMayStopTheActor) {
  tact::Runtime rt(workers(2));
  auto actor = rt.spawn<StopsInOnStart>();
  EXPECT_THROW((void)actor.ask(Ping{}).get(), tact::ActorStopped);
  EXPECT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  EXPECT_EQ(rt.stats().actors_failed, 0u);
}

// stats().dead_letters counts "messages that reached a stopped actor" (runtime.hpp):
// the ones users sent. The runtime's own start message, still queued when on_start
// throws or stops the actor, must not inflate it.
TEST(Lifecycle, DeadLettersCountOnlyMessagesUsersSent) {
  tact::Runtime rt(workers(2));
  std::atomic<int> handled{0};
  auto failing = rt.spawn<FailsToStart>(&handled);
  EXPECT_THROW((void)failing.ask(Ping{}).get(), tact::ActorStopped);  // one user message
  EXPECT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  EXPECT_EQ(rt.stats().dead_letters, 1u);
  auto stopping = rt.spawn<StopsInOnStart>();
  EXPECT_THROW((void)stopping.ask(Ping{}).get(), tact::ActorStopped);  // one more
  EXPECT_TRUE(eventually([&] { return rt.stats().actors_stopped == 2; }));
  EXPECT_EQ(rt.stats().dead_letters, 2u);
}

class ThrowsInConstructor {
 public:
  explicit ThrowsInConstructor(int code) { throw CustomError{code}; }
  void handle(Ping) {}
};

TEST(Lifecycle, AConstructorsExceptionPropagatesFromSpawn) {
  tact::Runtime rt(workers(2));
  try {
    (void)rt.spawn<ThrowsInConstructor>(3);
    ADD_FAILURE() << "spawn returned";
  } catch (const CustomError& error) {
    EXPECT_EQ(error.code, 3);
  }
  EXPECT_EQ(rt.stats().actors_spawned, 0u);
  auto counter = rt.spawn<Counter>();  // the runtime is unharmed
  EXPECT_EQ(counter.ask(Inc{1}).get(), 1);
}

TEST(Lifecycle, SpawnAfterShutdownThrowsError) {
  tact::Runtime rt(workers(2));
  rt.shutdown();
  EXPECT_THROW((void)rt.spawn<Counter>(), tact::Error);
}

// ===== refs that outlive the runtime ===========================================================

TEST(Lifecycle, RefsThatOutliveTheRuntimeAreSafe) {
  tact::ActorRef<Counter> survivor;
  {
    tact::Runtime rt(workers(2));
    survivor = rt.spawn<Counter>();
    EXPECT_EQ(survivor.ask(Inc{1}).get(), 1);
  }
  EXPECT_FALSE(survivor.tell(Inc{1}));
  EXPECT_THROW((void)survivor.ask(Inc{1}).get(), tact::ActorStopped);
  tact::ActorRef<Counter> copy = survivor;
  survivor.reset();
  EXPECT_FALSE(copy.tell(Inc{1}));
}  // the last ref frees the cell and the runtime's core (ASan checks the leak)

// Cells allocated and freed on the workers take their runtime reference from
// the worker's spare ones (batches of 256): more than a batch spawned there,
// some stopped and freed there, the rest outliving the runtime. Counted short,
// the core would be freed under the survivors (ASan: use after free on their
// tell); counted long, it would leak (LeakSanitizer).
TEST(Lifecycle, RefsToActorsSpawnedOnWorkersOutliveTheRuntime) {
  constexpr int kChildren = 1500;
  std::vector<tact::ActorRef<Counter>> survivors;
  {
    tact::Runtime rt(workers(2));
    std::vector<tact::ActorRef<Parent>> parents{rt.spawn<Parent>(), rt.spawn<Parent>()};
    std::vector<tact::Reply<tact::ActorRef<Counter>>> spawned;
    for (int i = 0; i < kChildren; ++i) {
      spawned.push_back(parents[static_cast<std::size_t>(i % 2)].ask(SpawnChild{i}));
    }
    for (int i = 0; i < kChildren; ++i) {
      auto child = spawned[static_cast<std::size_t>(i)].get();
      if (i % 3 == 0) {
        survivors.push_back(std::move(child));
      } else {
        child.stop();  // freed on a worker once it stops and this ref goes
      }
    }
    ASSERT_TRUE(eventually([&] {
      return rt.stats().actors_stopped == static_cast<std::uint64_t>(kChildren - kChildren / 3);
    }));
  }
  for (auto& survivor : survivors) EXPECT_FALSE(survivor.tell(Inc{1}));
  survivors.clear();  // the last refs free the cells, then the core
}

// ===== shutdown ==============================================================================

class SlowCounter {
 public:
  explicit SlowCounter(std::atomic<int>* handled) : handled_(handled) {}
  void handle(Inc) {
    std::this_thread::sleep_for(200us);
    handled_->fetch_add(1);
  }

 private:
  std::atomic<int>* handled_;
};

TEST(Lifecycle, ShutdownDrainsTellsQueuedBeforeIt) {
  Watchdog watchdog("shutdown drains", 60s);
  std::atomic<int> handled{0};
  tact::Runtime rt(workers(2));
  auto slow = rt.spawn<SlowCounter>(&handled);
  for (int i = 0; i < 50; ++i) slow.tell(Inc{1});
  rt.shutdown();
  EXPECT_EQ(handled.load(), 50);
  EXPECT_EQ(rt.stats().dead_letters, 0u);
}

TEST(Lifecycle, ATellRightBeforeShutdownIsHandled) {
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> handled{0};
    tact::Runtime rt(workers(2));
    auto slow = rt.spawn<SlowCounter>(&handled);
    slow.tell(Inc{1});
    rt.shutdown();
    ASSERT_EQ(handled.load(), 1) << "round " << round;
  }
}

// A ring of actors passing a countdown along: the drain must let it finish.
class RingNode;
struct SetNext {
  tact::ActorRef<RingNode> next;
};
struct Hop {
  int left;
};
class RingNode {
 public:
  explicit RingNode(std::atomic<bool>* finished) : finished_(finished) {}
  void handle(SetNext msg) { next_ = std::move(msg.next); }
  void handle(Hop hop) {
    if (hop.left == 0) {
      finished_->store(true);
    } else {
      next_.tell(Hop{hop.left - 1});
    }
  }

 private:
  std::atomic<bool>* finished_;
  tact::ActorRef<RingNode> next_;
};

TEST(Lifecycle, ShutdownDrainsMessagesActorsKeepSendingEachOther) {
  Watchdog watchdog("shutdown drains a ring", 60s);
  for (int round = 0; round < 10; ++round) {
    std::atomic<bool> finished{false};
    tact::Runtime rt(workers(2));
    std::vector<tact::ActorRef<RingNode>> ring;
    for (int i = 0; i < 4; ++i) ring.push_back(rt.spawn<RingNode>(&finished));
    for (std::size_t i = 0; i < ring.size(); ++i) ring[i].ask(SetNext{ring[(i + 1) % ring.size()]}).get();
    ring[0].tell(Hop{static_cast<int>(scaled(20'000))});
    rt.shutdown();  // the ring needs a few ms; the drain allows 2 s
    ASSERT_TRUE(finished.load()) << "round " << round << ": " << rt.stats().dead_letters
                                 << " dead letters";
    EXPECT_EQ(rt.stats().dead_letters, 0u);
  }
}

TEST(Lifecycle, ABusyPollingRuntimeWorksAndShutsDownPromptly) {
  Watchdog watchdog("busy poll", 60s);
  tact::Config config = workers(2);
  config.busy_poll = true;
  tact::Runtime rt(config);
  auto counter = rt.spawn<Counter>();
  for (int i = 0; i < 100; ++i) counter.tell(Inc{1});
  EXPECT_EQ(counter.ask(Get{}).get(), 100);
  const auto start = std::chrono::steady_clock::now();
  rt.shutdown();
  // The drain sees busy-polling workers as idle: no waiting out shutdown_drain (2 s).
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

// Keeps every Promise it is given and never answers.
struct Keep {
  tact::Promise<int> promise;
};
class Hoarder {
 public:
  void handle(Keep keep) { kept_.push_back(std::move(keep.promise)); }

 private:
  std::vector<tact::Promise<int>> kept_;
};

TEST(Lifecycle, ShutdownBreaksPromisesAnActorNeverAnswered) {
  Watchdog watchdog("broken promises", 60s);
  tact::Runtime rt(workers(2));
  auto hoarder = rt.spawn<Hoarder>();
  std::vector<tact::Reply<int>> replies;
  for (int i = 0; i < 3; ++i) {
    auto [promise, reply] = tact::Promise<int>::make();
    hoarder.tell(Keep{std::move(promise)});
    replies.push_back(std::move(reply));
  }
  rt.shutdown();
  for (auto& reply : replies) {
    EXPECT_TRUE(reply.ready());
    EXPECT_THROW((void)reply.get(), tact::BrokenPromise);
  }
}

TEST(Lifecycle, ADeadLetterIsDestroyedSoAPromiseItCarriesBreaks) {
  tact::Runtime rt(workers(2));
  auto hoarder = rt.spawn<Hoarder>();
  rt.shutdown();
  auto [promise, reply] = tact::Promise<int>::make();
  EXPECT_FALSE(hoarder.tell(Keep{std::move(promise)}));
  EXPECT_TRUE(reply.ready());
  EXPECT_THROW((void)reply.get(), tact::BrokenPromise);
  EXPECT_EQ(rt.stats().dead_letters, 1u);
}

// Asks itself forever, so it never goes quiet: shutdown's drain times out, and
// the ask it queues behind shutdown's Stop must resolve with ActorStopped.
struct Loop {};
class SelfAsker {
 public:
  SelfAsker(std::atomic<int>* values, std::atomic<int>* stopped)
      : values_(values), stopped_(stopped) {}
  void handle(Ping) {}
  void handle(Loop, tact::Context<SelfAsker>& ctx) {
    ctx.self().ask(Loop{}).then([values = values_, stopped = stopped_](tact::Outcome<void> o) {
      if (o.has_value()) {
        values->fetch_add(1);
      } else {
        try {
          o.value();
        } catch (const tact::ActorStopped&) {
          stopped->fetch_add(1);
        } catch (...) {
        }
      }
    });
  }

 private:
  std::atomic<int>* values_;
  std::atomic<int>* stopped_;
};

TEST(Lifecycle, ShutdownResolvesAsksQueuedBehindItsStopWithActorStopped) {
  Watchdog watchdog("asks at shutdown", 60s);
  std::atomic<int> values{0};
  std::atomic<int> stopped{0};
  tact::Config config = workers(2);
  config.shutdown_drain = 20ms;
  tact::Runtime rt(config);
  auto looper = rt.spawn<SelfAsker>(&values, &stopped);
  looper.tell(Loop{});
  EXPECT_TRUE(eventually([&] { return values.load() > 100; }));

  // Meanwhile a plain thread keeps asking; every ask must resolve by the end.
  std::atomic<bool> stop_asking{false};
  std::vector<tact::Reply<void>> external;
  std::thread asker([&] {
    while (!stop_asking.load()) external.push_back(looper.ask(Ping{}));
  });
  std::this_thread::sleep_for(5ms);
  rt.shutdown();
  stop_asking.store(true);
  asker.join();

  EXPECT_EQ(stopped.load(), 1);  // the self-ask chain's last link
  for (auto& reply : external) {
    ASSERT_TRUE(reply.ready());  // nothing left pending after shutdown
    try {
      reply.get();  // handled before the stop: a value
    } catch (const tact::ActorStopped&) {
      // or refused: queued behind the stop, or sent after it
    }
  }
  EXPECT_THROW(looper.ask(Ping{}).get(), tact::ActorStopped);
}

// Actors referring to each other (and to themselves) in a cycle.
class Linked;
struct Link {
  tact::ActorRef<Linked> peer;
};
class Linked {
 public:
  explicit Linked(std::atomic<int>* destroyed) : destroyed_(destroyed) {}
  ~Linked() { destroyed_->fetch_add(1); }
  Linked(const Linked&) = delete;
  Linked& operator=(const Linked&) = delete;
  void handle(Link link, tact::Context<Linked>& ctx) {
    peers_.push_back(std::move(link.peer));
    peers_.push_back(ctx.self());
  }

 private:
  std::atomic<int>* destroyed_;
  std::vector<tact::ActorRef<Linked>> peers_;
};

TEST(Lifecycle, ShutdownStopsActorsHoldingRefsToEachOtherInACycle) {
  Watchdog watchdog("cycle", 60s);
  std::atomic<int> destroyed{0};
  {
    tact::Runtime rt(workers(2));
    auto a = rt.spawn<Linked>(&destroyed);
    auto b = rt.spawn<Linked>(&destroyed);
    auto c = rt.spawn<Linked>(&destroyed);
    a.ask(Link{b}).get();
    b.ask(Link{c}).get();
    c.ask(Link{a}).get();
    rt.shutdown();
    EXPECT_EQ(destroyed.load(), 3);
    EXPECT_EQ(rt.stats().actors_stopped, 3u);
  }
  EXPECT_EQ(destroyed.load(), 3);  // and ASan sees no leaked cell
}

TEST(Lifecycle, TheDestructorShutsDown) {
  std::atomic<int> handled{0};
  Journal journal;
  std::atomic<int> destroyed{0};
  {
    tact::Runtime rt(workers(2));
    auto slow = rt.spawn<SlowCounter>(&handled);
    auto hooked = rt.spawn<Hooked>(&journal, &destroyed);
    for (int i = 0; i < 20; ++i) slow.tell(Inc{1});
  }
  EXPECT_EQ(handled.load(), 20);
  EXPECT_EQ(destroyed.load(), 1);
  EXPECT_EQ(journal.count("stop"), 1u);
}

TEST(Lifecycle, ShutdownIsIdempotent) {
  tact::Runtime rt(workers(2));
  auto counter = rt.spawn<Counter>();
  counter.tell(Inc{1});
  rt.shutdown();
  rt.shutdown();
  EXPECT_EQ(rt.stats().actors_stopped, 1u);
  EXPECT_FALSE(counter.tell(Inc{1}));
}  // and the destructor a third time

struct ShutDownFromHere {};
class ShutsDownItsRuntime {
 public:
  explicit ShutsDownItsRuntime(tact::Runtime* rt) : rt_(rt) {}
  bool handle(ShutDownFromHere) {
    try {
      rt_->shutdown();
    } catch (const tact::WouldBlockWorker&) {
      return true;
    }
    return false;
  }

 private:
  tact::Runtime* rt_;
};

TEST(Lifecycle, ShutdownFromAWorkerThreadThrowsWouldBlockWorker) {
  Watchdog watchdog("shutdown from worker", 60s);
  tact::Runtime rt(workers(1));
  auto actor = rt.spawn<ShutsDownItsRuntime>(&rt);
  EXPECT_TRUE(actor.ask(ShutDownFromHere{}).get());
  auto counter = rt.spawn<Counter>();  // still running
  EXPECT_EQ(counter.ask(Inc{1}).get(), 1);
}

// A spawn from a plain thread that passed the "accepting spawns" check just before
// shutdown() began must end refused (tact::Error) or with an actor that is stopped
// (its asks resolve) -- never with a live actor on a runtime whose workers are gone.
// A regression test: shutdown() once finished as soon as live_count() was 0, while
// a spawn in flight (past the accepting_spawns() check, its constructor still
// running) registered its cell afterwards; nothing stopped it, its asks went to the
// injector of a stopped scheduler and never resolved, and the registry's reference
// leaked the cell and the runtime core (ASan).
class SlowToBuild {
 public:
  explicit SlowToBuild(std::atomic<bool>* entered) {
    entered->store(true);
    std::this_thread::sleep_for(300ms);  // shutdown() runs meanwhile
  }
  int handle(Ping) { return 1; }
};

TEST(Lifecycle, ASpawnRacingShutdownIsRefusedOrEndsStopped) {
  Watchdog watchdog("spawn racing shutdown", 60s);
  tact::Runtime rt(workers(2));
  std::atomic<bool> entered{false};
  tact::ActorRef<SlowToBuild> ref;
  bool refused = false;
  std::thread spawner([&] {
    try {
      ref = rt.spawn<SlowToBuild>(&entered);
    } catch (const tact::Error&) {
      refused = true;
    }
  });
  while (!entered.load()) std::this_thread::yield();
  rt.shutdown();
  spawner.join();
  if (refused) return;
  tact::Reply<int> reply = ref.ask(Ping{});
  try {
    EXPECT_EQ(reply.get_for(5s), 1);
  } catch (const tact::ActorStopped&) {
    // fine: stopped by the shutdown
  } catch (const tact::Timeout&) {
    ADD_FAILURE() << "an actor spawned during shutdown is live on a stopped runtime: its ask "
                     "never resolves";
  }
  EXPECT_EQ(rt.stats().actors_stopped, rt.stats().actors_spawned);
}

// ===== one thread at a time ==================================================================

struct Touch {};
class Exclusive {
 public:
  explicit Exclusive(std::atomic<int>* overlaps) : overlaps_(overlaps) {}
  void handle(Touch) {
    if (inside_.exchange(true)) overlaps_->fetch_add(1);
    ++plain_;  // a plain counter: TSan reports two threads touching it unsynchronized
    for (int i = 0; i < 20; ++i) spin_ = spin_ + 1;
    inside_.store(false);
  }
  long handle(Get) const { return plain_; }

 private:
  std::atomic<int>* overlaps_;
  std::atomic<bool> inside_{false};
  long plain_ = 0;
  volatile int spin_ = 0;
};

struct Flood {
  tact::ActorRef<Exclusive> target;
  long count;
};
class Flooder {
 public:
  void handle(Flood flood) {
    for (long i = 0; i < flood.count; ++i) flood.target.tell(Touch{});
  }
};

TEST(Lifecycle, AnActorNeverRunsOnTwoThreadsAtOnce) {
  Watchdog watchdog("exclusive", 120s);
  tact::Config config = workers(4);  // more workers than cores: preemption mid-handler
  config.budget = 4;                 // frequent yields, more hand-overs between workers
  tact::Runtime rt(config);
  std::atomic<int> overlaps{0};
  auto target = rt.spawn<Exclusive>(&overlaps);
  const long per_sender = scaled(20'000);
  constexpr int kThreads = 3;
  constexpr int kActors = 3;
  std::vector<tact::Reply<void>> floods;
  for (int a = 0; a < kActors; ++a) {
    floods.push_back(rt.spawn<Flooder>().ask(Flood{target, per_sender}));
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (long i = 0; i < per_sender; ++i) target.tell(Touch{});
    });
  }
  for (auto& t : threads) t.join();
  for (auto& f : floods) f.get();
  EXPECT_EQ(target.ask(Get{}).get(), (kThreads + kActors) * per_sender);
  EXPECT_EQ(overlaps.load(), 0);
}

}  // namespace
