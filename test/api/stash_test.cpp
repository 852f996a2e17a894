// The stash (ctx.stash / ctx.unstash_all, src/actor/stash.hpp): messages set
// aside and put back in front of the queued mail, asks kept pending, and the
// corner cases docs/guide.md ("Stash") promises: stop, failure and restart, a
// mailbox bound, the stash limit, coroutines, mail racing an unstash.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::eventually;
using tact::test::Watchdog;
using tact::test::workers;

struct Item {
  int sender;
  int seq;
};
struct Query {
  int id;
};
struct Open {};
struct Close {};
struct Seen {};
struct Fail {};

// What an actor handled, in order (read from the test thread).
struct Log {
  std::mutex mutex;
  std::vector<Item> items;
  std::vector<std::string> notes;
  void add(Item item) {
    std::lock_guard<std::mutex> lock(mutex);
    items.push_back(item);
  }
  void note(std::string text) {
    std::lock_guard<std::mutex> lock(mutex);
    notes.push_back(std::move(text));
  }
  std::vector<Item> snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    return items;
  }
  std::vector<std::string> notes_snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    return notes;
  }
};

// Stashes Items and Queries until opened (the protocol-with-states shape:
// examples/stash.cpp shows it with become).
class Gatekeeper {
 public:
  explicit Gatekeeper(Log* log) : log_(log) {}
  void handle(Item item, tact::Context<Gatekeeper>& ctx) {
    if (!open_) return ctx.stash(std::move(item));
    log_->add(item);
  }
  int handle(Query q, tact::Context<Gatekeeper>& ctx) {
    if (!open_) {
      ctx.stash(std::move(q));
      return -1;  // answers nobody: the ask stays pending
    }
    return q.id * 10;
  }
  std::size_t handle(Open, tact::Context<Gatekeeper>& ctx) {
    open_ = true;
    const std::size_t stashed = ctx.stashed();
    ctx.unstash_all();
    return stashed;
  }
  void handle(Close) { open_ = false; }
  std::size_t handle(Seen) { return log_->snapshot().size(); }
  void handle(Fail) { throw std::runtime_error("gatekeeper failed"); }

 private:
  Log* log_;
  bool open_ = false;
};

TEST(Stash, StashedTellsComeBackInOrderBeforeLaterMail) {
  Watchdog dog("stash order", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto g = rt.spawn<Gatekeeper>(&log);
  for (int i = 0; i < 5; ++i) g.tell(Item{0, i});
  EXPECT_EQ(g.ask(Seen{}).get(), 0u);  // all five stashed, none handled
  EXPECT_EQ(g.ask(Open{}).get(), 5u);  // unstashed: handled before Item{0, 5} below
  g.tell(Item{0, 5});
  EXPECT_EQ(g.ask(Seen{}).get(), 6u);
  std::vector<Item> items = log.snapshot();
  ASSERT_EQ(items.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(items[static_cast<std::size_t>(i)].seq, i);
  rt.shutdown();
  EXPECT_EQ(rt.stats().dead_letters, 0u);
}

TEST(Stash, UnstashedMailOvertakesMailQueuedBeforeTheUnstash) {
  // Mail already queued behind the Open (sent before it was handled) comes after
  // the stashed ones: unstash_all puts them in front of the mailbox.
  Watchdog dog("stash in front", 30s);
  Log log;
  tact::Runtime rt(workers(1));
  auto g = rt.spawn<Gatekeeper>(&log);
  for (int i = 0; i < 3; ++i) g.tell(Item{0, i});
  g.tell(Open{});
  for (int i = 3; i < 6; ++i) g.tell(Item{1, i});  // queued behind Open: not stashed
  EXPECT_EQ(g.ask(Seen{}).get(), 6u);
  std::vector<Item> items = log.snapshot();
  ASSERT_EQ(items.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(items[static_cast<std::size_t>(i)].seq, i);
}

TEST(Stash, AStashedAskStaysPendingAndIsAnsweredWhenReplayed) {
  Watchdog dog("stash ask", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto g = rt.spawn<Gatekeeper>(&log);
  tact::Reply<int> r1 = g.ask(Query{1});
  tact::Reply<int> r2 = g.ask(Query{2});
  EXPECT_EQ(g.ask(Seen{}).get(), 0u);
  EXPECT_FALSE(r1.ready());  // not answered with the -1 the handler returned
  EXPECT_FALSE(r2.try_get().has_value());
  EXPECT_EQ(g.ask(Open{}).get(), 2u);
  EXPECT_EQ(r1.get(), 10);
  EXPECT_EQ(r2.get(), 20);
}

TEST(Stash, OnStopStashedAsksResolveActorStoppedAndTellsAreDeadLetters) {
  Watchdog dog("stash stop", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto g = rt.spawn<Gatekeeper>(&log);
  tact::Reply<int> r = g.ask(Query{7});
  g.tell(Item{0, 0});
  g.tell(Item{0, 1});
  EXPECT_EQ(g.ask(Seen{}).get(), 0u);
  const std::uint64_t dead_before = rt.stats().dead_letters;
  tact::Reply<tact::Down> stopped = g.stopped();
  g.stop();
  EXPECT_THROW(r.get(), tact::ActorStopped);
  (void)stopped.get();
  EXPECT_TRUE(eventually([&] { return rt.stats().dead_letters >= dead_before + 3; }));
  EXPECT_EQ(rt.stats().dead_letters, dead_before + 3);  // two tells and the ask
  EXPECT_TRUE(log.snapshot().empty());
}

TEST(Stash, AFailureStopsWithTheStashRejected) {
  Watchdog dog("stash failure", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto g = rt.spawn<Gatekeeper>(&log);
  tact::Reply<int> r = g.ask(Query{3});
  EXPECT_THROW(g.ask(Fail{}).get(), tact::HandlerFailed);
  EXPECT_THROW(r.get(), tact::ActorStopped);
}

TEST(Stash, ARestartedChildGetsTheStashReplayedAfterOnStart) {
  Watchdog dog("stash restart", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto sup = rt.spawn<tact::Supervisor>(
      tact::SupervisorSpec{.strategy = tact::Restart::one_for_one, .max_restarts = 5});
  tact::ActorRef<Gatekeeper> g =
      sup.ask(tact::StartChild{[&log] { return Gatekeeper(&log); }}).get();
  tact::Reply<int> r = g.ask(Query{4});
  g.tell(Item{0, 0});
  g.tell(Item{0, 1});
  EXPECT_EQ(g.ask(Seen{}).get(), 0u);
  EXPECT_THROW(g.ask(Fail{}).get(), tact::HandlerFailed);
  // The new object starts closed: the replay hands it the three, it stashes them again.
  EXPECT_EQ(g.ask(Seen{}).get(), 0u);
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(g.ask(Open{}).get(), 3u);
  EXPECT_EQ(r.get(), 40);
  // The Query came first in the replay: its answer can come before the Items
  // are handled. A mailbox message is handled after the whole replay.
  EXPECT_EQ(g.ask(Seen{}).get(), 2u);
  std::vector<Item> items = log.snapshot();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].seq, 0);
  EXPECT_EQ(items[1].seq, 1);
}

class Bounded {
 public:
  static constexpr std::uint32_t mailbox_bound = 2;
  explicit Bounded(Log* log) : log_(log) {}
  void handle(Item item, tact::Context<Bounded>& ctx) {
    if (!open_) return ctx.stash(std::move(item));
    log_->add(item);
  }
  void handle(Open, tact::Context<Bounded>& ctx) {
    open_ = true;
    ctx.unstash_all();
  }
  std::size_t handle(Seen, tact::Context<Bounded>& ctx) { return ctx.stashed(); }

 private:
  Log* log_;
  bool open_ = false;
};

TEST(Stash, AStashedMessageNoLongerCountsAgainstTheMailboxBound) {
  Watchdog dog("stash bound", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto b = rt.spawn<Bounded>(&log);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(b.tell(Item{0, i})) << i;  // a bound of 2: room again once stashed
    ASSERT_TRUE(eventually([&] { return b.ask(Seen{}).get() == static_cast<std::size_t>(i + 1); }));
  }
  EXPECT_EQ(rt.stats().messages_refused, 0u);
  b.tell(Open{});
  EXPECT_TRUE(eventually([&] { return log.snapshot().size() == 10u; }));
}

class Small {
 public:
  static constexpr std::size_t stash_capacity = 3;
  explicit Small(Log* log) : log_(log) {}
  void handle(Item item, tact::Context<Small>& ctx) {
    try {
      ctx.stash(std::move(item));
    } catch (const tact::StashFull&) {
      log_->add(item);  // not moved from: StashFull comes before the message is taken
    }
  }
  int handle(Query q, tact::Context<Small>& ctx) {
    ctx.stash(std::move(q));  // uncaught StashFull: the handler fails
    return 0;
  }
  std::size_t handle(Seen, tact::Context<Small>& ctx) { return ctx.stashed(); }

 private:
  Log* log_;
};

TEST(Stash, PastTheCapacityStashThrowsStashFullAndKeepsTheMessage) {
  Watchdog dog("stash full", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto s = rt.spawn<Small>(&log);
  for (int i = 0; i < 5; ++i) s.tell(Item{0, i});
  EXPECT_EQ(s.ask(Seen{}).get(), 3u);
  std::vector<Item> items = log.snapshot();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].seq, 3);
  EXPECT_EQ(items[1].seq, 4);
  // Uncaught, it fails the actor as any exception: the ask sees HandlerFailed(StashFull).
  try {
    (void)s.ask(Query{1}).get();
    FAIL() << "expected HandlerFailed";
  } catch (const tact::HandlerFailed& failed) {
    EXPECT_THROW(failed.rethrow_cause(), tact::StashFull);
  }
}

struct Misuse {};
struct Twice {};
struct Other {};

class Misuser {
 public:
  explicit Misuser(Log* log) : log_(log) {}
  void handle(Item) {}
  void on_start(tact::Context<Misuser>& ctx) {
    try {
      ctx.stash(Item{0, 0});
    } catch (const tact::Error& e) {
      log_->note(std::string("on_start: ") + e.what());
    }
  }
  void handle(Twice t, tact::Context<Misuser>& ctx) {
    ctx.stash(std::move(t));
    try {
      ctx.stash(Twice{});
    } catch (const tact::Error& e) {
      log_->note(std::string("twice: ") + e.what());
    }
  }
  void handle(Other, tact::Context<Misuser>& ctx) {
    try {
      ctx.stash(Item{0, 1});  // not the message being handled
    } catch (const tact::Error& e) {
      log_->note(std::string("other: ") + e.what());
    }
  }
  tact::Delegated<int> handle(Query q, tact::Context<Misuser>& ctx) {
    tact::Promise<int> promise = ctx.promise<int>();
    try {
      ctx.stash(std::move(q));
    } catch (const tact::Error& e) {
      log_->note(std::string("after promise: ") + e.what());
    }
    promise.set_value(5);
    return {};
  }
  std::size_t handle(Seen, tact::Context<Misuser>& ctx) { return ctx.stashed(); }

 private:
  Log* log_;
};

TEST(Stash, MisuseThrowsAClearError) {
  Watchdog dog("stash misuse", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto m = rt.spawn<Misuser>(&log);
  m.tell(Twice{});
  m.tell(Other{});
  EXPECT_EQ(m.ask(Query{1}).get(), 5);
  EXPECT_EQ(m.ask(Seen{}).get(), 1u);  // the first Twice
  std::vector<std::string> notes = log.notes_snapshot();
  ASSERT_EQ(notes.size(), 4u);
  EXPECT_NE(notes[0].find("on_start: tact: ctx.stash() is for a handler's own message"), std::string::npos)
      << notes[0];
  EXPECT_NE(notes[1].find("stashed already"), std::string::npos) << notes[1];
  EXPECT_NE(notes[2].find("must be the message being handled"), std::string::npos) << notes[2];
  EXPECT_NE(notes[3].find("after ctx.promise"), std::string::npos) << notes[3];
}

class Echo {
 public:
  int handle(Query q) { return q.id; }
};

// Coroutine handlers: a stash before the first co_await takes the ask (what
// the coroutine co_returns goes nowhere); after it, ctx.stash throws.
class Coro {
 public:
  Coro(Log* log, tact::ActorRef<Echo> echo) : log_(log), echo_(std::move(echo)) {}
  tact::Task<int> handle(Query q, tact::Context<Coro>& ctx) {
    if (!open_) {
      ctx.stash(std::move(q));
      const int ignored = co_await echo_.ask(Query{-1});  // still runs; answers nobody
      co_return ignored;
    }
    const int a = co_await echo_.ask(Query{q.id});
    co_return a + 100;
  }
  tact::Task<void> handle(Item item, tact::Context<Coro>& ctx) {
    (void)co_await echo_.ask(Query{0});
    try {
      ctx.stash(std::move(item));
    } catch (const tact::Error& e) {
      log_->note(e.what());
    }
  }
  void handle(Open, tact::Context<Coro>& ctx) {
    open_ = true;
    ctx.unstash_all();
  }
  std::size_t handle(Seen, tact::Context<Coro>& ctx) { return ctx.stashed(); }

 private:
  Log* log_;
  tact::ActorRef<Echo> echo_;
  bool open_ = false;
};

TEST(Stash, FromACoroutineHandlerBeforeItsFirstAwaitOnly) {
  Watchdog dog("stash coroutine", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto echo = rt.spawn<Echo>();
  auto c = rt.spawn<Coro>(&log, echo);
  tact::Reply<int> r1 = c.ask(Query{1});
  tact::Reply<int> r2 = c.ask(Query{2});
  c.tell(Item{0, 0});
  EXPECT_EQ(c.ask(Seen{}).get(), 2u);
  EXPECT_FALSE(r1.ready());
  c.tell(Open{});
  // Replayed: each coroutine parks in its await, and the replay goes on after it.
  EXPECT_EQ(r1.get(), 101);
  EXPECT_EQ(r2.get(), 102);
  std::vector<std::string> notes = log.notes_snapshot();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("after its first co_await"), std::string::npos) << notes[0];
}

// become + stash: the states of a protocol (examples/stash.cpp is the same).
struct Connect {};
class Session {
 public:
  explicit Session(Log* log) : log_(log) {}
  void on_start(tact::Context<Session>& ctx) { ctx.become(connecting()); }
  void handle(Item item) { log_->add(item); }
  void handle(Connect) {}
  std::size_t handle(Seen) { return log_->snapshot().size(); }

 private:
  tact::Behaviour<Session> connecting() {
    return tact::Behaviour<Session>{
        [](Item item, tact::Context<Session>& ctx) { ctx.stash(std::move(item)); },
        [](Connect, tact::Context<Session>& ctx) {
          ctx.unbecome();  // the replayed Items meet the class's own handler
          ctx.unstash_all();
        }};
  }
  Log* log_;
};

TEST(Stash, BecomeAndStashTogether) {
  Watchdog dog("stash become", 30s);
  Log log;
  tact::Runtime rt(workers(2));
  auto s = rt.spawn<Session>(&log);
  for (int i = 0; i < 4; ++i) s.tell(Item{0, i});
  EXPECT_EQ(s.ask(Seen{}).get(), 0u);
  s.tell(Connect{});
  s.tell(Item{0, 4});
  EXPECT_EQ(s.ask(Seen{}).get(), 5u);
  std::vector<Item> items = log.snapshot();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(items[static_cast<std::size_t>(i)].seq, i);
}

// Race: senders on other threads tell while the actor stashes, opens and
// unstashes; every message is handled exactly once and each sender's order holds.
class Flapper {
 public:
  static inline std::atomic<int> stashes{0};    // how often the race really stashed
  static inline std::atomic<int> unstashes{0};  // and unstashed a non-empty stash
  explicit Flapper(Log* log) : log_(log) {}
  void handle(Item item, tact::Context<Flapper>& ctx) {
    if (!open_) {
      stashes.fetch_add(1, std::memory_order_relaxed);
      return ctx.stash(std::move(item));
    }
    log_->add(item);
  }
  void handle(Open, tact::Context<Flapper>& ctx) {
    if (ctx.stashed() > 0) unstashes.fetch_add(1, std::memory_order_relaxed);
    open_ = true;
    ctx.unstash_all();
  }
  void handle(Close) { open_ = false; }
  std::size_t handle(Seen, tact::Context<Flapper>& ctx) { return ctx.stashed(); }

 private:
  Log* log_;
  bool open_ = false;
};

TEST(Stash, UnstashAllWhileOtherThreadsSendKeepsEachSendersOrder) {
  Watchdog dog("stash race", 60s);
  constexpr int kSenders = 3;
  constexpr int kPerSender = 3000;
  Log log;
  tact::Runtime rt(workers(2));
  auto f = rt.spawn<Flapper>(&log);
  std::atomic<bool> go{false};
  std::atomic<int> finished{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kPerSender; ++i) {
        ASSERT_TRUE(f.tell(Item{s, i}));
        if (i % 50 == 49) std::this_thread::sleep_for(50us);  // spread over many flaps
      }
      finished.fetch_add(1);
    });
  }
  go.store(true);
  // Flap while the senders run: stash for a while, then release.
  int rounds = 0;
  while (finished.load() < kSenders) {
    f.tell(Close{});
    std::this_thread::sleep_for(100us);
    f.tell(Open{});
    std::this_thread::sleep_for(50us);
    ++rounds;
  }
  for (std::thread& t : senders) t.join();
  f.tell(Open{});
  ASSERT_TRUE(eventually([&] { return log.snapshot().size() == std::size_t{kSenders} * kPerSender; }));
  EXPECT_EQ(f.ask(Seen{}).get(), 0u);
  std::vector<int> next(kSenders, 0);
  for (const Item& item : log.snapshot()) {
    ASSERT_EQ(item.seq, next[static_cast<std::size_t>(item.sender)]) << "sender " << item.sender;
    ++next[static_cast<std::size_t>(item.sender)];
  }
  EXPECT_EQ(rt.stats().dead_letters, 0u);
  EXPECT_GT(Flapper::stashes.load(), 0);
  EXPECT_GT(Flapper::unstashes.load(), 0);
  std::printf("stash race: %d rounds, %d stashed, %d unstash_all of a non-empty stash\n", rounds,
              Flapper::stashes.load(), Flapper::unstashes.load());
}

}  // namespace
