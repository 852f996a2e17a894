// The durable tier's foundations against a real 3-server JetStream cluster
// (R3): the fenced event log and the lease.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "durable/event_log.hpp"
#include "durable/jetstream.hpp"
#include "durable/lease.hpp"
#include "durable/store_fixture.hpp"
#include "support/watchdog.hpp"

namespace {

using tact::nats::durable::Appended;
using tact::nats::durable::EventLog;
using tact::nats::durable::JetStream;
using tact::nats::durable::Lease;
using tact::nats::durable::StoreConfig;
using Clock = std::chrono::steady_clock;

using tact::test::open_store;

class EventLogTest : public tact::test::DurableStoreTest {
 protected:
  static JetStream* store_;
  static tact::test::JetStreamCluster* cluster_;
  void SetUp() override {
    store_ = &store();
    cluster_ = &cluster();
  }
};
JetStream* EventLogTest::store_ = nullptr;
tact::test::JetStreamCluster* EventLogTest::cluster_ = nullptr;

TEST_F(EventLogTest, TheFirstAppendIsFencedToo) {
  tact::test::Watchdog dog("first append", std::chrono::seconds(60));
  EventLog log(*store_, "account/first");
  auto a = log.append("e1", "id-a", 0, in(10000));
  ASSERT_EQ(a.outcome, Appended::kStored) << a.error.text;
  EXPECT_GT(a.sequence, 0u);
  // A second writer that also believes the actor has no events is fenced.
  auto b = log.append("e1'", "id-b", 0, in(10000));
  EXPECT_EQ(b.outcome, Appended::kFenced);
  EXPECT_EQ(log.last().sequence, a.sequence);
}

TEST_F(EventLogTest, AStaleOwnerIsFencedAfterANewOwnerAppends) {
  tact::test::Watchdog dog("stale owner", std::chrono::seconds(60));
  EventLog old_owner(*store_, "account/stale");
  EventLog new_owner(*store_, "account/stale");
  auto first = old_owner.append("deposit 10", "op-1", 0, in(10000));
  ASSERT_EQ(first.outcome, Appended::kStored) << first.error.text;
  // The new owner takes over from what the stream leader says...
  auto last = new_owner.last();
  ASSERT_FALSE(last.error) << last.error.text;
  ASSERT_EQ(last.sequence, first.sequence);
  EXPECT_EQ(last.msg_id, "op-1");
  auto second = new_owner.append("deposit 5", "op-2", last.sequence, in(10000));
  ASSERT_EQ(second.outcome, Appended::kStored) << second.error.text;
  // ...and the old one, still believing `first` is the last, cannot write.
  auto stale = old_owner.append("withdraw 10", "op-3", first.sequence, in(10000));
  EXPECT_EQ(stale.outcome, Appended::kFenced);
  EXPECT_EQ(new_owner.last().sequence, second.sequence);
}

TEST_F(EventLogTest, ARetryOfAnAppendThatLandedIsStoredOnce) {
  tact::test::Watchdog dog("retry", std::chrono::seconds(60));
  EventLog log(*store_, "account/retry");
  auto first = log.append("deposit 1", "op-x", 0, in(10000));
  ASSERT_EQ(first.outcome, Appended::kStored) << first.error.text;
  // The writer never saw the ack (say it timed out) and retries the same
  // attempt: stored, at the same sequence, not twice.
  auto again = log.append("deposit 1", "op-x", 0, in(10000));
  ASSERT_EQ(again.outcome, Appended::kStored) << again.error.text;
  EXPECT_EQ(again.sequence, first.sequence);
  int events = 0;
  auto error = log.read(0, log.last().sequence, [&](std::uint64_t, std::string_view, std::string_view) { ++events; },
                        in(10000));
  ASSERT_FALSE(error) << error.text;
  EXPECT_EQ(events, 1);
}

TEST_F(EventLogTest, ReadGivesOneActorsEventsInOrderAmongOthers) {
  tact::test::Watchdog dog("read", std::chrono::seconds(60));
  EventLog mine(*store_, "account/mine");
  EventLog other(*store_, "account/other");
  std::uint64_t last = 0;
  std::uint64_t other_last = 0;
  for (int i = 0; i < 20; ++i) {
    auto a = mine.append("e" + std::to_string(i), "m" + std::to_string(i), last, in(10000));
    ASSERT_EQ(a.outcome, Appended::kStored) << a.error.text;
    last = a.sequence;
    auto b = other.append("x", "o" + std::to_string(i), other_last, in(10000));
    ASSERT_EQ(b.outcome, Appended::kStored) << b.error.text;
    other_last = b.sequence;
  }
  std::vector<std::string> seen;
  std::uint64_t previous = 0;
  auto error = mine.read(0, last, [&](std::uint64_t seq, std::string_view data, std::string_view id) {
    EXPECT_GT(seq, previous);
    previous = seq;
    EXPECT_EQ(id, "m" + std::to_string(seen.size()));
    seen.emplace_back(data);
  }, in(10000));
  ASSERT_FALSE(error) << error.text;
  ASSERT_EQ(seen.size(), 20u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], "e" + std::to_string(i));
  // From the middle: only what follows.
  std::vector<std::uint64_t> tail;
  error = mine.read(previous - 1, last, [&](std::uint64_t seq, std::string_view, std::string_view) { tail.push_back(seq); },
                    in(10000));
  ASSERT_FALSE(error) << error.text;
  EXPECT_EQ(tail, std::vector<std::uint64_t>{last});
}

TEST_F(EventLogTest, NamesAreEncodedSoNoSubjectSyntaxLeaks) {
  EXPECT_EQ(JetStream::key_of("a.b"), "612e62");
  EXPECT_EQ(JetStream::key_of(""), "_");
  EventLog log(*store_, "weird.*.>");
  auto a = log.append("e", "w1", 0, in(10000));
  ASSERT_EQ(a.outcome, Appended::kStored) << a.error.text;
  EventLog neighbour(*store_, "weird");
  EXPECT_EQ(neighbour.last().sequence, 0u);  // a different actor: no events
}

// Without the order kept, nats.c shuffles the list: six stores all on the
// second server would then happen once in 729 runs.
TEST_F(EventLogTest, AStoreThatKeepsTheOrderConnectsToTheFirstServerGiven) {
  tact::test::Watchdog dog("server order", std::chrono::seconds(60));
  StoreConfig config = store_->config();
  std::rotate(config.servers.begin(), config.servers.begin() + 1, config.servers.end());
  config.randomize_servers = false;
  for (int i = 0; i < 6; ++i) {
    JetStream ordered(config);
    char url[256] = "";
    ASSERT_EQ(natsConnection_GetConnectedUrl(ordered.connection(), url, sizeof url), NATS_OK);
    EXPECT_EQ(std::string(url), config.servers.front()) << "store " << i;
  }
}

TEST_F(EventLogTest, OneLeaseHolderAtATimeAndReleaseHandsItOver) {
  tact::test::Watchdog dog("lease", std::chrono::seconds(60));
  Lease a(*store_, "account/lease", "node-a");
  Lease b(*store_, "account/lease", "node-b");
  ASSERT_TRUE(a.acquire()) << a.last_error().text;
  EXPECT_TRUE(a.held());
  EXPECT_FALSE(b.acquire());
  EXPECT_FALSE(b.held());
  EXPECT_EQ(b.holder(), "node-a");
  EXPECT_TRUE(a.renew()) << a.last_error().text;
  a.release();
  EXPECT_FALSE(a.held());
  ASSERT_TRUE(b.acquire()) << b.last_error().text;
  EXPECT_FALSE(a.renew());  // not held: nothing to renew
  // holder() is a routing hint that a lagging replica may answer: it catches up.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (a.holder() != "node-b" && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(a.holder(), "node-b");
}

TEST_F(EventLogTest, ALapsedLeaseCanBeTakenAndTheOldHolderCannotRenew) {
  tact::test::Watchdog dog("lapse", std::chrono::seconds(60));
  auto store = open_store(*cluster_, "lapse", std::chrono::milliseconds(1000));
  Lease a(*store, "account/lapse", "node-a");
  Lease b(*store, "account/lapse", "node-b");
  ASSERT_TRUE(a.acquire()) << a.last_error().text;
  // a stops renewing (a paused process): its own view ends first...
  const auto a_ends = a.valid_until();
  EXPECT_LE(a_ends, Clock::now() + std::chrono::milliseconds(1000));
  // ...and the store drops the entry after the TTL (checked once a second or so).
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  bool taken = false;
  while (!taken && Clock::now() < give_up) {
    taken = b.acquire();
    if (!taken) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(taken) << "the lapsed lease was never free";
  EXPECT_GE(Clock::now(), a_ends);  // never before the old holder stopped
  EXPECT_FALSE(a.held());
  EXPECT_FALSE(a.renew());  // its revision is gone
}

}  // namespace
