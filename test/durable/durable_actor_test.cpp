// Durable actors on the shared 3-server JetStream cluster: an answered ask's
// effect survives its host, a retried request is applied once, snapshots,
// failures inside a handler, passivation, and one owner at a time.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "durable/account.hpp"
#include "durable/store_fixture.hpp"
#include "support/watchdog.hpp"
#include "tact/nats/durable.hpp"
#include "tact/tact.hpp"

namespace {
using namespace tact::test::durable_account;

class DurableActorTest : public tact::test::DurableStoreTest {
 protected:
  void SetUp() override { (void)store(); }  // waits until JetStream answers
  tact::nats::DurableOptions options(std::string node) {
    tact::nats::DurableOptions o;
    o.servers = cluster().urls();
    o.cluster = "actors";
    o.node = std::move(node);
    o.lease = std::chrono::milliseconds(3000);
    return o;
  }
  tact::Runtime rt;
};

TEST_F(DurableActorTest, AnAnsweredDepositSurvivesItsHost) {
  tact::test::Watchdog dog("survives", std::chrono::seconds(90));
  {
    tact::nats::DurableHost host(rt, options("n1"));
    auto account = host.get<Account>("account/1");
    EXPECT_EQ(account.ask(Deposit{5}).get(), 5);
    EXPECT_EQ(account.ask(Deposit{7}).get(), 12);
    EXPECT_EQ(host.running(), 1u);
  }  // the host goes: its incarnation stops and hands the lease back
  tact::nats::DurableHost other(rt, options("n2"));
  EXPECT_EQ(other.get<Account>("account/1").ask(Balance{}).get(), 12);
}

TEST_F(DurableActorTest, ARetriedRequestIsAnsweredAgainAndAppliedOnce) {
  tact::test::Watchdog dog("retry", std::chrono::seconds(90));
  tact::nats::DurableHost host(rt, options("n1"));
  auto account = host.get<Account>("account/retry");
  EXPECT_EQ(account.ask(Deposit{10}, "client-7:op-1").get(), 10);
  EXPECT_EQ(account.ask(Deposit{10}, "client-7:op-1").get(), 10);  // the first answer again
  EXPECT_EQ(account.ask(Balance{}).get(), 10);
}

TEST_F(DurableActorTest, ARetryIsRecognisedByTheNextOwnerToo) {
  tact::test::Watchdog dog("retry across owners", std::chrono::seconds(90));
  {
    tact::nats::DurableHost host(rt, options("n1"));
    EXPECT_EQ(host.get<Account>("account/retry2").ask(Deposit{3}, "c:op-9").get(), 3);
  }
  tact::nats::DurableHost next(rt, options("n2"));
  auto account = next.get<Account>("account/retry2");
  EXPECT_EQ(account.ask(Deposit{3}, "c:op-9").get(), 3);
  EXPECT_EQ(account.ask(Balance{}).get(), 3);
}

TEST_F(DurableActorTest, RecoveryFromASnapshotAndTheRecordsAfterIt) {
  tact::test::Watchdog dog("snapshot", std::chrono::seconds(90));
  auto o = options("n1");
  o.snapshot_every = 4;
  o.recent_requests = 8;
  {
    tact::nats::DurableHost host(rt, o);
    auto account = host.get<Account>("account/snap");
    for (int i = 1; i <= 10; ++i) EXPECT_EQ(account.ask(Deposit{i}, "op-" + std::to_string(i)).get(), i * (i + 1) / 2);
  }
  tact::nats::DurableHost next(rt, o);
  auto account = next.get<Account>("account/snap");
  EXPECT_EQ(account.ask(Balance{}).get(), 55);
  EXPECT_EQ(account.ask(Deposit{10}, "op-10").get(), 55);  // remembered through the snapshot
  EXPECT_EQ(account.ask(Balance{}).get(), 55);
}

TEST_F(DurableActorTest, AHandlerThatThrowsLeavesNoTrace) {
  tact::test::Watchdog dog("throws", std::chrono::seconds(90));
  tact::nats::DurableHost host(rt, options("n1"));
  auto account = host.get<Account>("account/throws");
  EXPECT_EQ(account.ask(Deposit{1}).get(), 1);
  EXPECT_THROW(account.ask(Fail{}).get(), tact::HandlerFailed);
  // Recorded, then threw: the event was applied in memory, never persisted;
  // the incarnation is dropped and the next ask rebuilds it without it.
  EXPECT_THROW(account.ask(DepositThenFail{100}).get(), tact::HandlerFailed);
  EXPECT_EQ(account.ask(Balance{}).get(), 1);
}

TEST_F(DurableActorTest, AnIdleActorIsPassivatedAndComesBack) {
  tact::test::Watchdog dog("passivate", std::chrono::seconds(90));
  auto o = options("n1");
  o.idle = std::chrono::milliseconds(200);
  o.lease = std::chrono::milliseconds(600);  // ticks every 200 ms
  tact::nats::DurableHost host(rt, o);
  auto account = host.get<Account>("account/idle");
  EXPECT_EQ(account.ask(Deposit{4}).get(), 4);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (host.running() != 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(host.running(), 0u);
  EXPECT_EQ(account.ask(Deposit{1}).get(), 5);
}

TEST_F(DurableActorTest, AnAskAtAnotherHostReachesTheOneThatRunsIt) {
  tact::test::Watchdog dog("one owner", std::chrono::seconds(90));
  tact::nats::DurableHost a(rt, options("a"));
  tact::nats::DurableHost b(rt, options("b"));
  EXPECT_EQ(a.get<Account>("account/one").ask(Deposit{2}).get(), 2);
  // b finds a as the lease's holder and sends the ask there: one owner.
  EXPECT_EQ(b.get<Account>("account/one").ask(Deposit{3}).get(), 5);
  EXPECT_EQ(a.running(), 1u);
  EXPECT_EQ(b.running(), 0u);
  // A failure there comes back as HandlerFailed with the remote text.
  try {
    (void)b.get<Account>("account/one").ask(Fail{}).get();
    ADD_FAILURE() << "no HandlerFailed";
  } catch (const tact::HandlerFailed& e) {
    EXPECT_NE(std::string(e.what()).find("refused"), std::string::npos) << e.what();
  }
  // A retry through b of a request a answered: the first answer again.
  EXPECT_EQ(a.get<Account>("account/one").ask(Deposit{10}, "r-1").get(), 15);
  EXPECT_EQ(b.get<Account>("account/one").ask(Deposit{10}, "r-1").get(), 15);
  EXPECT_EQ(b.get<Account>("account/one").ask(Balance{}).get(), 15);
}

TEST_F(DurableActorTest, AClientOnlyHostAsksAndRunsNothing) {
  tact::test::Watchdog dog("client only", std::chrono::seconds(90));
  tact::nats::DurableHost server(rt, options("server"));
  server.serve<Account>();
  auto o = options("client");
  o.hosts_actors = false;
  tact::nats::DurableHost client(rt, o);
  // Nobody runs it: the client sends it to the hosts' queue group, and the
  // server activates it there.
  auto account = client.get<Account>("account/client");
  EXPECT_EQ(account.ask(Deposit{4}, "c-1").get(), 4);
  EXPECT_EQ(account.ask(Deposit{4}, "c-1").get(), 4);  // a retry: answered once
  EXPECT_EQ(account.ask(Deposit{1}).get(), 5);         // now by the lease's holder
  EXPECT_EQ(client.running(), 0u);
  EXPECT_EQ(server.running(), 1u);
  EXPECT_EQ(server.get<Account>("account/client").ask(Balance{}).get(), 5);
  EXPECT_THROW(client.serve<Account>(), tact::Error);
}

TEST_F(DurableActorTest, AClientOnlyHostWithNoHostsSaysSo) {
  tact::test::Watchdog dog("client alone", std::chrono::seconds(60));
  auto o = options("lonely-client");
  o.cluster = "nohosts";  // nobody hosts actors of this cluster
  o.hosts_actors = false;
  o.ask_timeout = std::chrono::milliseconds(1000);
  tact::nats::DurableHost client(rt, o);
  try {
    (void)client.get<Account>("account/alone").ask(Deposit{1}).get();
    ADD_FAILURE() << "answered with no host";
  } catch (const tact::nats::OwnershipLost& e) {
    EXPECT_NE(std::string(e.what()).find("no node hosts durable actors of cluster 'nohosts'"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(client.running(), 0u);
}

TEST_F(DurableActorTest, WhenTheOwnerGoesTheNextAskTakesTheActorOver) {
  tact::test::Watchdog dog("take over", std::chrono::seconds(90));
  tact::nats::DurableHost b(rt, options("b"));
  {
    tact::nats::DurableHost a(rt, options("a"));
    EXPECT_EQ(a.get<Account>("account/over").ask(Deposit{6}).get(), 6);
  }  // a closes: its lease is handed back
  EXPECT_EQ(b.get<Account>("account/over").ask(Deposit{1}).get(), 7);
  EXPECT_EQ(b.running(), 1u);
}

// What on_answer saw: (actor, request id, epoch, recorded, decided, when the
// hook ran), in order.
struct AnswerLog {
  struct Row {
    std::string actor;
    std::string request_id;
    std::uint64_t epoch;
    bool recorded;
    std::chrono::steady_clock::time_point decided;
    std::chrono::steady_clock::time_point logged;
  };
  std::mutex mutex;
  std::vector<Row> rows;
  std::function<void(const tact::nats::DurableAnswer&)> hook() {
    return [this](const tact::nats::DurableAnswer& a) {
      std::lock_guard<std::mutex> lock(mutex);
      rows.push_back({std::string(a.actor), std::string(a.request_id), a.epoch, a.recorded, a.decided,
                      std::chrono::steady_clock::now()});
    };
  }
  std::vector<Row> take() {
    std::lock_guard<std::mutex> lock(mutex);
    return std::exchange(rows, {});
  }
};

TEST_F(DurableActorTest, EveryAnswerIsLoggedWithItsOwnersEpoch) {
  tact::test::Watchdog dog("answer log", std::chrono::seconds(90));
  AnswerLog log_a;
  AnswerLog log_b;
  std::uint64_t first_epoch = 0;
  {
    auto o = options("a");
    o.on_answer = log_a.hook();
    tact::nats::DurableHost a(rt, o);
    auto account = a.get<Account>("account/logged");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(account.ask(Deposit{3}, "op-1").get(), 3);
    EXPECT_EQ(account.ask(Deposit{3}, "op-1").get(), 3);  // a retry: answered from memory
    EXPECT_EQ(account.ask(Balance{}, "read-1").get(), 3);
    EXPECT_THROW(account.ask(Fail{}, "op-2").get(), tact::HandlerFailed);  // no value: not logged
    const auto rows = log_a.take();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].actor, "account/logged");
    EXPECT_EQ(rows[0].request_id, "op-1");
    EXPECT_TRUE(rows[0].recorded);
    EXPECT_EQ(rows[1].request_id, "op-1");
    EXPECT_FALSE(rows[1].recorded);
    EXPECT_EQ(rows[2].request_id, "read-1");
    EXPECT_FALSE(rows[2].recorded);
    first_epoch = rows[0].epoch;
    EXPECT_GT(first_epoch, 0u);
    EXPECT_EQ(rows[1].epoch, first_epoch);
    EXPECT_EQ(rows[2].epoch, first_epoch);
    // Each decided during its ask, before its hook ran, in the asks' order.
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_LE(i == 0 ? start : rows[i - 1].logged, rows[i].decided) << "answer " << i;
      EXPECT_LE(rows[i].decided, rows[i].logged) << "answer " << i;
    }
  }  // a hands the lease back; b's tenure is a new epoch
  auto o = options("b");
  o.on_answer = log_b.hook();
  tact::nats::DurableHost b(rt, o);
  EXPECT_EQ(b.get<Account>("account/logged").ask(Deposit{1}, "op-3").get(), 4);
  const auto rows = log_b.take();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].request_id, "op-3");
  EXPECT_GT(rows[0].epoch, first_epoch);
  EXPECT_TRUE(log_a.take().empty());  // b ran it: nothing more on a's log
}

// The deliberate fault of the fault test is named exactly, or refused before
// anything connects.
TEST(DurableFault, AnUnknownFaultIsRefused) {
  ::setenv("TACT_DURABLE_FAULT", "answer-later", 1);
  tact::Runtime rt;
  tact::nats::DurableOptions o;
  o.servers = {"nats://127.0.0.1:1"};  // never reached: the name is checked first
  try {
    tact::nats::DurableHost host(rt, o);
    ADD_FAILURE() << "an unknown fault was accepted";
  } catch (const tact::Error& e) {
    EXPECT_NE(std::string(e.what()).find("TACT_DURABLE_FAULT='answer-later'"), std::string::npos) << e.what();
  }
  ::unsetenv("TACT_DURABLE_FAULT");
}

// A request whose incarnation stops before handling it is sent again, also
// when a route's callbacks still hold it (as when a route activated it here).
TEST(DurableInvocation, ADroppedInvocationIsSentAgainThoughARouteHoldsItToo) {
  using Call = tact::nats::detail::Invocation<Account>::Call;
  auto call = std::make_shared<Call>();
  int sent_again = 0;
  call->resolve = [](const std::string*, std::exception_ptr) {};
  call->redispatch = [&](std::shared_ptr<Call>) { ++sent_again; };
  const std::shared_ptr<Call> held_by_a_route = call;
  { tact::nats::detail::Invocation<Account> dropped(std::move(call)); }
  EXPECT_EQ(sent_again, 1);
}

// A request dropped unanswered anywhere says "ask again", not "broken promise".
TEST(DurableInvocation, ADroppedRequestIsAnsweredOwnershipLost) {
  using Call = tact::nats::detail::Invocation<Account>::Call;
  std::exception_ptr error;
  auto call = std::make_shared<Call>();
  call->resolve = [&](const std::string*, std::exception_ptr e) { error = std::move(e); };
  call.reset();
  ASSERT_TRUE(error);
  EXPECT_THROW(std::rethrow_exception(error), tact::nats::OwnershipLost);
}

TEST_F(DurableActorTest, ManyAsksToManyActorsFromManyThreads) {
  tact::test::Watchdog dog("many", std::chrono::seconds(120));
  tact::nats::DurableHost host(rt, options("n1"));
  constexpr int kActors = 10;
  constexpr int kThreads = 4;
  constexpr int kDeposits = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kDeposits; ++i) {
        for (int a = 0; a < kActors; ++a) {
          (void)host.get<Account>("account/many-" + std::to_string(a))
              .ask(Deposit{1}, "t" + std::to_string(t) + "-" + std::to_string(i))
              .get();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int a = 0; a < kActors; ++a) {
    EXPECT_EQ(host.get<Account>("account/many-" + std::to_string(a)).ask(Balance{}).get(), kThreads * kDeposits);
  }
}

}  // namespace
