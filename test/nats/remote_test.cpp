// tact::nats against a real nats-server of the test's own (loopback, free port):
// what a remote ref does, and what a plain nats.c client sees of a tact actor.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nats/nats_server.hpp"
#include "nats/node_options.hpp"
#include "nats/test_actors.hpp"
#include "support/down_log.hpp"
#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"
#include "tact/nats/nats.hpp"
#include "tact/tact.hpp"

std::atomic<bool> g_gate_open{false};

// A mailbox of one: while its handler waits at the gate, one more message fits.
class Gated {
 public:
  static constexpr std::size_t mailbox_bound = 1;
  using remote_messages = tact::nats::messages<Inc>;
  std::int64_t handle(Inc msg) {
    while (!g_gate_open.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return msg.amount;
  }
};

class Named {
 public:
  using remote_messages = tact::nats::messages<Who>;
  explicit Named(std::string name) : name_(std::move(name)) {}
  std::string handle(Who) { return name_; }

 private:
  std::string name_;
};

struct Hello {
  tact::ActorRef<Counter> reply_to;
  std::int64_t amount;
  MSGPACK_DEFINE(reply_to, amount)
};
struct YourCounter {};

// Talks to the counters it is sent, and hands out its own.
class Greeter {
 public:
  using remote_messages = tact::nats::messages<Hello, YourCounter>;
  explicit Greeter(tact::ActorRef<Counter> own) : own_(std::move(own)) {}
  bool handle(Hello msg) { return msg.reply_to.tell(Inc{msg.amount}); }
  tact::ActorRef<Counter> handle(YourCounter) { return own_; }

 private:
  tact::ActorRef<Counter> own_;
};

namespace {

using namespace std::chrono_literals;
using tact::test::NatsServer;
using tact::test::options_for;
using tact::test::Watchdog;

class Remote : public ::testing::Test {
 protected:
  NatsServer server;
  tact::Runtime rt{tact::test::workers(2)};
};

TEST_F(Remote, TellAndAskThroughALookedUpRef) {
  Watchdog dog("TellAndAsk", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  tact::ActorRef<Counter> counter = b.lookup<Counter>("counter");
  EXPECT_TRUE(counter.tell(Inc{2}));
  EXPECT_EQ(counter.ask(Inc{40}).get(), 42);
  EXPECT_EQ(counter.ask(Get{}).get(), 42);
  EXPECT_EQ(b.stats().tells_sent, 1u);
  EXPECT_EQ(b.stats().asks_sent, 2u);
  EXPECT_EQ(a.stats().messages_received, 3u);
}

TEST_F(Remote, AnUnknownNameIsActorStoppedAtOnce) {
  Watchdog dog("UnknownName", 60s);
  tact::nats::Node b(rt, options_for(server, "b"));
  auto nobody = b.lookup<Counter>("nobody");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(nobody.ask(Get{}).get(), tact::ActorStopped);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);  // the ask timeout is 5 s
  EXPECT_EQ(b.stats().asks_no_responders, 1u);
  EXPECT_TRUE(nobody.tell(Inc{1}));  // at most once: nobody hears it
}

TEST_F(Remote, AnAskPastItsDeadlineIsTimeout) {
  Watchdog dog("Deadline", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  auto options = options_for(server, "b");
  options.ask_timeout = 300ms;
  tact::nats::Node b(rt, options);
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  auto counter = b.lookup<Counter>("counter");
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(counter.ask(Slow{1500}, tact::Deadline::in(200ms)).get(), tact::Timeout);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 1200ms);
  start = std::chrono::steady_clock::now();
  EXPECT_THROW(counter.ask(Slow{1500}).get(), tact::Timeout);  // the node's default deadline
  took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1300ms);
  EXPECT_EQ(b.stats().asks_timed_out, 2u);
}

TEST_F(Remote, AHandlerFailureComesBackWithItsText) {
  Watchdog dog("HandlerFailed", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  auto counter = b.lookup<Counter>("counter");
  try {
    (void)counter.ask(Fail{"boom 17"}).get();
    FAIL() << "no HandlerFailed";
  } catch (const tact::HandlerFailed& e) {
    EXPECT_NE(std::string(e.what()).find("boom 17"), std::string::npos) << e.what();
    EXPECT_THROW(e.rethrow_cause(), tact::nats::RemoteError);
  }
  // The actor failed (stopped): the next ask finds nobody.
  EXPECT_THROW(counter.ask(Get{}).get(), tact::ActorStopped);
}

TEST_F(Remote, MessagesFromOneSenderKeepTheirOrder) {
  Watchdog dog("Order", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  auto counter = b.lookup<Counter>("counter");
  constexpr int kCount = 5000;
  for (int i = 0; i < kCount; ++i) {
    if (i % 100 == 99) {
      (void)counter.ask(Inc{1}).get();  // asks interleaved with tells keep the order too
    }
    ASSERT_TRUE(counter.tell(Append{i}));
  }
  const std::vector<int> log = counter.ask(Log{}).get();
  ASSERT_EQ(log.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(log[static_cast<std::size_t>(i)], i);
}

TEST_F(Remote, AFullRemoteMailboxAnswersMailboxFull) {
  Watchdog dog("MailboxFull", 60s);
  g_gate_open = false;
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a.expose("gated", rt.spawn<Gated>()));
  auto gated = b.lookup<Gated>("gated");
  std::vector<tact::Reply<std::int64_t>> replies;
  for (int i = 0; i < 5; ++i) replies.push_back(gated.ask(Inc{i}));
  std::this_thread::sleep_for(300ms);
  g_gate_open = true;
  int full = 0, answered = 0;
  for (auto& reply : replies) {
    try {
      (void)reply.get();
      ++answered;
    } catch (const tact::MailboxFull&) {
      ++full;
    }
  }
  EXPECT_GE(full, 3);  // at most one handled and one queued while the gate was shut
  EXPECT_GE(answered, 1);
  EXPECT_EQ(full + answered, 5);
}

TEST_F(Remote, APlainNatsClientCallsATactActor) {
  Watchdog dog("PlainClient", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  // No tact code below: nats.c and the wire format of docs/remote.md.
  natsConnection* conn = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&conn, server.url().c_str()), NATS_OK);
  const char inc[] = {'\x91', '\x05'};  // msgpack [5]: Inc{5} (MSGPACK_DEFINE packs an array)
  natsMsg* reply = nullptr;
  ASSERT_EQ(natsConnection_Request(&reply, conn, "tact.default.actor.counter.Inc", inc, 2, 2000), NATS_OK);
  ASSERT_EQ(natsMsg_GetDataLength(reply), 1);
  EXPECT_EQ(natsMsg_GetData(reply)[0], 5);  // msgpack positive fixint 5
  natsMsg_Destroy(reply);
  ASSERT_EQ(natsConnection_Publish(conn, "tact.default.actor.counter.Inc", inc, 2), NATS_OK);  // a tell
  ASSERT_EQ(natsConnection_Request(&reply, conn, "tact.default.actor.counter.Get", nullptr, 0, 2000), NATS_OK);
  EXPECT_EQ(natsMsg_GetData(reply)[0], 10);
  natsMsg_Destroy(reply);
  // An ask whose deadline (header Tact-Deadline, Unix ms) has passed is not handled.
  const char* kind = nullptr;
  natsMsg* request = nullptr;
  ASSERT_EQ(natsMsg_Create(&request, "tact.default.actor.counter.Inc", "_INBOX.plain.1", inc, 2), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(request, "Tact-Deadline", "1000"), NATS_OK);  // 1970
  natsSubscription* inbox = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&inbox, conn, "_INBOX.plain.1"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(conn, request), NATS_OK);
  ASSERT_EQ(natsSubscription_NextMsg(&reply, inbox, 2000), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Get(reply, "Tact-Error", &kind), NATS_OK);
  EXPECT_STREQ(kind, "timeout");
  natsMsg_Destroy(reply);
  natsMsg_Destroy(request);
  natsSubscription_Destroy(inbox);
  ASSERT_EQ(natsConnection_Request(&reply, conn, "tact.default.actor.counter.Get", nullptr, 0, 2000), NATS_OK);
  EXPECT_EQ(natsMsg_GetData(reply)[0], 10);  // the late Inc{5} was dropped
  natsMsg_Destroy(reply);
  EXPECT_EQ(rt.stats().requests_expired, 1u);
  // The same deadline as the reply subject's last token, td<ms> (tact's own asks).
  ASSERT_EQ(natsConnection_SubscribeSync(&inbox, conn, "_INBOX.plain.2.td1000"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishRequest(conn, "tact.default.actor.counter.Inc", "_INBOX.plain.2.td1000", inc, 2),
            NATS_OK);
  ASSERT_EQ(natsSubscription_NextMsg(&reply, inbox, 2000), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Get(reply, "Tact-Error", &kind), NATS_OK);
  EXPECT_STREQ(kind, "timeout");
  natsMsg_Destroy(reply);
  natsSubscription_Destroy(inbox);
  // A deadline far ahead: handled.
  ASSERT_EQ(natsConnection_SubscribeSync(&inbox, conn, "_INBOX.plain.3.td9000000000000"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishRequest(conn, "tact.default.actor.counter.Inc", "_INBOX.plain.3.td9000000000000",
                                          inc, 2),
            NATS_OK);
  ASSERT_EQ(natsSubscription_NextMsg(&reply, inbox, 2000), NATS_OK);
  EXPECT_EQ(natsMsgHeader_Get(reply, "Tact-Error", &kind), NATS_NOT_FOUND);
  EXPECT_EQ(natsMsg_GetData(reply)[0], 15);
  natsMsg_Destroy(reply);
  natsSubscription_Destroy(inbox);
  ASSERT_EQ(natsConnection_Request(&reply, conn, "tact.default.actor.counter.Get", nullptr, 0, 2000), NATS_OK);
  EXPECT_EQ(natsMsg_GetData(reply)[0], 15);
  natsMsg_Destroy(reply);
  EXPECT_EQ(rt.stats().requests_expired, 2u);
  // A handler failure: header Tact-Error: failed, the text in the body.
  const char fail[] = {'\x91', '\xa2', 'n', 'o'};  // ["no"]
  ASSERT_EQ(natsConnection_Request(&reply, conn, "tact.default.actor.counter.Fail", fail, 4, 2000), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Get(reply, "Tact-Error", &kind), NATS_OK);
  EXPECT_STREQ(kind, "failed");
  EXPECT_EQ(std::string(natsMsg_GetData(reply), static_cast<std::size_t>(natsMsg_GetDataLength(reply))), "no");
  natsMsg_Destroy(reply);
  natsConnection_Destroy(conn);
}

TEST_F(Remote, TheAsksDeadlineTravelsToTheReplier) {
  Watchdog dog("DeadlineTravels", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  auto local = rt.spawn<Counter>();
  ASSERT_TRUE(a.expose("counter", local));
  auto counter = b.lookup<Counter>("counter");
  auto slow = counter.ask(Slow{600});
  // Queued behind the slow one; its asker gives up after 200 ms, so the replier
  // drops it instead of handling it at 600 ms.
  auto late = counter.ask(Inc{1}, tact::Deadline::in(200ms));
  EXPECT_THROW((void)late.get(), tact::Timeout);
  EXPECT_EQ(slow.get(), 600);
  // The delivery thread that ran Slow takes Inc{1} from NATS after Slow's answer
  // went out, so it may count it expired just after slow.get() returns.
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (rt.stats().requests_expired == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(rt.stats().requests_expired, 1u);
  EXPECT_EQ(local.ask(Get{}).get(), 0);  // Inc{1} was never handled
  // Both sides time it out at the same instant: if the asker's came first, the
  // replier's Timeout answer is a late reply; if not, that answer resolved it.
  std::this_thread::sleep_for(100ms);
  const auto stats = b.stats();
  EXPECT_EQ(stats.late_replies, stats.asks_timed_out);
  EXPECT_EQ(stats.replies_received + stats.late_replies, 2u);  // Slow's answer, and Inc's
}

TEST_F(Remote, BadBytesAreCountedAndTheNodeCarriesOn) {
  Watchdog dog("BadBytes", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  natsConnection* conn = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&conn, server.url().c_str()), NATS_OK);
  const char junk[] = {'\xc1', '\xff', '\x00'};  // 0xc1 is never used in msgpack
  ASSERT_EQ(natsConnection_Publish(conn, "tact.default.actor.counter.Inc", junk, 3), NATS_OK);
  natsMsg* reply = nullptr;
  ASSERT_EQ(natsConnection_Request(&reply, conn, "tact.default.actor.counter.Inc", junk, 3, 2000), NATS_OK);
  const char* kind = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(reply, "Tact-Error", &kind), NATS_OK);
  EXPECT_STREQ(kind, "bad-message");
  natsMsg_Destroy(reply);
  ASSERT_EQ(natsConnection_Request(&reply, conn, "tact.default.actor.counter.NoSuchType", junk, 3, 2000), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Get(reply, "Tact-Error", &kind), NATS_OK);
  EXPECT_STREQ(kind, "bad-message");
  natsMsg_Destroy(reply);
  natsConnection_Destroy(conn);
  EXPECT_EQ(a.stats().bad_messages, 3u);
  tact::nats::Node b(rt, options_for(server, "b"));
  EXPECT_EQ(b.lookup<Counter>("counter").ask(Inc{3}).get(), 3);
}

TEST_F(Remote, ASlowConsumerIsCountedAndTheNodeCarriesOn) {
  Watchdog dog("SlowConsumer", 60s);
  auto options = options_for(server, "a");
  options.pending_messages_limit = 8;  // NATS drops past 8 waiting messages
  tact::nats::Node a(rt, options);
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  // A flood of tells, each 1 ms to handle: far faster than the actor keeps up.
  natsConnection* conn = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&conn, server.url().c_str()), NATS_OK);
  constexpr int kFlood = 3000;
  const char slow[] = {'\x91', '\x01'};  // Slow{1}
  for (int i = 0; i < kFlood; ++i) {
    ASSERT_EQ(natsConnection_Publish(conn, "tact.default.actor.counter.Slow", slow, 2), NATS_OK);
  }
  ASSERT_EQ(natsConnection_FlushTimeout(conn, 5000), NATS_OK);
  natsConnection_Destroy(conn);
  // Every message is handled or counted dropped: none silently lost.
  tact::nats::NodeStats stats;
  for (int i = 0; i < 2000; ++i) {
    stats = a.stats();
    // NATS reports the condition from a thread of its own: it may come a little later.
    if (stats.messages_received + stats.slow_consumer_drops == kFlood && stats.slow_consumer_events >= 1) break;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(stats.messages_received + stats.slow_consumer_drops, static_cast<std::uint64_t>(kFlood));
  EXPECT_GT(stats.slow_consumer_drops, 0u);
  EXPECT_GE(stats.slow_consumer_events, 1u);
  // The node carries on.
  tact::nats::Node b(rt, options_for(server, "b"));
  EXPECT_EQ(b.lookup<Counter>("counter").ask(Inc{1}).get(), 1);
  // A withdrawn name's drops stay counted.
  ASSERT_TRUE(a.withdraw("counter"));
  EXPECT_EQ(a.stats().slow_consumer_drops, stats.slow_consumer_drops);
  std::printf("flood of %d: %llu handled, %llu dropped, %llu slow-consumer events\n", kFlood,
              static_cast<unsigned long long>(stats.messages_received),
              static_cast<unsigned long long>(stats.slow_consumer_drops),
              static_cast<unsigned long long>(stats.slow_consumer_events));
}

TEST_F(Remote, ClosingANodeResolvesItsOutstandingAsks) {
  Watchdog dog("Close", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  auto counter = b.lookup<Counter>("counter");
  auto slow = counter.ask(Slow{2000});
  std::this_thread::sleep_for(100ms);
  const auto start = std::chrono::steady_clock::now();
  b.close();
  EXPECT_THROW((void)slow.get(), tact::NodeDown);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_THROW(counter.ask(Get{}).get(), tact::NodeDown);  // a ref that outlives its node
  EXPECT_FALSE(counter.tell(Inc{1}));
  EXPECT_EQ(b.stats().asks_node_down, 2u);
}

TEST_F(Remote, TheRuntimesShutdownClosesItsNodes) {
  Watchdog dog("ShutdownClosesNodes", 60s);
  // The host's runtime: its shutdown withdraws the exposed names.
  auto host_rt = std::make_unique<tact::Runtime>(tact::test::workers(2));
  tact::nats::Node a(*host_rt, options_for(server, "a"));
  ASSERT_TRUE(a.expose("counter", host_rt->spawn<Counter>()));
  // The asker's runtime: its shutdown resolves the outstanding asks NodeDown.
  auto asker_rt = std::make_unique<tact::Runtime>(tact::test::workers(2));
  tact::nats::Node b(*asker_rt, options_for(server, "b"));
  auto counter = b.lookup<Counter>("counter");
  EXPECT_EQ(counter.ask(Inc{1}).get(), 1);
  auto slow = counter.ask(Slow{1500});
  std::this_thread::sleep_for(100ms);
  auto start = std::chrono::steady_clock::now();
  asker_rt->shutdown();
  EXPECT_THROW((void)slow.get(), tact::NodeDown);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1400ms);  // not the Slow's 1.5 s, nor the 5 s deadline
  EXPECT_EQ(b.stats().asks_node_down, 1u);
  EXPECT_FALSE(counter.tell(Inc{1}));  // b is closed
  // The host: once its runtime is shut down, nobody serves "counter".
  tact::nats::Node c(rt, options_for(server, "c"));
  auto from_c = c.lookup<Counter>("counter");
  EXPECT_EQ(from_c.ask(Get{}).get(), 1);
  host_rt->shutdown();
  start = std::chrono::steady_clock::now();
  EXPECT_THROW(from_c.ask(Get{}).get(), tact::ActorStopped);  // no responders, at once
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_FALSE(a.expose("again", rt.spawn<Counter>()));  // a is closed
  // The Nodes outlive their runtimes' shutdown, and then the runtimes themselves.
  host_rt.reset();
  asker_rt.reset();
}

TEST_F(Remote, ANodeCannotJoinARuntimeThatIsShuttingDown) {
  tact::Runtime stopped(tact::test::workers(2));
  stopped.shutdown();
  EXPECT_THROW(tact::nats::Node(stopped, options_for(server, "late")), tact::Error);
}

TEST_F(Remote, AWithdrawnOrClosedExposureIsGone) {
  Watchdog dog("Withdraw", 60s);
  auto a = std::make_unique<tact::nats::Node>(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a->expose("counter", rt.spawn<Counter>()));
  EXPECT_FALSE(a->expose("counter", rt.spawn<Counter>()));  // taken on this node
  auto counter = b.lookup<Counter>("counter");
  EXPECT_EQ(counter.ask(Inc{1}).get(), 1);
  EXPECT_TRUE(a->withdraw("counter"));
  EXPECT_THROW(counter.ask(Get{}).get(), tact::ActorStopped);
  ASSERT_TRUE(a->expose("counter2", rt.spawn<Counter>()));
  a.reset();  // closing withdraws
  EXPECT_THROW(b.lookup<Counter>("counter2").ask(Get{}).get(), tact::ActorStopped);
}

TEST_F(Remote, ANameOnSeveralNodesIsLoadBalanced) {
  Watchdog dog("QueueGroup", 60s);
  tact::nats::Node a1(rt, options_for(server, "a1"));
  tact::nats::Node a2(rt, options_for(server, "a2"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a1.expose("who", rt.spawn<Named>("a1")));
  ASSERT_TRUE(a2.expose("who", rt.spawn<Named>("a2")));
  auto who = b.lookup<Named>("who");
  std::set<std::string> seen;
  for (int i = 0; i < 200 && seen.size() < 2; ++i) seen.insert(who.ask(Who{}).get());
  EXPECT_EQ(seen, (std::set<std::string>{"a1", "a2"}));
}

TEST_F(Remote, AnActorAsksARemoteActorWithCoAwait) {
  Watchdog dog("CoAwait", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  struct Go {};
  class Caller {
   public:
    explicit Caller(tact::ActorRef<Counter> c) : counter_(std::move(c)) {}
    tact::Task<std::int64_t> handle(Go) {
      const std::int64_t first = co_await counter_.ask(Inc{20});
      co_return first + co_await counter_.ask(Inc{1});
    }

   private:
    tact::ActorRef<Counter> counter_;
  };
  auto caller = rt.spawn<Caller>(b.lookup<Counter>("counter"));
  EXPECT_EQ(caller.ask(Go{}).get(), 41);
}

TEST_F(Remote, RefsTravelInsideMessages) {
  Watchdog dog("Refs", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  auto a_counter = rt.spawn<Counter>();
  ASSERT_TRUE(a.expose("greeter", rt.spawn<Greeter>(a_counter)));
  auto greeter = b.lookup<Greeter>("greeter");
  // A local actor of b's, never exposed by name: it travels as a ref, and a's
  // greeter tells it through the ref it received.
  auto b_counter = rt.spawn<Counter>();
  EXPECT_TRUE(greeter.ask(Hello{b_counter, 5}).get());
  EXPECT_TRUE(greeter.ask(Hello{b_counter, 6}).get());  // exposed once, reused
  for (int i = 0; i < 200 && b_counter.ask(Get{}).get() != 11; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(b_counter.ask(Get{}).get(), 11);
  // A ref in an answer: a's own counter, reached from b through it.
  tact::ActorRef<Counter> theirs = greeter.ask(YourCounter{}).get();
  EXPECT_EQ(theirs.ask(Inc{7}).get(), 7);
  EXPECT_EQ(a_counter.ask(Get{}).get(), 7);
  // A remote ref passed on keeps pointing at the same actor.
  EXPECT_TRUE(greeter.ask(Hello{theirs, 1}).get());
  for (int i = 0; i < 200 && a_counter.ask(Get{}).get() != 8; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(a_counter.ask(Get{}).get(), 8);
}

TEST_F(Remote, WatchingARemoteActorDeliversDownWhenItStops) {
  Watchdog dog("RemoteWatch", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  auto counter = b.lookup<Counter>("counter");
  tact::test::DownLog log;
  auto recorder = rt.spawn<tact::test::DownRecorder>(&log);
  recorder.tell(tact::test::WatchIt{counter.address()});
  for (int i = 0; i < 200 && b.stats().watches == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(counter.ask(Inc{1}).get(), 1);  // the watch's request went before this ask
  EXPECT_THROW(counter.ask(Fail{"stop here"}).get(), tact::HandlerFailed);  // the actor fails
  for (int i = 0; i < 400 && log.size() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(log.size(), 1u);
  const tact::Down down = log.at(0);
  EXPECT_EQ(down.who, counter.address());
  EXPECT_EQ(down.reason, tact::ExitReason::failed);
  try {
    std::rethrow_exception(down.error);
  } catch (const tact::nats::RemoteError& e) {
    EXPECT_NE(std::string(e.what()).find("stop here"), std::string::npos) << e.what();
  }
  EXPECT_EQ(b.stats().downs, 1u);
  // Watching a name nobody exposes: Down at once.
  auto nobody = b.lookup<Counter>("nobody");
  recorder.tell(tact::test::WatchIt{nobody.address()});
  for (int i = 0; i < 400 && log.size() < 2; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log.at(1).who, nobody.address());
}

}  // namespace
