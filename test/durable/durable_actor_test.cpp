// Durable actors on the shared 3-server JetStream cluster: an answered ask's
// effect survives its host, a retried request is applied once, snapshots,
// failures inside a handler, passivation, and one owner at a time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

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
