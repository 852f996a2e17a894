// tell and ask, as a user writes them: the API guide's counter, handlers with and
// without a context, void and move-only replies, every way to consume a Reply,
// per-sender FIFO, many senders, blocking inside a handler, empty refs.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
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
using tact::test::scaled;
using tact::test::eventually;
using tact::test::Watchdog;
using tact::test::workers;

// ===== the API guide's counter ===========================================================

struct Inc {
  std::int64_t amount;
};
struct Get {};

class Counter {
 public:
  std::int64_t handle(Inc msg) { return count_ += msg.amount; }
  std::int64_t handle(Get, tact::Context<Counter>&) { return count_; }

 private:
  std::int64_t count_ = 0;
};

TEST(TellAsk, TheApiGuideCounterTellsThenAsksAndGets42) {
  tact::Runtime rt;
  tact::ActorRef<Counter> c = rt.spawn<Counter>();
  EXPECT_TRUE(c.tell(Inc{1}));
  std::int64_t n = c.ask(Inc{41}).get();
  EXPECT_EQ(n, 42);
  EXPECT_EQ(c.ask(Get{}).get(), 42);
  rt.shutdown();
}

// ===== handlers with and without a context ===============================================

struct WhoAmI {};
struct Plain {};
struct Both {};

class ContextUser {
 public:
  // Takes the context: returns its own ref.
  tact::ActorRef<ContextUser> handle(WhoAmI, tact::Context<ContextUser>& ctx) {
    return ctx.self();
  }
  // Does not take it.
  std::string handle(Plain) { return "plain"; }
  // Both overloads exist: the one taking the context wins.
  std::string handle(Both) { return "without context"; }
  std::string handle(Both, tact::Context<ContextUser>&) { return "with context"; }
};

TEST(TellAsk, AHandlerMayTakeTheContextOrNot) {
  tact::Runtime rt(workers(2));
  auto actor = rt.spawn<ContextUser>();
  tact::ActorRef<ContextUser> self = actor.ask(WhoAmI{}).get();
  EXPECT_TRUE(self == actor);
  EXPECT_EQ(actor.ask(Plain{}).get(), "plain");
  EXPECT_EQ(actor.ask(Both{}).get(), "with context");
}

// ===== void handlers ===================================================================

struct SlowWork {
  std::chrono::milliseconds duration;
  int* out;  // written by the handler, read by the asker after get()
};

class VoidWorker {
 public:
  void handle(SlowWork work) {
    std::this_thread::sleep_for(work.duration);
    *work.out = 7;  // a plain write: the ask's get() must make it visible
    ++handled_;
  }
  int handle(Get) const { return handled_; }

 private:
  int handled_ = 0;
};

TEST(TellAsk, AVoidHandlersAskResolvesOnceHandledAndPublishesItsWrites) {
  tact::Runtime rt(workers(2));
  auto worker = rt.spawn<VoidWorker>();
  int out = 0;
  tact::Reply<void> reply = worker.ask(SlowWork{20ms, &out});
  const auto start = std::chrono::steady_clock::now();
  reply.get();  // void: returns once handled
  EXPECT_EQ(out, 7);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 10ms);
  EXPECT_FALSE(reply.valid());

  int out2 = 0;
  tact::Reply<void> second = worker.ask(SlowWork{0ms, &out2});
  while (!second.ready()) std::this_thread::yield();
  EXPECT_TRUE(second.try_get());  // void: true once handled
  EXPECT_EQ(out2, 7);
  EXPECT_TRUE(worker.tell(SlowWork{0ms, &out2}));
  EXPECT_EQ(worker.ask(Get{}).get(), 3);
}

// ===== move-only messages and replies ========================================================

struct MoveOnly {
  explicit MoveOnly(int v) : value(std::make_unique<int>(v)) {}
  MoveOnly(MoveOnly&&) noexcept = default;
  MoveOnly& operator=(MoveOnly&&) noexcept = default;
  MoveOnly(const MoveOnly&) = delete;
  MoveOnly& operator=(const MoveOnly&) = delete;
  std::unique_ptr<int> value;
};
struct TakeBox {
  std::unique_ptr<int> box;
};

class MoveOnlyActor {
 public:
  // A move-only message in, a move-only reply out.
  std::unique_ptr<int> handle(MoveOnly msg) {
    *msg.value += 1;
    return std::move(msg.value);
  }
  MoveOnly handle(std::unique_ptr<int> box) { return MoveOnly(*box * 2); }
  void handle(TakeBox msg) { kept_.push_back(std::move(msg.box)); }
  std::size_t handle(Get) const { return kept_.size(); }

 private:
  std::vector<std::unique_ptr<int>> kept_;
};

TEST(TellAsk, MoveOnlyMessagesAndRepliesAreMovedNotCopied) {
  tact::Runtime rt(workers(2));
  auto actor = rt.spawn<MoveOnlyActor>();
  std::unique_ptr<int> back = actor.ask(MoveOnly(41)).get();
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(*back, 42);

  MoveOnly doubled = actor.ask(std::make_unique<int>(21)).get();
  ASSERT_NE(doubled.value, nullptr);
  EXPECT_EQ(*doubled.value, 42);

  EXPECT_TRUE(actor.tell(TakeBox{std::make_unique<int>(1)}));
  TakeBox lvalue{std::make_unique<int>(2)};
  EXPECT_TRUE(actor.tell(std::move(lvalue)));
  EXPECT_EQ(actor.ask(Get{}).get(), 2u);

  // A move-only reply through then().
  std::atomic<int> seen{0};
  actor.ask(MoveOnly(9)).then([&seen](tact::Outcome<std::unique_ptr<int>> outcome) {
    seen.store(*std::move(outcome).value());
  });
  EXPECT_EQ(actor.ask(Get{}).get(), 2u);  // handled after the MoveOnly(9): its reply is set
  while (seen.load() == 0) std::this_thread::yield();
  EXPECT_EQ(seen.load(), 10);
}

// ===== get, get_for, try_get, then ========================================================

// Holds each Hold request until the test opens the gate.
struct Hold {
  const std::atomic<bool>* gate;
  int value;
};
struct Fail {};

class Holder {
 public:
  int handle(Hold msg) {
    const auto give_up = std::chrono::steady_clock::now() + 30s;  // never hang the suite
    while (!msg.gate->load() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(100us);
    }
    return msg.value;
  }
  int handle(Fail) { throw std::runtime_error("fail on purpose"); }
};

TEST(TellAsk, GetForTimesOutWhilePendingAndTheReplyStaysUsable) {
  Watchdog watchdog("GetFor", 60s);
  tact::Runtime rt(workers(2));
  auto holder = rt.spawn<Holder>();
  std::atomic<bool> gate{false};
  tact::Reply<int> reply = holder.ask(Hold{&gate, 5});

  EXPECT_THROW((void)reply.get_for(10ms), tact::Timeout);
  EXPECT_TRUE(reply.valid());
  EXPECT_FALSE(reply.ready());
  EXPECT_FALSE(reply.try_get().has_value());  // pending: empty, still valid
  EXPECT_TRUE(reply.valid());

  gate.store(true);
  EXPECT_EQ(reply.get_for(30s), 5);
  EXPECT_FALSE(reply.valid());
  EXPECT_THROW((void)reply.get(), tact::InvalidReply);
  EXPECT_THROW((void)reply.try_get(), tact::InvalidReply);
}

TEST(TellAsk, TryGetNeverBlocksAndReturnsTheValueOnceReady) {
  tact::Runtime rt(workers(2));
  auto counter = rt.spawn<Counter>();
  tact::Reply<std::int64_t> reply = counter.ask(Inc{3});
  std::optional<std::int64_t> value;
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (!(value = reply.try_get()) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, 3);
  EXPECT_FALSE(reply.valid());
}

TEST(TellAsk, ThenRunsOnceWithTheValueWhetherTheAnswerIsPendingOrAlreadyThere) {
  Watchdog watchdog("Then", 60s);
  tact::Runtime rt(workers(2));
  auto holder = rt.spawn<Holder>();
  std::atomic<bool> gate{false};

  // Pending when then() is called: the callback runs on the replier's thread.
  std::atomic<int> calls{0};
  std::atomic<int> got{0};
  std::atomic<std::thread::id> ran_on{};
  tact::Reply<int> pending = holder.ask(Hold{&gate, 11});
  pending.then([&](tact::Outcome<int> outcome) {
    got.store(outcome.value());
    ran_on.store(std::this_thread::get_id());
    calls.fetch_add(1);
  });
  EXPECT_FALSE(pending.valid());  // then() consumes the Reply
  EXPECT_EQ(calls.load(), 0);
  gate.store(true);
  while (calls.load() == 0) std::this_thread::yield();
  EXPECT_EQ(got.load(), 11);
  EXPECT_NE(ran_on.load(), std::this_thread::get_id());

  // Already answered when then() is called: the callback runs here, now.
  tact::Reply<int> ready = holder.ask(Hold{&gate, 12});
  while (!ready.ready()) std::this_thread::yield();
  int inline_value = 0;
  ready.then([&](tact::Outcome<int> outcome) { inline_value = outcome.value(); });
  EXPECT_EQ(inline_value, 12);

  // An error arrives in the Outcome, not as a throw.
  std::atomic<bool> failed{false};
  auto fragile = rt.spawn<Holder>();
  fragile.ask(Fail{}).then([&](tact::Outcome<int> outcome) {
    EXPECT_FALSE(outcome.has_value());
    EXPECT_THROW(outcome.value(), tact::HandlerFailed);
    failed.store(true);
  });
  while (!failed.load()) std::this_thread::yield();
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(calls.load(), 1);
}

TEST(TellAsk, DroppingAPendingReplyIsFine) {
  tact::Runtime rt(workers(2));
  auto counter = rt.spawn<Counter>();
  for (int i = 0; i < 100; ++i) {
    (void)counter.ask(Inc{1});  // dropped at once: the answer is discarded when it comes
  }
  EXPECT_EQ(counter.ask(Get{}).get(), 100);
}

// ===== FIFO per sender ====================================================================

struct Numbered {
  int sender;
  std::int64_t seq;
};
struct Report {
  std::int64_t received = 0;
  std::int64_t out_of_order = 0;
};
struct GetReport {};

// Checks that each sender's numbers arrive in order, with none missing.
class OrderChecker {
 public:
  explicit OrderChecker(int senders) : next_(static_cast<std::size_t>(senders), 0) {}
  void handle(Numbered msg) {
    std::int64_t& expected = next_.at(static_cast<std::size_t>(msg.sender));
    if (msg.seq != expected) ++report_.out_of_order;
    expected = msg.seq + 1;
    ++report_.received;
  }
  Report handle(GetReport) const { return report_; }

 private:
  std::vector<std::int64_t> next_;
  Report report_;
};

TEST(TellAsk, OneSendersTellsArriveInTheOrderSent) {
  Watchdog watchdog("FIFO one sender", 120s);
  tact::Runtime rt(workers(2));
  auto checker = rt.spawn<OrderChecker>(1);
  const std::int64_t n = scaled(100'000);
  std::thread sender([&] {
    for (std::int64_t i = 0; i < n; ++i) ASSERT_TRUE(checker.tell(Numbered{0, i}));
  });
  sender.join();
  Report report = checker.ask(GetReport{}).get();  // queued behind every tell
  EXPECT_EQ(report.received, n);
  EXPECT_EQ(report.out_of_order, 0);
}

TEST(TellAsk, ManyPlainThreadsSendConcurrentlyEachInOrder) {
  Watchdog watchdog("FIFO many threads", 120s);
  tact::Runtime rt(workers(2));
  constexpr int kSenders = 6;
  constexpr std::int64_t per_sender = scaled(20'000);
  auto checker = rt.spawn<OrderChecker>(kSenders);
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&checker, s] {
      for (std::int64_t i = 0; i < per_sender; ++i) checker.tell(Numbered{s, i});
    });
  }
  for (auto& t : senders) t.join();
  Report report = checker.ask(GetReport{}).get();
  EXPECT_EQ(report.received, kSenders * per_sender);
  EXPECT_EQ(report.out_of_order, 0);
}

// A sender inside the runtime: on Go, tells its target `count` numbered messages.
struct Go {
  tact::ActorRef<OrderChecker> target;
  int id;
  std::int64_t count;
};
class SenderActor {
 public:
  void handle(Go go) {
    for (std::int64_t i = 0; i < go.count; ++i) go.target.tell(Numbered{go.id, i});
  }
};

TEST(TellAsk, ManyActorsSendConcurrentlyEachInOrder) {
  Watchdog watchdog("FIFO many actors", 120s);
  tact::Runtime rt(workers(2));
  constexpr int kSenders = 8;
  const std::int64_t per_sender = scaled(20'000);
  auto checker = rt.spawn<OrderChecker>(kSenders);
  std::vector<tact::Reply<void>> sent;
  for (int s = 0; s < kSenders; ++s) {
    sent.push_back(rt.spawn<SenderActor>().ask(Go{checker, s, per_sender}));
  }
  // Each Go resolves after its sender queued everything; the GetReport ask is then
  // queued behind all of it.
  for (auto& reply : sent) reply.get();
  Report report = checker.ask(GetReport{}).get();
  EXPECT_EQ(report.received, kSenders * per_sender);
  EXPECT_EQ(report.out_of_order, 0);
}

// ===== an actor asking another: then() + tell back ========================================

struct Start {
  tact::ActorRef<Counter> counter;
  int rounds;
  tact::Promise<std::int64_t> done;
};
struct Answer {
  std::int64_t value;
};

class Asker {
 public:
  void handle(Start start, tact::Context<Asker>& ctx) {
    counter_ = std::move(start.counter);
    left_ = start.rounds;
    done_ = std::move(start.done);
    next(ctx);
  }
  void handle(Answer answer, tact::Context<Asker>& ctx) {
    last_ = answer.value;
    next(ctx);
  }

 private:
  void next(tact::Context<Asker>& ctx) {
    if (left_-- == 0) {
      done_.set_value(last_);
      return;
    }
    counter_.ask(Inc{1}).then([self = ctx.self()](tact::Outcome<std::int64_t> outcome) {
      self.tell(Answer{outcome.value()});
    });
  }
  tact::ActorRef<Counter> counter_;
  int left_ = 0;
  std::int64_t last_ = 0;
  tact::Promise<std::int64_t> done_;
};

// then()'s callable lives in the block pool (or, over-aligned, in aligned new):
// big, over-aligned and owning callables all run once and are destroyed once; a
// callable whose copy throws leaves the Reply as it was.
struct alignas(64) OverAligned {
  std::atomic<int>* calls;
  void operator()(tact::Outcome<std::int64_t> o) const {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(this) % 64, 0u);
    if (o.value() == 5) calls->fetch_add(1);
  }
};
struct ThrowsOnCopy {
  ThrowsOnCopy() = default;
  ThrowsOnCopy(const ThrowsOnCopy&) { throw std::runtime_error("copy"); }
  void operator()(tact::Outcome<std::int64_t>) const {}
};

TEST(TellAsk, ThenCallablesOfEverySizeAndAlignmentRunOnceAndAreFreed) {
  Watchdog watchdog("then callables", 60s);
  tact::Runtime rt(workers(2));
  auto c = rt.spawn<Counter>();
  std::atomic<int> calls{0};
  c.ask(Inc{5}).then(OverAligned{&calls});
  auto owned = std::make_shared<int>(7);
  std::array<char, 700> big{};  // beyond the pool's largest block
  big[699] = 'x';
  c.ask(Get{}).then([&calls, owned, big](tact::Outcome<std::int64_t> o) {
    if (o.value() == 5 && big[699] == 'x' && *owned == 7) calls.fetch_add(1);
  });
  EXPECT_TRUE(eventually([&] { return calls.load() == 2; }));
  EXPECT_TRUE(eventually([&] { return owned.use_count() == 1; }));  // the copy was destroyed

  tact::Reply<std::int64_t> reply = c.ask(Get{});
  const ThrowsOnCopy callable;
  EXPECT_THROW(reply.then(callable), std::runtime_error);
  EXPECT_TRUE(reply.valid());
  EXPECT_EQ(reply.get_for(10s), 5);
}

TEST(TellAsk, AnActorAsksAnotherAndContinuesWithThen) {
  Watchdog watchdog("actor asks actor", 60s);
  tact::Runtime rt(workers(2));
  auto counter = rt.spawn<Counter>();
  auto asker = rt.spawn<Asker>();
  auto [done, finished] = tact::Promise<std::int64_t>::make();
  const int rounds = static_cast<int>(scaled(10'000));
  asker.tell(Start{counter, rounds, std::move(done)});
  EXPECT_EQ(finished.get(), rounds);
}

// ===== blocking inside a handler ==========================================================

struct TryBlocking {
  tact::ActorRef<Counter> other;
};
struct BlockingVerdict {
  bool get_threw = false;
  bool get_for_threw = false;
};

class Blocker {
 public:
  BlockingVerdict handle(TryBlocking msg) {
    BlockingVerdict verdict;
    try {
      (void)msg.other.ask(Get{}).get();
    } catch (const tact::WouldBlockWorker&) {
      verdict.get_threw = true;
    }
    try {
      (void)msg.other.ask(Get{}).get_for(1s);
    } catch (const tact::WouldBlockWorker&) {
      verdict.get_for_threw = true;
    }
    return verdict;
  }
};

TEST(TellAsk, GetInsideAHandlerThrowsWouldBlockWorker) {
  Watchdog watchdog("get inside handler", 60s);
  tact::Runtime rt(workers(2));
  auto blocker = rt.spawn<Blocker>();
  BlockingVerdict verdict = blocker.ask(TryBlocking{rt.spawn<Counter>()}).get();
  EXPECT_TRUE(verdict.get_threw);
  EXPECT_TRUE(verdict.get_for_threw);
}

TEST(TellAsk, GetInsideAHandlerOnAOneWorkerRuntimeThrowsInsteadOfDeadlocking) {
  Watchdog watchdog("get inside handler, one worker", 60s);
  tact::Runtime rt(workers(1));
  ASSERT_EQ(rt.worker_count(), 1u);
  auto blocker = rt.spawn<Blocker>();
  auto counter = rt.spawn<Counter>();
  BlockingVerdict verdict = blocker.ask(TryBlocking{counter}).get();
  EXPECT_TRUE(verdict.get_threw);
  EXPECT_TRUE(verdict.get_for_threw);
  // The runtime still works: the two dropped asks were handled, and more can be.
  EXPECT_EQ(counter.ask(Inc{2}).get(), 2);
}

// ===== empty refs =========================================================================

// Also a regression test, under ASan: ActorRef::tell/ask once allocated the
// envelope (and, for ask, the reply slot) before checked_cell() threw on the
// empty ref, leaking them on every throw.
TEST(TellAsk, TellAndAskOnAnEmptyRefThrowErrorAndLeakNothing) {
  tact::Runtime rt(workers(1));
  tact::ActorRef<Counter> empty;
  EXPECT_FALSE(empty);
  EXPECT_THROW(empty.tell(Inc{1}), tact::Error);
  EXPECT_THROW((void)empty.ask(Inc{1}), tact::Error);

  auto live = rt.spawn<Counter>();
  tact::ActorRef<Counter> moved_to = std::move(live);
  EXPECT_FALSE(live);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_THROW(live.tell(Inc{1}), tact::Error);
  EXPECT_THROW((void)live.ask(Get{}), tact::Error);

  tact::ActorRef<Counter> reset = moved_to;
  reset.reset();
  EXPECT_THROW(reset.tell(Inc{1}), tact::Error);
  EXPECT_THROW((void)reset.ask(Get{}), tact::Error);

  EXPECT_EQ(moved_to.ask(Inc{5}).get(), 5);  // the actor itself is untouched
}

}  // namespace
