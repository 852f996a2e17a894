// Batched tells (NodeOptions::tell_batch_bytes, docs/remote.md "Wire format"):
// what a plain nats.c subscriber sees of them, that a plain client can send one,
// that order and count hold, that close() writes what is batched, and what a
// bad batch does.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "nats/nats_server.hpp"
#include "nats/node_options.hpp"
#include "nats/test_actors.hpp"
#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"
#include "tact/nats/nats.hpp"
#include "tact/tact.hpp"

struct Note {
  std::string text;
  MSGPACK_DEFINE(text)
};
struct Lines {};

template <>
struct tact::nats::use_msgpack<std::vector<std::string>> : std::true_type {};

class Journal {
 public:
  using remote_messages = tact::nats::messages<Note, Lines>;
  void handle(Note note) { lines_.push_back(std::move(note.text)); }
  std::vector<std::string> handle(Lines) { return lines_; }

 private:
  std::vector<std::string> lines_;
};

namespace {

using namespace std::chrono_literals;
using tact::test::NatsServer;
using tact::test::options_for;
using tact::test::Watchdog;

// The entries of a batch body, read by hand as another language would: a
// msgpack str (the type) then a msgpack bin (the message), in the forms tact
// writes for short ones (fixstr; bin8).
struct Entry {
  std::string type;
  std::string data;
};
bool read_batch(std::string_view body, std::vector<Entry>& out) {
  while (!body.empty()) {
    const auto tag = static_cast<unsigned char>(body[0]);
    if ((tag & 0xe0) != 0xa0) return false;
    const std::size_t type_size = tag & 0x1f;
    if (body.size() < 1 + type_size + 2) return false;
    std::string type(body.substr(1, type_size));
    body.remove_prefix(1 + type_size);
    if (static_cast<unsigned char>(body[0]) != 0xc4) return false;
    const std::size_t size = static_cast<unsigned char>(body[1]);
    if (body.size() < 2 + size) return false;
    out.push_back({std::move(type), std::string(body.substr(2, size))});
    body.remove_prefix(2 + size);
  }
  return true;
}

// A plain nats.c subscriber beside the actor: every NATS message to it.
struct Spy {
  natsConnection* conn = nullptr;
  natsSubscription* sub = nullptr;
  explicit Spy(const NatsServer& server, const char* subject) {
    EXPECT_EQ(natsConnection_ConnectTo(&conn, server.url().c_str()), NATS_OK);
    EXPECT_EQ(natsConnection_SubscribeSync(&sub, conn, subject), NATS_OK);
    EXPECT_EQ(natsSubscription_SetPendingLimits(sub, -1, -1), NATS_OK);
    EXPECT_EQ(natsConnection_FlushTimeout(conn, 2000), NATS_OK);
  }
  ~Spy() {
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(conn);
  }
  Spy(const Spy&) = delete;
  Spy& operator=(const Spy&) = delete;
  // Reads NATS messages until `tells` tells came (single or batched, all
  // Append, values in order from 0): how many NATS messages that took.
  int read_tells(int tells) {
    int messages = 0, seen = 0;
    while (seen < tells) {
      natsMsg* msg = nullptr;
      if (natsSubscription_NextMsg(&msg, sub, 5000) != NATS_OK) break;
      ++messages;
      const std::string subject = natsMsg_GetSubject(msg);
      const std::string_view body(natsMsg_GetData(msg) != nullptr ? natsMsg_GetData(msg) : "",
                                  static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
      std::vector<Entry> entries;
      if (subject.ends_with("._batch")) {
        EXPECT_TRUE(read_batch(body, entries)) << "an unreadable batch";
        EXPECT_GE(entries.size(), 2u) << "a lone tell goes as the plain message";
      } else {
        entries.push_back({subject.substr(subject.rfind('.') + 1), std::string(body)});
      }
      natsMsg_Destroy(msg);
      for (const Entry& entry : entries) {
        // Append{seen}: a msgpack array of one positive int.
        EXPECT_EQ(entry.type, "Append");
        const Append value = tact::nats::Codec<Append>::decode(entry.data.data(), entry.data.size());
        EXPECT_EQ(value.value, seen);
        ++seen;
      }
    }
    EXPECT_EQ(seen, tells);
    return messages;
  }
};

class TellBatch : public ::testing::Test {
 protected:
  NatsServer server;
  tact::Runtime rt{tact::test::workers(2)};
};

TEST_F(TellBatch, ManyTellsGoAsFewMessagesInOrder) {
  Watchdog dog("ManyTells", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  tact::nats::Node b(rt, options_for(server, "b"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  Spy spy(server, "tact.default.actor.counter.*");
  auto counter = b.lookup<Counter>("counter");
  constexpr int kTells = 20000;
  for (int i = 0; i < kTells; ++i) ASSERT_TRUE(counter.tell(Append{i}));
  const std::vector<int> log = counter.ask(Log{}).get();
  ASSERT_EQ(log.size(), static_cast<std::size_t>(kTells));
  for (int i = 0; i < kTells; ++i) ASSERT_EQ(log[static_cast<std::size_t>(i)], i);
  const int messages = spy.read_tells(kTells);
  // One thread telling as fast as it can outruns the flusher's writes.
  EXPECT_LT(messages, kTells);
  EXPECT_EQ(b.stats().tells_sent, static_cast<std::uint64_t>(kTells));
  EXPECT_EQ(a.stats().messages_received, static_cast<std::uint64_t>(kTells) + 1);  // and the Log ask
  std::printf("%d tells in %d NATS messages\n", kTells, messages);
}

TEST_F(TellBatch, ZeroBatchBytesSendsEveryTellAlone) {
  Watchdog dog("ZeroBatch", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  auto options = options_for(server, "b");
  options.tell_batch_bytes = 0;
  tact::nats::Node b(rt, options);
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  Spy spy(server, "tact.default.actor.counter.*");
  auto counter = b.lookup<Counter>("counter");
  constexpr int kTells = 2000;
  for (int i = 0; i < kTells; ++i) ASSERT_TRUE(counter.tell(Append{i}));
  EXPECT_EQ(counter.ask(Log{}).get().size(), static_cast<std::size_t>(kTells));
  EXPECT_EQ(spy.read_tells(kTells), kTells);
}

TEST_F(TellBatch, ATellTooBigForABatchGoesAloneInItsPlace) {
  Watchdog dog("BigTell", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  auto options = options_for(server, "b");
  options.tell_batch_bytes = 64;  // a few short notes; a long one does not fit
  tact::nats::Node b(rt, options);
  ASSERT_TRUE(a.expose("journal", rt.spawn<Journal>()));
  auto journal = b.lookup<Journal>("journal");
  std::vector<std::string> sent;
  for (int i = 0; i < 300; ++i) {
    sent.push_back(i % 50 == 49 ? std::string(200, static_cast<char>('a' + i % 26)) : std::to_string(i));
    ASSERT_TRUE(journal.tell(Note{sent.back()}));
  }
  EXPECT_EQ(journal.ask(Lines{}).get(), sent);
}

TEST_F(TellBatch, ClosingTheSenderWritesWhatIsBatched) {
  Watchdog dog("CloseFlushes", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  constexpr int kTells = 5000;
  {
    tact::nats::Node b(rt, options_for(server, "b"));
    auto counter = b.lookup<Counter>("counter");
    for (int i = 0; i < kTells; ++i) ASSERT_TRUE(counter.tell(Append{i}));
    b.close();  // at once: what the flusher has not written yet, close() does
    EXPECT_FALSE(counter.tell(Append{-1}));
  }
  tact::nats::Node c(rt, options_for(server, "c"));
  auto counter = c.lookup<Counter>("counter");
  std::size_t got = 0;
  for (int i = 0; i < 500 && got < kTells; ++i) {
    got = counter.ask(Log{}).get().size();
    if (got < kTells) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(got, static_cast<std::size_t>(kTells));
}

TEST_F(TellBatch, APlainNatsClientSendsABatch) {
  Watchdog dog("PlainBatch", 60s);
  tact::nats::Node a(rt, options_for(server, "a"));
  ASSERT_TRUE(a.expose("counter", rt.spawn<Counter>()));
  natsConnection* conn = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&conn, server.url().c_str()), NATS_OK);
  // Append{7}, Inc{5}, Append{8}: fixstr type, bin8 body (a msgpack array of one int).
  const std::string batch = std::string("\xa6" "Append" "\xc4\x02\x91\x07", 11) +
                            std::string("\xa3" "Inc" "\xc4\x02\x91\x05", 8) +
                            std::string("\xa6" "Append" "\xc4\x02\x91\x08", 11);
  ASSERT_EQ(natsConnection_Publish(conn, "tact.default.actor.counter._batch", batch.data(),
                                   static_cast<int>(batch.size())),
            NATS_OK);
  // A truncated batch: none of it is delivered, one bad message is counted.
  ASSERT_EQ(natsConnection_Publish(conn, "tact.default.actor.counter._batch", batch.data(),
                                   static_cast<int>(batch.size() - 1)),
            NATS_OK);
  // A batch is tells only: as a request it is answered bad-message.
  natsMsg* reply = nullptr;
  ASSERT_EQ(natsConnection_Request(&reply, conn, "tact.default.actor.counter._batch", batch.data(),
                                   static_cast<int>(batch.size()), 2000),
            NATS_OK);
  const char* kind = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(reply, "Tact-Error", &kind), NATS_OK);
  EXPECT_STREQ(kind, "bad-message");
  natsMsg_Destroy(reply);
  natsConnection_Destroy(conn);
  tact::nats::Node b(rt, options_for(server, "b"));
  auto counter = b.lookup<Counter>("counter");
  EXPECT_EQ(counter.ask(Log{}).get(), (std::vector<int>{7, 8}));
  EXPECT_EQ(counter.ask(Get{}).get(), 5);
  EXPECT_EQ(a.stats().bad_messages, 2u);
}

}  // namespace
