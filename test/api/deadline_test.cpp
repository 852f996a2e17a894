// Deadlines: asks that carry one (answered Timeout and never handled when still
// queued at the deadline), and awaiting a reply for at most a duration inside
// a coroutine handler (tact::with_timeout).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
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

struct Busy {
  std::chrono::milliseconds d;
};
struct Hold {
  std::atomic<bool>* gate;
};
struct Work {
  int x;
};

class Server {
 public:
  explicit Server(std::shared_ptr<std::atomic<int>> handled) : handled_(std::move(handled)) {}
  void handle(Busy b) { std::this_thread::sleep_for(b.d); }
  // Busy until the test opens the gate (bounded: a stuck test fails, not hangs).
  void handle(Hold h) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!h.gate->load() && std::chrono::steady_clock::now() < limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  int handle(Work w) {
    handled_->fetch_add(1);
    return w.x * 2;
  }

 private:
  std::shared_ptr<std::atomic<int>> handled_;
};

TEST(DeadlineAsk, AnsweredInTimeWhenTheActorIsFree) {
  Watchdog dog("deadline in time");
  tact::Runtime rt(workers(2));
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto s = rt.spawn<Server>(handled);
  EXPECT_EQ(s.ask(Work{21}, tact::Deadline::in(10s)).get(), 42);
  EXPECT_EQ(rt.stats().requests_expired, 0u);
}

TEST(DeadlineAsk, ARequestStillQueuedAtItsDeadlineIsAnsweredTimeoutAndNeverHandled) {
  Watchdog dog("deadline expires");
  tact::Runtime rt(workers(2));
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto s = rt.spawn<Server>(handled);
  // The actor is held until the answer is in: it was answered at the deadline,
  // not when the actor got to it (the order proves it, not a wall-clock bound).
  std::atomic<bool> gate{false};
  s.tell(Hold{&gate});
  const auto start = std::chrono::steady_clock::now();
  tact::Reply<int> late = s.ask(Work{1}, tact::Deadline::in(30ms));
  EXPECT_THROW((void)late.get(), tact::Timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);  // never early
  EXPECT_EQ(handled->load(), 0);
  gate.store(true);
  EXPECT_EQ(s.ask(Work{2}).get(), 4);  // after Hold: the expired one was skipped
  EXPECT_EQ(handled->load(), 1);
  EXPECT_EQ(rt.stats().requests_expired, 1u);
}

TEST(DeadlineAsk, APassedDeadlineIsAnsweredAtOnce) {
  tact::Runtime rt(workers(1));
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto s = rt.spawn<Server>(handled);
  tact::Deadline past{std::chrono::steady_clock::now() - 1ms};
  EXPECT_THROW((void)s.ask(Work{1}, past).get(), tact::Timeout);
  EXPECT_EQ(handled->load(), 0);
}

TEST(DeadlineAsk, AStoppedActorAnswersActorStoppedNotTimeout) {
  tact::Runtime rt(workers(1));
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto s = rt.spawn<Server>(handled);
  s.kill();
  ASSERT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  EXPECT_THROW((void)s.ask(Work{1}, tact::Deadline::in(1s)).get(), tact::ActorStopped);
}

TEST(DeadlineAsk, RacesBetweenTheDeadlineAndTheHandlerAnswerEachAskOnce) {
  Watchdog dog("deadline races", 120s);
  tact::Runtime rt(workers(2));
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto s = rt.spawn<Server>(handled);
  const long n = scaled(4000);
  std::vector<tact::Reply<int>> replies;
  for (long i = 0; i < n; ++i) {
    replies.push_back(s.ask(Work{1}, tact::Deadline::in(std::chrono::microseconds(i % 200))));
  }
  long ok = 0;
  long timed_out = 0;
  for (auto& r : replies) {
    try {
      EXPECT_EQ(r.get(), 2);
      ++ok;
    } catch (const tact::Timeout&) {
      ++timed_out;
    }
  }
  EXPECT_EQ(ok + timed_out, n);
  ASSERT_TRUE(eventually([&] { return handled->load() == ok; }));
  EXPECT_EQ(static_cast<long>(rt.stats().requests_expired), timed_out);
}

// -- with_timeout inside a coroutine -----------------------------------------------------------

struct Call {
  std::chrono::milliseconds budget;
};
class Client {
 public:
  explicit Client(tact::ActorRef<Server> server) : server_(std::move(server)) {}
  tact::Task<int> handle(Call c) {
    try {
      co_return co_await tact::with_timeout(server_.ask(Work{5}), c.budget);
    } catch (const tact::Timeout&) {
      co_return -1;
    }
  }

 private:
  tact::ActorRef<Server> server_;
};

TEST(WithTimeout, TheReplyWinsWhenItComesInTime) {
  Watchdog dog("with_timeout reply");
  tact::Runtime rt(workers(2));
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto c = rt.spawn<Client>(rt.spawn<Server>(handled));
  EXPECT_EQ(c.ask(Call{10s}).get(), 10);
}

TEST(WithTimeout, TheTimeoutWinsWhenTheReplyIsLate) {
  Watchdog dog("with_timeout timeout");
  tact::Runtime rt(workers(2));
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto server = rt.spawn<Server>(handled);
  auto c = rt.spawn<Client>(server);
  // The server cannot answer until the gate opens, which happens only after the
  // client's answer is in: the timeout must have won (no wall-clock bound: the
  // machine may be slow, the order cannot change).
  std::atomic<bool> gate{false};
  server.tell(Hold{&gate});
  EXPECT_EQ(c.ask(Call{20ms}).get(), -1);
  EXPECT_EQ(handled->load(), 0);
  gate.store(true);
  EXPECT_TRUE(eventually([&] { return handled->load() == 1; }));  // the late answer is dropped
}

TEST(WithTimeout, RacesBetweenReplyAndTimeoutResolveOnce) {
  Watchdog dog("with_timeout races", 120s);
  tact::Runtime rt(workers(2));
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto server = rt.spawn<Server>(handled);
  std::vector<tact::ActorRef<Client>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(rt.spawn<Client>(server));
  const long n = scaled(3000);
  std::vector<tact::Reply<int>> replies;
  for (long i = 0; i < n; ++i) {
    replies.push_back(clients[static_cast<std::size_t>(i % 4)].ask(
        Call{std::chrono::milliseconds(i % 3)}));
  }
  for (auto& r : replies) {
    const int v = r.get();
    EXPECT_TRUE(v == 10 || v == -1) << v;
  }
}

TEST(WithTimeout, KillingTheAwaitingActorCancelsItsTimer) {
  Watchdog dog("with_timeout kill");
  tact::Runtime rt(workers(2));
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto server = rt.spawn<Server>(handled);
  auto c = rt.spawn<Client>(server);
  server.tell(Busy{100ms});
  tact::Reply<int> r = c.ask(Call{10s});
  std::this_thread::sleep_for(10ms);
  c.kill();
  EXPECT_THROW((void)r.get(), tact::ActorStopped);
}

}  // namespace
