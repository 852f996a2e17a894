// rt.spawn_metered: a metered actor's figures in a series of its own
// (Snapshot::named_actors) as well as in its class's; exact counts, sampled
// timings, failures, dead letters, refusals, bounded depth, supervised
// restarts; the series stays when the actor stops and continues when one is
// spawned again under the same name; misuse and metrics off.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::eventually;
using tact::test::Watchdog;
using tact::test::workers;

struct Inc {
  std::int64_t amount;
};
struct Get {};
struct Boom {};
struct Nap {
  std::chrono::microseconds length;
};
struct Hold {  // the actor waits until *release
  std::atomic<bool>* release;
};

class Account {
 public:
  static constexpr std::string_view name = "test.account";
  Account() = default;
  explicit Account(std::int64_t start) : balance_(start) {}
  void handle(Inc msg) { balance_ += msg.amount; }
  std::int64_t handle(Get) { return balance_; }
  void handle(Boom) { throw std::runtime_error("boom"); }
  void handle(Nap msg) { std::this_thread::sleep_for(msg.length); }
  void handle(Hold h) {
    while (!h.release->load()) std::this_thread::sleep_for(100us);
  }

 private:
  std::int64_t balance_ = 0;
};

using Metrics = tact::metrics::ActorClassMetrics;

const Metrics* class_of(const tact::metrics::Snapshot& s, std::string_view name) {
  for (const auto& c : s.classes) {
    if (c.name == name) return &c;
  }
  return nullptr;
}
const Metrics* actor_of(const tact::metrics::Snapshot& s, std::string_view actor) {
  for (const auto& c : s.named_actors) {
    if (c.actor == actor) return &c;
  }
  return nullptr;
}
std::uint64_t messages_of(const Metrics* m) { return m == nullptr ? 0 : m->messages; }

TEST(MeteredActors, CountedInTheirOwnSeriesAndTheirClasss) {
  Watchdog watchdog("CountedInTheirOwnSeriesAndTheirClasss", 60s);
  tact::Runtime rt(workers(2));
  auto hot = rt.spawn_metered<Account>("account-42", 100);
  auto plain = rt.spawn<Account>();
  for (int i = 0; i < 1000; ++i) hot.tell(Inc{1});
  for (int i = 0; i < 500; ++i) plain.tell(Inc{1});
  EXPECT_EQ(hot.ask(Get{}).get(), 1100);  // constructor arguments forwarded
  EXPECT_EQ(plain.ask(Get{}).get(), 500);
  ASSERT_TRUE(eventually([&] {
    const auto s = rt.metrics();
    return messages_of(actor_of(s, "account-42")) == 1001 && messages_of(class_of(s, "test.account")) == 1502;
  })) << messages_of(actor_of(rt.metrics(), "account-42"));
  const auto s = rt.metrics();
  ASSERT_EQ(s.named_actors.size(), 1u);
  const Metrics& named = s.named_actors[0];
  EXPECT_EQ(named.name, "test.account");
  EXPECT_EQ(named.actor, "account-42");
  EXPECT_EQ(named.live_actors, 1u);
  EXPECT_GE(named.turns, 1u);
  // (not turns <= messages: a turn may find only a half-done push, and handle nothing)
  ASSERT_EQ(s.classes.size(), 1u);  // the class is one series: the metered actor is in it
  EXPECT_EQ(s.classes[0].actor, "");
  EXPECT_EQ(s.classes[0].live_actors, 2u);
  // Workers' turns are the classes' (a metered actor's are not counted twice).
  std::uint64_t worker_turns = 0;
  for (const auto& w : s.workers) worker_turns += w.turns;
  EXPECT_EQ(worker_turns, s.classes[0].turns);
}

TEST(MeteredActors, SampledTimingsGoToTheActorAndItsClass) {
  Watchdog watchdog("SampledTimingsGoToTheActorAndItsClass", 60s);
  tact::Runtime rt(workers(2));
  auto slow = rt.spawn_metered<Account>("slow");
  auto fast = rt.spawn<Account>();
  // 1 send in 256 of this thread is timed: 2560 sends to each sample 10 each.
  for (int i = 0; i < 2560; ++i) slow.tell(Nap{100us});
  for (int i = 0; i < 2560; ++i) fast.tell(Inc{1});
  EXPECT_EQ(fast.ask(Get{}).get(), 2560);
  EXPECT_EQ(slow.ask(Get{}).get(), 0);
  ASSERT_TRUE(eventually([&] { return messages_of(actor_of(rt.metrics(), "slow")) == 2561; }));
  const auto s = rt.metrics();
  const Metrics* named = actor_of(s, "slow");
  ASSERT_NE(named, nullptr);
  EXPECT_GE(named->handler_ns.count, 10u);
  EXPECT_LE(named->handler_ns.count, 11u);  // (the Get may be sampled too)
  EXPECT_GE(named->handler_ns.quantile(0.5), 100e3 * (1 - 1.0 / 32));
  EXPECT_EQ(named->mailbox_wait_ns.count, named->handler_ns.count);
  const Metrics* klass = class_of(s, "test.account");
  ASSERT_NE(klass, nullptr);
  EXPECT_GE(klass->handler_ns.count, 20u);
  EXPECT_LE(klass->handler_ns.count, 22u);
  EXPECT_LT(klass->handler_ns.quantile(0.25), 100e3);  // the fast ones are in the class only
}

TEST(MeteredActors, RareEventsAndBoundedDepthByActor) {
  Watchdog watchdog("RareEventsAndBoundedDepthByActor", 60s);
  tact::Config config = workers(2);
  config.mailbox_bound = 4;
  tact::Runtime rt(config);
  auto named = rt.spawn_metered<Account>("bounded");
  auto other = rt.spawn<Account>();
  ASSERT_TRUE(named.tell(Nap{300ms}));  // keeps it busy while the mailbox fills
  std::this_thread::sleep_for(50ms);    // the Nap is being handled: out of the mailbox
  int refused = 0;
  for (int i = 0; i < 10; ++i) refused += named.tell(Inc{1}) ? 0 : 1;
  EXPECT_EQ(refused, 6);
  auto s = rt.metrics();
  EXPECT_EQ(actor_of(s, "bounded")->refused, 6u);
  EXPECT_EQ(actor_of(s, "bounded")->mailbox_depth, 4u);
  EXPECT_EQ(actor_of(s, "bounded")->mailbox_depth_max, 4u);
  EXPECT_EQ(class_of(s, "test.account")->refused, 6u);
  EXPECT_EQ(class_of(s, "test.account")->mailbox_depth, 4u);
  ASSERT_TRUE(eventually([&] { return messages_of(actor_of(rt.metrics(), "bounded")) == 5; }));
  EXPECT_EQ(actor_of(rt.metrics(), "bounded")->mailbox_depth, 0u);
  EXPECT_THROW(named.ask(Boom{}).get(), tact::HandlerFailed);
  EXPECT_THROW(other.ask(Boom{}).get(), tact::HandlerFailed);
  EXPECT_FALSE(named.tell(Inc{1}));  // failed: a dead letter
  s = rt.metrics();
  EXPECT_EQ(actor_of(s, "bounded")->failures, 1u);
  EXPECT_EQ(class_of(s, "test.account")->failures, 2u);
  EXPECT_EQ(actor_of(s, "bounded")->dead_letters, 1u);
  EXPECT_EQ(class_of(s, "test.account")->dead_letters, 1u);
}

TEST(MeteredActors, TheSeriesStaysWhenItStopsAndContinuesUnderTheSameName) {
  Watchdog watchdog("TheSeriesStaysWhenItStopsAndContinuesUnderTheSameName", 60s);
  tact::Runtime rt(workers(2));
  auto first = rt.spawn_metered<Account>("account-7");
  for (int i = 0; i < 10; ++i) first.tell(Inc{1});
  EXPECT_EQ(first.ask(Get{}).get(), 10);
  first.stop();
  ASSERT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  ASSERT_TRUE(eventually([&] { return messages_of(actor_of(rt.metrics(), "account-7")) == 12; }));
  EXPECT_EQ(actor_of(rt.metrics(), "account-7")->live_actors, 0u);  // still there, not live
  auto second = rt.spawn_metered<Account>("account-7");
  for (int i = 0; i < 5; ++i) second.tell(Inc{1});
  EXPECT_EQ(second.ask(Get{}).get(), 5);
  ASSERT_TRUE(eventually([&] { return messages_of(actor_of(rt.metrics(), "account-7")) == 18; }));
  const auto s = rt.metrics();
  EXPECT_EQ(s.named_actors.size(), 1u);
  EXPECT_EQ(actor_of(s, "account-7")->live_actors, 1u);
}

TEST(MeteredActors, SupervisedChildsRestartsCountedByName) {
  Watchdog watchdog("SupervisedChildsRestartsCountedByName", 60s);
  tact::Runtime rt(workers(2));
  auto sup = rt.spawn<tact::Supervisor>();
  auto child = sup.ask(tact::StartChild{[] { return Account(3); }, "shard-3"}).get();
  ASSERT_TRUE(child);
  EXPECT_EQ(child.ask(Get{}).get(), 3);
  EXPECT_THROW(child.ask(Boom{}).get(), tact::HandlerFailed);
  ASSERT_TRUE(eventually([&] {
    const auto snapshot = rt.metrics();  // (m points into it)
    const Metrics* m = actor_of(snapshot, "shard-3");
    return m != nullptr && m->restarts == 1;
  }));
  EXPECT_EQ(child.ask(Get{}).get(), 3);  // restarted: built again by the factory
  const auto s = rt.metrics();
  EXPECT_EQ(class_of(s, "test.account")->restarts, 1u);
  EXPECT_EQ(actor_of(s, "shard-3")->failures, 1u);
  EXPECT_EQ(actor_of(s, "shard-3")->live_actors, 1u);
}

TEST(MeteredActors, TheRegistryFindsThemByTheirClass) {
  tact::Runtime rt(workers(1));
  auto named = rt.spawn_metered<Account>("looked-up", 9);
  ASSERT_TRUE(rt.register_name("acct", named));
  auto found = rt.lookup<Account>("acct");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->ask(Get{}).get(), 9);
}

TEST(MeteredActors, AnEmptyNameIsAnError) {
  tact::Runtime rt(workers(1));
  EXPECT_THROW((void)rt.spawn_metered<Account>(""), tact::Error);
  EXPECT_EQ(rt.stats().actors_spawned, 0u);
}

TEST(MeteredActors, WithMetricsOffTheyAreOrdinaryActors) {
  tact::Config config = workers(1);
  config.metrics = false;
  tact::Runtime rt(config);
  auto named = rt.spawn_metered<Account>("quiet", 1);
  named.tell(Inc{1});
  EXPECT_EQ(named.ask(Get{}).get(), 2);
  EXPECT_TRUE(rt.metrics().named_actors.empty());
}

// Unbounded mailboxes' depth, sampled: a timed message counts the messages
// queued behind it when its handler starts (at most every 250 ms per class per
// worker: the Hold lasts longer, so the first timed message after it counts).
TEST(MailboxDepth, SampledForUnboundedMailboxes) {
  Watchdog watchdog("SampledForUnboundedMailboxes", 60s);
  tact::Runtime rt(workers(2));
  auto slow = rt.spawn_metered<Account>("slow");
  std::atomic<bool> release{false};
  ASSERT_TRUE(slow.tell(Hold{&release}));  // all of the Naps below queue behind this one
  for (int i = 0; i < 1000; ++i) slow.tell(Nap{100us});
  std::this_thread::sleep_for(300ms);
  release = true;
  // The first timed Nap is one of the first 256 (this thread times 1 send in
  // 256): at least 1000 - 256 were behind it. (If the Hold was the timed one,
  // it counted what was queued when it started: at most the 1000.)
  ASSERT_TRUE(eventually([&] {
    const auto snapshot = rt.metrics();  // (m points into it)
    const Metrics* m = actor_of(snapshot, "slow");
    return m != nullptr && m->mailbox_depth_high_water >= 1000u - 256u;
  }));
  auto s = rt.metrics();
  const Metrics* named = actor_of(s, "slow");
  EXPECT_LE(named->mailbox_depth_high_water, 1000u);
  EXPECT_LE(named->mailbox_depth_sampled, named->mailbox_depth_high_water);
  EXPECT_EQ(named->mailbox_depth, 0u);  // the exact figure is the bounded mailboxes' only
  EXPECT_EQ(class_of(s, "test.account")->mailbox_depth_high_water, named->mailbox_depth_high_water);
  const std::uint64_t high_water = named->mailbox_depth_high_water;
  EXPECT_EQ(slow.ask(Get{}).get(), 0);
  // Caught up and idle: the current depth is 0 for sure; the high water stays.
  ASSERT_TRUE(eventually([&] {
    const auto snapshot = rt.metrics();  // (m points into it)
    const Metrics* m = actor_of(snapshot, "slow");
    return m->messages == 1002 && m->mailbox_depth_sampled == 0;
  }));
  EXPECT_EQ(actor_of(rt.metrics(), "slow")->mailbox_depth_high_water, high_water);
}

TEST(MailboxDepth, SampledDepthWhileBehind) {
  Watchdog watchdog("SampledDepthWhileBehind", 60s);
  tact::Runtime rt(workers(2));
  auto slow = rt.spawn<Account>();
  std::atomic<bool> release{false};
  ASSERT_TRUE(slow.tell(Hold{&release}));
  for (int i = 0; i < 2000; ++i) slow.tell(Nap{50us});  // ~100 ms of work, all queued behind the Hold
  std::this_thread::sleep_for(300ms);
  release = true;
  // While it works through them, the latest timed message saw some behind it.
  bool seen_behind = false;
  for (int i = 0; i < 200 && !seen_behind; ++i) {
    const auto snapshot = rt.metrics();  // (m points into it)
    const Metrics* m = class_of(snapshot, "test.account");
    seen_behind = m != nullptr && m->mailbox_depth_sampled > 0 && m->mailbox_depth_sampled <= 1024;
    if (!seen_behind) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(seen_behind);
  // The first timed Nap after the Hold had more than 1024 behind it: capped.
  EXPECT_TRUE(eventually([&] { return class_of(rt.metrics(), "test.account")->mailbox_depth_high_water == 1024u; }));
  EXPECT_EQ(slow.ask(Get{}).get(), 0);
  ASSERT_TRUE(eventually([&] { return class_of(rt.metrics(), "test.account")->mailbox_depth_sampled == 0; }));
}

}  // namespace
