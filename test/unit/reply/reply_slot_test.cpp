// Reply<R> / Promise<R> over the one-shot reply slot: values, errors, timeouts,
// try_get, then(), abandoning, misuse, and the happens-before guarantee.
// Run under ASan (leaks) and TSan (the plain-variable visibility tests).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "support/watchdog.hpp"
#include "sync/blocking.hpp"
#include "sync/parker.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/reply.hpp"

namespace {

using namespace std::chrono_literals;
using tact::BrokenPromise;
using tact::HandlerFailed;
using tact::InvalidReply;
using tact::Outcome;
using tact::Promise;
using tact::Reply;
using tact::Timeout;
using tact::WouldBlockWorker;
using tact::detail::Atomic;
using tact::detail::relaxed;

// Counts live instances, so a test can check every payload was destroyed once.
struct Counted {
  static inline Atomic<int> live{0};

  explicit Counted(int v) : value(v) { live.fetch_add(1, relaxed); }  // relaxed: a tally
  Counted(const Counted& other) : value(other.value) { live.fetch_add(1, relaxed); }
  Counted(Counted&& other) noexcept : value(other.value) { live.fetch_add(1, relaxed); }
  Counted& operator=(const Counted&) = default;
  Counted& operator=(Counted&&) = default;
  ~Counted() { live.fetch_sub(1, relaxed); }

  int value;
};

class ReplyPayload : public ::testing::Test {
 protected:
  void SetUp() override { Counted::live.store(0, relaxed); }
  void TearDown() override { EXPECT_EQ(Counted::live.load(relaxed), 0) << "a payload leaked"; }
};

struct CustomError : std::runtime_error {
  explicit CustomError(int c) : std::runtime_error("custom"), code(c) {}
  int code;
};

// Sets the value from another thread after `delay` (long enough that get() parks).
template <class R, class... Args>
std::thread answer_later(Promise<R> promise, std::chrono::microseconds delay, Args... args) {
  return std::thread([promise = std::move(promise), delay, args...]() mutable {
    std::this_thread::sleep_for(delay);
    promise.set_value(args...);
  });
}

// ===== values ==========================================================================

TEST(ReplyValue, GetReturnsAValueSetBeforeTheCall) {
  auto [promise, reply] = Promise<int>::make();
  promise.set_value(42);
  EXPECT_TRUE(reply.ready());
  EXPECT_EQ(reply.get(), 42);
  EXPECT_FALSE(reply.valid());
}

TEST(ReplyValue, GetBlocksUntilAnotherThreadSetsTheValue) {
  tact::test::Watchdog watchdog("get() waiting for a late value");
  auto [promise, reply] = Promise<int>::make();
  // 5 ms: well past the spin budget, so get() parks and is unparked.
  std::thread writer = answer_later(std::move(promise), 5ms, 7);
  EXPECT_EQ(reply.get(), 7);
  writer.join();
}

TEST(ReplyValue, VoidReplyCompletesWithoutAValue) {
  auto [promise, reply] = Promise<void>::make();
  EXPECT_FALSE(reply.ready());
  promise.set_value();
  EXPECT_NO_THROW(reply.get());
  EXPECT_FALSE(reply.valid());
}

TEST(ReplyValue, MoveOnlyValuesPassThrough) {
  auto [promise, reply] = Promise<std::unique_ptr<int>>::make();
  promise.set_value(std::make_unique<int>(5));
  std::unique_ptr<int> value = reply.get();
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(*value, 5);
}

TEST(ReplyValue, SetValueBuildsTheValueInPlaceFromSeveralArguments) {
  auto [promise, reply] = Promise<std::string>::make();
  promise.set_value(3u, 'x');
  EXPECT_EQ(reply.get(), "xxx");
}

TEST_F(ReplyPayload, TheValueIsDestroyedOnceAfterGet) {
  {
    auto [promise, reply] = Promise<Counted>::make();
    promise.set_value(1);
    Counted value = reply.get();
    EXPECT_EQ(value.value, 1);
    EXPECT_EQ(Counted::live.load(relaxed), 1);
  }
}

// Moving it out of the slot throws: the Reply is consumed and its slot still freed.
struct ThrowsOnMove {
  static inline Atomic<int> live{0};
  explicit ThrowsOnMove(int) { live.fetch_add(1, relaxed); }  // relaxed: a tally
  ThrowsOnMove(ThrowsOnMove&&) { throw std::runtime_error("move"); }  // NOLINT: on purpose
  ~ThrowsOnMove() { live.fetch_sub(1, relaxed); }
};

TEST(ReplyValue, AValueWhoseMoveThrowsStillFreesTheSlot) {
  auto [promise, reply] = Promise<ThrowsOnMove>::make();
  promise.set_value(1);
  EXPECT_THROW(reply.get(), std::runtime_error);
  EXPECT_FALSE(reply.valid());
  EXPECT_EQ(ThrowsOnMove::live.load(relaxed), 0);  // and ASan sees no leaked slot
}

// ===== errors ==========================================================================

TEST(ReplyError, DroppingAnUnansweredPromiseAnswersBrokenPromise) {
  auto [promise, reply] = Promise<int>::make();
  { Promise<int> dropped = std::move(promise); }
  EXPECT_THROW(reply.get(), BrokenPromise);
  EXPECT_FALSE(reply.valid());
}

TEST(ReplyError, MoveAssigningOverAPendingPromiseBreaksIt) {
  auto [first, first_reply] = Promise<int>::make();
  auto [second, second_reply] = Promise<int>::make();
  first = std::move(second);
  EXPECT_THROW(first_reply.get(), BrokenPromise);
  first.set_value(2);
  EXPECT_EQ(second_reply.get(), 2);
}

TEST(ReplyError, SetErrorDeliversTheCustomException) {
  auto [promise, reply] = Promise<int>::make();
  promise.set_error(std::make_exception_ptr(CustomError(17)));
  try {
    reply.get();
    FAIL() << "get() returned instead of throwing";
  } catch (const CustomError& e) {
    EXPECT_EQ(e.code, 17);
  }
}

TEST(ReplyError, HandlerFailedCarriesTheOriginalCause) {
  auto [promise, reply] = Promise<void>::make();
  promise.set_error(std::make_exception_ptr(HandlerFailed(std::make_exception_ptr(CustomError(3)))));
  try {
    reply.get();
    FAIL() << "get() returned instead of throwing";
  } catch (const HandlerFailed& e) {
    EXPECT_NE(std::string(e.what()).find("custom"), std::string::npos) << e.what();
    EXPECT_THROW(e.rethrow_cause(), CustomError);
  }
}

TEST(ReplyError, SetErrorRejectsANullExceptionPointer) {
  auto [promise, reply] = Promise<int>::make();
  EXPECT_THROW(promise.set_error(nullptr), std::invalid_argument);
  EXPECT_TRUE(promise.pending());
  promise.set_value(1);
  EXPECT_EQ(reply.get(), 1);
}

TEST(ReplyError, AThrowingValueConstructorLeavesThePromisePending) {
  struct Explodes {
    explicit Explodes(bool explode) {
      if (explode) throw CustomError(1);
    }
  };
  auto [promise, reply] = Promise<Explodes>::make();
  EXPECT_THROW(promise.set_value(true), CustomError);
  EXPECT_TRUE(promise.pending());
  EXPECT_FALSE(reply.ready());
  promise.set_value(false);
  EXPECT_NO_THROW(reply.get());
}

// ===== misuse ==========================================================================

TEST(ReplyMisuse, UsingAConsumedReplyThrowsInvalidReply) {
  auto [promise, reply] = Promise<int>::make();
  promise.set_value(1);
  EXPECT_EQ(reply.get(), 1);
  EXPECT_THROW(reply.get(), InvalidReply);
  EXPECT_THROW(reply.get_for(1ms), InvalidReply);
  EXPECT_THROW(reply.try_get(), InvalidReply);
  EXPECT_THROW(reply.then([](Outcome<int>) {}), InvalidReply);
  EXPECT_FALSE(reply.ready());
}

TEST(ReplyMisuse, UsingAMovedFromReplyThrowsInvalidReply) {
  auto [promise, reply] = Promise<int>::make();
  Reply<int> moved = std::move(reply);
  EXPECT_THROW(reply.get(), InvalidReply);  // NOLINT(bugprone-use-after-move): on purpose
  promise.set_value(4);
  EXPECT_EQ(moved.get(), 4);
}

TEST(ReplyMisuse, AnsweringTwiceThrowsInvalidReply) {
  auto [promise, reply] = Promise<int>::make();
  promise.set_value(1);
  EXPECT_FALSE(promise.pending());
  EXPECT_THROW(promise.set_value(2), InvalidReply);
  EXPECT_THROW(promise.set_error(std::make_exception_ptr(CustomError(0))), InvalidReply);
  EXPECT_EQ(reply.get(), 1);
}

TEST(ReplyMisuse, GetThrowsWouldBlockWorkerWhereBlockingIsForbidden) {
  auto [promise, reply] = Promise<int>::make();
  tact::detail::set_blocking_forbidden(true);
  EXPECT_THROW(reply.get(), WouldBlockWorker);
  EXPECT_THROW(reply.get_for(1s), WouldBlockWorker);
  EXPECT_TRUE(reply.valid());
  EXPECT_FALSE(reply.try_get().has_value());  // never blocks: still allowed
  promise.set_value(9);
  EXPECT_THROW(reply.get(), WouldBlockWorker);  // even when it would not block
  EXPECT_EQ(reply.try_get(), 9);
  tact::detail::set_blocking_forbidden(false);
}

TEST(ReplyMisuse, BlockingIsForbiddenPerThreadOnly) {
  tact::detail::set_blocking_forbidden(true);
  bool other_thread_forbidden = true;
  std::thread([&] { other_thread_forbidden = tact::detail::blocking_forbidden(); }).join();
  tact::detail::set_blocking_forbidden(false);
  EXPECT_FALSE(other_thread_forbidden);
}

// ===== timeouts ========================================================================

TEST(ReplyTimeout, GetForThrowsTimeoutAndTheReplyStaysUsable) {
  auto [promise, reply] = Promise<int>::make();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(reply.get_for(2ms), Timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2ms);
  EXPECT_TRUE(reply.valid());
  EXPECT_THROW(reply.get_for(0ms), Timeout);  // zero: one look, no wait
  EXPECT_TRUE(reply.valid());
  promise.set_value(3);
  EXPECT_EQ(reply.get(), 3);
}

TEST(ReplyTimeout, AValueArrivingAfterATimeoutIsReceivedByTheNextWait) {
  tact::test::Watchdog watchdog("get_for after a timeout");
  auto [promise, reply] = Promise<int>::make();
  EXPECT_THROW(reply.get_for(1ms), Timeout);  // parks, then withdraws
  std::thread writer = answer_later(std::move(promise), 3ms, 8);
  EXPECT_EQ(reply.get_for(10s), 8);  // parks again, on the same thread's Parker
  writer.join();
}

TEST(ReplyTimeout, AReplyTimedOutOnOneThreadCanBeAwaitedOnAnother) {
  tact::test::Watchdog watchdog("get on a second thread after a timeout");
  auto [promise, reply] = Promise<int>::make();
  EXPECT_THROW(reply.get_for(1ms), Timeout);
  std::thread writer = answer_later(std::move(promise), 3ms, 5);
  int got = 0;
  std::thread([&, r = std::move(reply)]() mutable { got = r.get(); }).join();
  writer.join();
  EXPECT_EQ(got, 5);
}

TEST(ReplyTimeout, GetForReturnsAtOnceWhenTheValueIsThere) {
  auto [promise, reply] = Promise<int>::make();
  promise.set_value(1);
  EXPECT_EQ(reply.get_for(0ms), 1);
}

TEST(ReplyTimeout, GetUntilAPastDeadlineThrowsTimeoutWithoutBlocking) {
  auto [promise, reply] = Promise<int>::make();
  EXPECT_THROW(reply.get_until(std::chrono::steady_clock::now() - 1s), Timeout);
  EXPECT_TRUE(reply.valid());
  promise.set_value(1);
}

TEST(ReplyTimeout, AnEnormousTimeoutMeansNoDeadlineRatherThanOverflowing) {
  tact::test::Watchdog watchdog("get_for(hours::max())");
  auto [promise, reply] = Promise<int>::make();
  std::thread writer = answer_later(std::move(promise), 2ms, 6);
  EXPECT_EQ(reply.get_for(std::chrono::hours::max()), 6);
  writer.join();
}

// ===== try_get =========================================================================

TEST(ReplyTryGet, TryGetIsEmptyWhilePendingThenReturnsTheValue) {
  auto [promise, reply] = Promise<int>::make();
  EXPECT_EQ(reply.try_get(), std::nullopt);
  EXPECT_TRUE(reply.valid());
  promise.set_value(11);
  EXPECT_EQ(reply.try_get(), 11);
  EXPECT_FALSE(reply.valid());
}

TEST(ReplyTryGet, TryGetOnAVoidReplyIsFalseThenTrue) {
  auto [promise, reply] = Promise<void>::make();
  EXPECT_FALSE(reply.try_get());
  promise.set_value();
  EXPECT_TRUE(reply.try_get());
  EXPECT_FALSE(reply.valid());
}

TEST(ReplyTryGet, TryGetThrowsTheError) {
  auto [promise, reply] = Promise<int>::make();
  promise.set_error(std::make_exception_ptr(CustomError(1)));
  EXPECT_THROW(reply.try_get(), CustomError);
  EXPECT_FALSE(reply.valid());
}

// ===== then ============================================================================

TEST(ReplyThen, ThenAfterTheValueRunsAtOnceOnTheCallingThread) {
  auto [promise, reply] = Promise<int>::make();
  promise.set_value(5);
  int runs = 0;
  int seen = 0;
  std::thread::id ran_on;
  reply.then([&](Outcome<int> outcome) {
    ++runs;
    seen = outcome.value();
    ran_on = std::this_thread::get_id();
  });
  EXPECT_FALSE(reply.valid());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(seen, 5);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(ReplyThen, ThenBeforeTheValueRunsOnceOnTheWritersThread) {
  auto [promise, reply] = Promise<int>::make();
  int runs = 0;  // plain: the join below orders the continuation before our reads
  int seen = 0;
  std::thread::id ran_on;
  reply.then([&](Outcome<int> outcome) {
    ++runs;
    seen = outcome.value();
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(runs, 0);
  std::thread::id writer_id;
  std::thread writer([&, p = std::move(promise)]() mutable {
    writer_id = std::this_thread::get_id();
    p.set_value(6);
  });
  writer.join();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(seen, 6);
  EXPECT_EQ(ran_on, writer_id);
}

TEST(ReplyThen, ThenReceivesTheErrorInTheOutcome) {
  auto [promise, reply] = Promise<void>::make();
  std::exception_ptr error;
  reply.then([&](Outcome<void> outcome) { error = outcome.error(); });
  { Promise<void> dropped = std::move(promise); }
  ASSERT_NE(error, nullptr);
  EXPECT_THROW(std::rethrow_exception(error), BrokenPromise);
}

TEST_F(ReplyPayload, ThenDestroysTheCallableAndTheValueOnce) {
  auto [promise, reply] = Promise<Counted>::make();
  int runs = 0;
  reply.then([&runs, guard = Counted(0)](Outcome<Counted> outcome) {
    runs += outcome.value().value;
  });
  EXPECT_GE(Counted::live.load(relaxed), 1);  // the callable's capture is alive
  promise.set_value(1);
  EXPECT_EQ(runs, 1);
  // TearDown: zero live: capture and value both destroyed.
}

// ===== abandoning ======================================================================

TEST_F(ReplyPayload, AReplyDroppedBeforeTheValueFreesItWhenTheValueComes) {
  auto [promise, reply] = Promise<Counted>::make();
  { Reply<Counted> dropped = std::move(reply); }
  promise.set_value(1);  // the writer finishes last: it frees slot and value
  EXPECT_EQ(Counted::live.load(relaxed), 0);
}

TEST_F(ReplyPayload, AReplyDroppedAfterTheValueFreesItAtOnce) {
  auto [promise, reply] = Promise<Counted>::make();
  promise.set_value(1);
  EXPECT_EQ(Counted::live.load(relaxed), 1);
  { Reply<Counted> dropped = std::move(reply); }
  EXPECT_EQ(Counted::live.load(relaxed), 0);
}

TEST_F(ReplyPayload, AReplyDroppedAfterATimedOutWaitIsFreedOnce) {
  auto [promise, reply] = Promise<Counted>::make();
  EXPECT_THROW(reply.get_for(1ms), Timeout);
  { Reply<Counted> dropped = std::move(reply); }
  promise.set_value(1);
}

TEST_F(ReplyPayload, MoveAssigningOverAPendingReplyAbandonsIt) {
  auto [first_promise, first] = Promise<Counted>::make();
  auto [second_promise, second] = Promise<Counted>::make();
  first = std::move(second);
  first_promise.set_value(1);  // goes nowhere, freed by the writer
  second_promise.set_value(2);
  EXPECT_EQ(first.get().value, 2);
}

// ===== memory ordering =================================================================

// What the writer wrote before set_value() is visible after get(): `payload` is a
// plain int, so TSan reports a race if the slot's release/acquire chain is broken.
TEST(ReplyOrdering, WritesBeforeSetValueAreVisibleAfterGet) {
  tact::test::Watchdog watchdog("visibility through get()");
  for (int delay_us : {0, 1, 200}) {  // caught while spinning, and after parking
    int payload = 0;
    auto [promise, reply] = Promise<void>::make();
    std::thread writer([&payload, delay_us, p = std::move(promise)]() mutable {
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
      payload = 42;
      p.set_value();
    });
    reply.get();
    EXPECT_EQ(payload, 42);
    writer.join();
  }
}

TEST(ReplyOrdering, WritesBeforeSetValueAreVisibleToTryGetAndGetFor) {
  int payload = 0;   // published by the first reply
  int payload2 = 0;  // published by the second
  auto [promise, reply] = Promise<void>::make();
  auto [promise2, reply2] = Promise<void>::make();
  std::thread writer([&, p = std::move(promise), p2 = std::move(promise2)]() mutable {
    payload = 1;
    p.set_value();
    std::this_thread::sleep_for(1ms);
    payload2 = 2;
    p2.set_value();
  });
  while (!reply.try_get()) std::this_thread::yield();
  EXPECT_EQ(payload, 1);
  for (;;) {
    try {
      reply2.get_for(100us);
      break;
    } catch (const Timeout&) {
    }
  }
  EXPECT_EQ(payload2, 2);
  writer.join();
}

TEST(ReplyOrdering, WritesBeforeSetValueAreVisibleInTheContinuation) {
  int payload = 0;
  int seen = 0;
  auto [promise, reply] = Promise<void>::make();
  std::thread writer([&payload, p = std::move(promise)]() mutable {
    std::this_thread::sleep_for(1ms);
    payload = 42;
    p.set_value();
  });
  reply.then([&](Outcome<void>) { seen = payload; });  // runs on either thread
  writer.join();
  EXPECT_EQ(seen, 42);
}

// ===== the thread's Parker =============================================================

// A token left on this thread's Parker by some other waker (the Parker is shared
// by every wait on the thread) must not end get() before the value is there.
TEST(ReplyParking, AStrayParkerTokenDoesNotEndAWaitEarly) {
  tact::test::Watchdog watchdog("get() with a stray token");
  auto [promise, reply] = Promise<int>::make();
  tact::detail::Parker::current().unpark();  // the stray token
  std::thread writer = answer_later(std::move(promise), 5ms, 12);
  EXPECT_EQ(reply.get(), 12);
  writer.join();

  auto [promise2, reply2] = Promise<int>::make();
  tact::detail::Parker::current().unpark();
  std::thread writer2 = answer_later(std::move(promise2), 5ms, 13);
  EXPECT_EQ(reply2.get_for(10s), 13);
  writer2.join();
}

TEST(ReplyParking, ManyParkedWaitsOnOneThreadEachGetTheirOwnValue) {
  tact::test::Watchdog watchdog("sequential parked waits");
  for (int i = 0; i < 20; ++i) {
    auto [promise, reply] = Promise<int>::make();
    std::thread writer = answer_later(std::move(promise), 200us, i);
    if (i % 2 == 0) {
      EXPECT_EQ(reply.get(), i);
    } else {
      EXPECT_EQ(reply.get_for(10s), i);
    }
    writer.join();
  }
}

}  // namespace
