// Coroutine handlers (tact::Task<R>), delegated replies (tact::Delegated<R> with
// ctx.promise<R>()), and the two ways an actor can be stopped from outside
// (ref.stop() after its queued mail, ref.kill() at once).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
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
using tact::test::eventually;
using tact::test::scaled;
using tact::test::Watchdog;
using tact::test::workers;

// -- actors ---------------------------------------------------------------------------------

struct Add {
  std::int64_t amount;
};
struct Fail {};

class Counter {
 public:
  std::int64_t handle(Add msg) { return count_ += msg.amount; }
  std::int64_t handle(Fail) { throw std::runtime_error("counter refuses"); }

 private:
  std::int64_t count_ = 0;
};

// Answers Hold asks only when the test says so: the Promise is parked in a
// shared box, so a test controls exactly when an awaited reply arrives.
struct Hold {};
struct PromiseBox {
  std::mutex mutex;
  std::vector<tact::Promise<std::int64_t>> promises;
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex);
    return promises.size();
  }
  void answer_all(std::int64_t value) {
    std::vector<tact::Promise<std::int64_t>> taken;
    {
      std::lock_guard<std::mutex> lock(mutex);
      taken.swap(promises);
    }
    for (auto& p : taken) p.set_value(value);
  }
  void drop_all() {
    std::lock_guard<std::mutex> lock(mutex);
    promises.clear();
  }
};

class Holder {
 public:
  explicit Holder(std::shared_ptr<PromiseBox> box) : box_(std::move(box)) {}
  tact::Delegated<std::int64_t> handle(Hold, tact::Context<Holder>& ctx) {
    std::lock_guard<std::mutex> lock(box_->mutex);
    box_->promises.push_back(ctx.promise<std::int64_t>());
    return {};
  }

 private:
  std::shared_ptr<PromiseBox> box_;
};

// Counts destructions of the locals of a coroutine (to see a dropped frame).
struct FrameProbe {
  explicit FrameProbe(std::atomic<int>* d) : destroyed(d) {}
  FrameProbe(const FrameProbe&) = delete;
  ~FrameProbe() { destroyed->fetch_add(1); }
  std::atomic<int>* destroyed;
};

struct AwaitHold {};            // awaits the Holder, mailbox closed meanwhile
struct AwaitHoldInterleaved {}; // awaits the Holder, other messages allowed
struct Note {
  std::string what;
};
struct GetLog {};
struct AwaitChild {
  std::int64_t amount;
};
struct AwaitFailingChild {};
struct AwaitStoppedChild {};
struct ThrowAfterAwait {};
struct SelfAfterAwait {};
struct Ping {};
struct EchoText {
  std::string text;
};
struct ForwardText {
  std::string text;
};

class Echo {
 public:
  std::string handle(EchoText m) { return m.text + "!"; }
};

class Parent {
 public:
  Parent(tact::ActorRef<Holder> holder, std::atomic<int>* frames_destroyed)
      : holder_(std::move(holder)), frames_destroyed_(frames_destroyed) {}

  tact::Task<std::int64_t> handle(AwaitHold, tact::Context<Parent>&) {
    FrameProbe probe(frames_destroyed_);
    log_.push_back("await-start");
    std::int64_t v = co_await holder_.ask(Hold{});
    log_.push_back("await-end");
    co_return v;
  }
  tact::Task<std::int64_t> handle(AwaitHoldInterleaved) {
    FrameProbe probe(frames_destroyed_);
    log_.push_back("await-start");
    std::int64_t v = co_await tact::interleaved(holder_.ask(Hold{}));
    log_.push_back("await-end");
    co_return v;
  }
  void handle(Note n) { log_.push_back(std::move(n.what)); }
  std::vector<std::string> handle(GetLog) { return log_; }

  tact::Task<std::int64_t> handle(AwaitChild msg, tact::Context<Parent>& ctx) {
    auto child = ctx.spawn<Counter>();
    std::int64_t a = co_await child.ask(Add{msg.amount});
    std::int64_t b = co_await child.ask(Add{msg.amount});
    co_return a + b;
  }
  tact::Task<std::string> handle(AwaitFailingChild, tact::Context<Parent>& ctx) {
    auto child = ctx.spawn<Counter>();
    try {
      (void)co_await child.ask(Fail{});
    } catch (const tact::HandlerFailed& e) {
      co_return std::string("caught: ") + e.what();
    }
    co_return std::string("no error");
  }
  tact::Task<bool> handle(AwaitStoppedChild, tact::Context<Parent>& ctx) {
    auto child = ctx.spawn<Counter>();
    child.kill();
    try {
      (void)co_await child.ask(Add{1});
    } catch (const tact::ActorStopped&) {
      co_return true;
    }
    co_return false;
  }
  tact::Task<int> handle(ThrowAfterAwait, tact::Context<Parent>& ctx) {
    auto child = ctx.spawn<Counter>();
    (void)co_await child.ask(Add{1});
    throw std::logic_error("after the await");
  }
  tact::Task<bool> handle(SelfAfterAwait, tact::Context<Parent>& ctx) {
    auto child = ctx.spawn<Counter>();
    (void)co_await child.ask(Add{1});
    // The context reference is still valid after the suspension.
    tact::ActorRef<Parent> me = ctx.self();
    co_return static_cast<bool>(me);
  }
  int handle(Ping) { return 1; }
  tact::Task<std::string> handle(ForwardText m, tact::Context<Parent>& ctx) {
    auto echo = ctx.spawn<Echo>();
    // Built before the co_await, not as a braced temporary inside it (g++ 12
    // miscompiles the latter: see tact/task.hpp).
    EchoText short_text{m.text};
    std::string a = co_await echo.ask(std::move(short_text));
    EchoText long_text{m.text + std::string(40, '+')};
    std::string b = co_await echo.ask(std::move(long_text));
    co_return a + "|" + b;
  }

 private:
  tact::ActorRef<Holder> holder_;
  std::atomic<int>* frames_destroyed_;
  std::vector<std::string> log_;
};

struct Fixture {
  explicit Fixture(std::size_t n = 2) : rt(workers(n)) {
    holder = rt.spawn<Holder>(box);
    parent = rt.spawn<Parent>(holder, &frames_destroyed);
  }
  tact::Runtime rt;
  std::shared_ptr<PromiseBox> box = std::make_shared<PromiseBox>();
  std::atomic<int> frames_destroyed{0};
  tact::ActorRef<Holder> holder;
  tact::ActorRef<Parent> parent;
};

// -- Task: results and errors -------------------------------------------------------------

TEST(Coroutine, AwaitsAChildsRepliesWithoutBlockingTheWorker) {
  Watchdog dog("coroutine awaits child");
  Fixture f(1);  // one worker: a blocked worker would deadlock here
  EXPECT_EQ(f.parent.ask(AwaitChild{20}).get(), 20 + 40);
}

TEST(Coroutine, AnAwaitedHandlerFailureResumesWithHandlerFailed) {
  Watchdog dog("coroutine awaits failing child");
  Fixture f;
  const std::string got = f.parent.ask(AwaitFailingChild{}).get();
  EXPECT_NE(got.find("caught: "), std::string::npos) << got;
  EXPECT_NE(got.find("counter refuses"), std::string::npos) << got;
}

TEST(Coroutine, AwaitingAStoppedActorResumesWithActorStopped) {
  Watchdog dog("coroutine awaits stopped child");
  Fixture f;
  EXPECT_TRUE(f.parent.ask(AwaitStoppedChild{}).get());
}

TEST(Coroutine, AnExceptionEscapingTheCoroutineFailsTheActorAndAnswersHandlerFailed) {
  Watchdog dog("coroutine throws");
  Fixture f;
  try {
    (void)f.parent.ask(ThrowAfterAwait{}).get();
    FAIL() << "expected HandlerFailed";
  } catch (const tact::HandlerFailed& e) {
    EXPECT_THROW(e.rethrow_cause(), std::logic_error);
  }
  EXPECT_TRUE(eventually([&] { return f.rt.stats().actors_failed == 1; }));
  EXPECT_THROW((void)f.parent.ask(Ping{}).get(), tact::ActorStopped);
}

TEST(Coroutine, MessagesWithStringsTravelIntactThroughAwaits) {
  Watchdog dog("coroutine strings");
  Fixture f;
  EXPECT_EQ(f.parent.ask(ForwardText{"hi"}).get(), "hi!|hi" + std::string(40, '+') + "!");
}

TEST(Coroutine, TheContextStaysValidAcrossSuspensions) {
  Watchdog dog("coroutine context");
  Fixture f;
  EXPECT_TRUE(f.parent.ask(SelfAfterAwait{}).get());
}

TEST(Coroutine, ATellRunsACoroutineHandlerToo) {
  Watchdog dog("coroutine via tell");
  Fixture f;
  ASSERT_TRUE(f.parent.tell(AwaitHold{}));
  ASSERT_TRUE(eventually([&] { return f.box->size() == 1; }));
  f.box->answer_all(5);
  EXPECT_TRUE(eventually([&] {
    auto log = f.parent.ask(GetLog{}).get();
    return log.size() == 2 && log[1] == "await-end";
  }));
}

// -- the mailbox while a coroutine waits -----------------------------------------------------

TEST(Coroutine, ByDefaultTheMailboxWaitsWhileTheCoroutineIsSuspended) {
  Watchdog dog("non-interleaved await");
  Fixture f;
  tact::Reply<std::int64_t> awaited = f.parent.ask(AwaitHold{});
  ASSERT_TRUE(eventually([&] { return f.box->size() == 1; }));
  f.parent.tell(Note{"during"});
  tact::Reply<std::vector<std::string>> log_reply = f.parent.ask(GetLog{});
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(log_reply.ready()) << "a message was handled while the coroutine was suspended";
  f.box->answer_all(7);
  EXPECT_EQ(awaited.get(), 7);
  EXPECT_EQ(log_reply.get(), (std::vector<std::string>{"await-start", "await-end", "during"}));
}

TEST(Coroutine, InterleavedAwaitsLetOtherMessagesRunMeanwhile) {
  Watchdog dog("interleaved await");
  Fixture f;
  tact::Reply<std::int64_t> first = f.parent.ask(AwaitHoldInterleaved{});
  tact::Reply<std::int64_t> second = f.parent.ask(AwaitHoldInterleaved{});
  ASSERT_TRUE(eventually([&] { return f.box->size() == 2; }));  // both suspended at once
  f.parent.tell(Note{"during"});
  auto log = f.parent.ask(GetLog{}).get();
  EXPECT_EQ(log, (std::vector<std::string>{"await-start", "await-start", "during"}));
  f.box->answer_all(9);
  EXPECT_EQ(first.get(), 9);
  EXPECT_EQ(second.get(), 9);
  log = f.parent.ask(GetLog{}).get();
  EXPECT_EQ(log.size(), 5u);
  EXPECT_EQ(log[3], "await-end");
  EXPECT_EQ(log[4], "await-end");
}

// -- stopping while a coroutine waits -------------------------------------------------------

TEST(Coroutine, KillingASuspendedActorDropsTheCoroutineAndResolvesItsAsk) {
  Watchdog dog("kill while suspended");
  Fixture f;
  tact::Reply<std::int64_t> awaited = f.parent.ask(AwaitHold{});
  ASSERT_TRUE(eventually([&] { return f.box->size() == 1; }));
  tact::Reply<int> queued = f.parent.ask(Ping{});
  f.parent.kill();
  EXPECT_THROW((void)awaited.get(), tact::ActorStopped);
  EXPECT_THROW((void)queued.get(), tact::ActorStopped);
  EXPECT_EQ(f.frames_destroyed.load(), 1);  // the frame's locals were destroyed
  f.box->answer_all(1);                     // the late reply goes nowhere, harmlessly
  EXPECT_TRUE(eventually([&] { return f.rt.stats().actors_stopped == 1; }));
}

TEST(Coroutine, StoppingAnActorDropsItsInterleavedCoroutines) {
  Watchdog dog("stop with interleaved awaits");
  Fixture f;
  tact::Reply<std::int64_t> a = f.parent.ask(AwaitHoldInterleaved{});
  tact::Reply<std::int64_t> b = f.parent.ask(AwaitHoldInterleaved{});
  ASSERT_TRUE(eventually([&] { return f.box->size() == 2; }));
  f.parent.stop();
  EXPECT_THROW((void)a.get(), tact::ActorStopped);
  EXPECT_THROW((void)b.get(), tact::ActorStopped);
  EXPECT_EQ(f.frames_destroyed.load(), 2);
  f.box->answer_all(1);
}

TEST(Coroutine, ARaceBetweenTheReplyAndAKillResolvesEveryAskOnce) {
  Watchdog dog("reply vs kill race", 120s);
  const long rounds = scaled(300);
  for (long i = 0; i < rounds; ++i) {
    Fixture f;
    tact::Reply<std::int64_t> awaited =
        (i % 2 == 0) ? f.parent.ask(AwaitHold{}) : f.parent.ask(AwaitHoldInterleaved{});
    ASSERT_TRUE(eventually([&] { return f.box->size() == 1; }));
    std::thread answer([&] { f.box->answer_all(3); });
    f.parent.kill();
    answer.join();
    try {
      EXPECT_EQ(awaited.get(), 3);
    } catch (const tact::ActorStopped&) {
    }
    ASSERT_TRUE(eventually([&] { return f.frames_destroyed.load() == 1; }));
  }
}

TEST(Coroutine, ShutdownCompletesWhileACoroutineAwaitsAnAnswerThatNeverComes) {
  Watchdog dog("shutdown with suspended coroutine");
  auto box = std::make_shared<PromiseBox>();
  std::atomic<int> destroyed{0};
  tact::Reply<std::int64_t> awaited;
  {
    tact::Runtime rt(workers(2));
    auto holder = rt.spawn<Holder>(box);
    auto parent = rt.spawn<Parent>(holder, &destroyed);
    awaited = parent.ask(AwaitHold{});
    ASSERT_TRUE(eventually([&] { return box->size() == 1; }));
    rt.shutdown();
  }
  EXPECT_THROW((void)awaited.get(), tact::ActorStopped);
  EXPECT_EQ(destroyed.load(), 1);
  box->drop_all();
}

TEST(Coroutine, ManyConcurrentAwaitChainsAllResolve) {
  Watchdog dog("concurrent coroutine chains", 120s);
  tact::Runtime rt(workers(2));
  std::vector<tact::ActorRef<Parent>> parents;
  for (int i = 0; i < 8; ++i) parents.push_back(rt.spawn<Parent>(tact::ActorRef<Holder>(), nullptr));
  const long per_thread = scaled(2000);
  std::vector<std::thread> clients;
  std::atomic<long> ok{0};
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      std::vector<tact::Reply<std::int64_t>> pending;
      for (long i = 0; i < per_thread; ++i) {
        pending.push_back(parents[static_cast<std::size_t>(i + t) % parents.size()].ask(AwaitChild{i}));
        if (pending.size() == 64) {
          for (auto& r : pending) ok += (r.get() >= 0) ? 1 : 0;
          pending.clear();
        }
      }
      for (auto& r : pending) ok += (r.get() >= 0) ? 1 : 0;
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 3 * per_thread);
}

// -- Delegated<R> and ctx.promise<R>() -----------------------------------------------------------

TEST(Delegated, ThePromiseAnswersTheAskFromAnotherThread) {
  Watchdog dog("delegated answer");
  Fixture f;
  tact::Reply<std::int64_t> reply = f.holder.ask(Hold{});
  ASSERT_TRUE(eventually([&] { return f.box->size() == 1; }));
  EXPECT_FALSE(reply.ready());
  std::thread([&] { f.box->answer_all(42); }).join();
  EXPECT_EQ(reply.get(), 42);
}

TEST(Delegated, DroppingThePromiseResolvesTheAskWithBrokenPromise) {
  Watchdog dog("delegated drop");
  Fixture f;
  tact::Reply<std::int64_t> reply = f.holder.ask(Hold{});
  ASSERT_TRUE(eventually([&] { return f.box->size() == 1; }));
  f.box->drop_all();
  EXPECT_THROW((void)reply.get(), tact::BrokenPromise);
}

struct Forget {};
struct TakeTwice {};
struct WrongType {};
struct Plain {};
class Delegator {
 public:
  tact::Delegated<int> handle(Forget) { return {}; }
  tact::Delegated<int> handle(TakeTwice, tact::Context<Delegator>& ctx) {
    auto first = ctx.promise<int>();
    try {
      (void)ctx.promise<int>();
    } catch (const tact::Error&) {
      first.set_value(2);
    }
    return {};
  }
  tact::Delegated<int> handle(WrongType, tact::Context<Delegator>& ctx) {
    (void)ctx.promise<long>();  // throws: the handler fails
    return {};
  }
  bool handle(Plain, tact::Context<Delegator>& ctx) {
    try {
      (void)ctx.promise<int>();
    } catch (const tact::Error&) {
      return true;
    }
    return false;
  }
};

TEST(Delegated, AHandlerThatNeverTakesThePromiseAnswersBrokenPromise) {
  tact::Runtime rt(workers(1));
  auto d = rt.spawn<Delegator>();
  EXPECT_THROW((void)d.ask(Forget{}).get(), tact::BrokenPromise);
}

TEST(Delegated, MisuseOfCtxPromiseIsAnError) {
  tact::Runtime rt(workers(1));
  auto d = rt.spawn<Delegator>();
  EXPECT_EQ(d.ask(TakeTwice{}).get(), 2);
  EXPECT_TRUE(d.ask(Plain{}).get());  // outside a Delegated handler
  EXPECT_THROW((void)d.ask(WrongType{}).get(), tact::HandlerFailed);
}

TEST(Delegated, ATellGivesAPromiseWhoseAnswerGoesNowhere) {
  Watchdog dog("delegated tell");
  Fixture f;
  ASSERT_TRUE(f.holder.tell(Hold{}));
  ASSERT_TRUE(eventually([&] { return f.box->size() == 1; }));
  f.box->answer_all(1);  // no one listens; nothing leaks (ASan checks)
}

// -- stop and kill from outside ---------------------------------------------------------------

struct Slow {
  std::chrono::milliseconds d;
};
class Sleeper {
 public:
  int handle(Slow s) {
    std::this_thread::sleep_for(s.d);
    return ++handled_;
  }

 private:
  int handled_ = 0;
};

TEST(StopModes, StopOvertakesTheQueuedMailOnceTheRunningHandlerReturns) {
  Watchdog dog("stop through the control lane");
  tact::Config config = workers(2);
  config.budget = 1;  // the stop is seen at the end of a turn: after one message
  tact::Runtime rt(config);
  auto s = rt.spawn<Sleeper>();
  tact::Reply<int> first = s.ask(Slow{50ms});
  std::vector<tact::Reply<int>> queued;
  for (int i = 0; i < 5; ++i) queued.push_back(s.ask(Slow{0ms}));
  std::this_thread::sleep_for(10ms);  // the first is being handled
  s.stop();
  EXPECT_EQ(first.get(), 1);  // the running handler finishes
  for (auto& r : queued) EXPECT_THROW((void)r.get(), tact::ActorStopped);
  EXPECT_EQ(s.stopped().get().reason, tact::ExitReason::normal);
  EXPECT_FALSE(s.tell(Slow{0ms}));
  EXPECT_EQ(rt.stats().dead_letters, 6u);
}

TEST(StopModes, KillDropsTheQueuedMailAsDeadLetters) {
  Watchdog dog("kill");
  tact::Config config = workers(2);
  config.budget = 1;  // the kill is seen after at most one more message
  tact::Runtime rt(config);
  auto s = rt.spawn<Sleeper>();
  tact::Reply<int> first = s.ask(Slow{50ms});
  std::vector<tact::Reply<int>> queued;
  for (int i = 0; i < 10; ++i) queued.push_back(s.ask(Slow{0ms}));
  std::this_thread::sleep_for(10ms);  // the first is being handled
  s.kill();
  EXPECT_EQ(first.get(), 1);
  int stopped = 0;
  for (auto& r : queued) {
    try {
      (void)r.get();
    } catch (const tact::ActorStopped&) {
      ++stopped;
    }
  }
  EXPECT_GE(stopped, 9);  // at most one more message after the kill
  ASSERT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  EXPECT_EQ(rt.stats().dead_letters, static_cast<std::uint64_t>(stopped));
}

TEST(StopModes, StopAndKillOnAStoppedActorAreHarmless) {
  tact::Runtime rt(workers(1));
  auto s = rt.spawn<Sleeper>();
  s.kill();
  ASSERT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  s.kill();
  s.stop();
  EXPECT_EQ(rt.stats().actors_stopped, 1u);
  tact::ActorRef<Sleeper> empty;
  EXPECT_THROW(empty.stop(), tact::Error);
  EXPECT_THROW(empty.kill(), tact::Error);
}

}  // namespace
