// Bounded mailboxes and backpressure: tell/try_tell/ask on a full mailbox, the
// system lane that the bound never blocks, and co_await ref.send(msg) waiting
// for room.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
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

// A gate the test opens: a handler waiting on it keeps its actor busy, so the
// mailbox fills up behind it.
class Gate {
 public:
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return open_; });
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

struct Block {
  Gate* gate;
};
struct Item {
  std::string text;
};
struct Count {};
struct Seen {};

class Small {
 public:
  static constexpr std::size_t mailbox_bound = 4;

  void handle(Block b) {
    entered_.store(true);
    b.gate->wait();
  }
  std::size_t handle(Item i) {
    seen_.push_back(std::move(i.text));
    return seen_.size();
  }
  std::size_t handle(Count) const { return seen_.size(); }
  std::vector<std::string> handle(Seen) const { return seen_; }

  static inline std::atomic<bool> entered_{false};

 private:
  std::vector<std::string> seen_;
};

// Asks, trying again while the mailbox is full (each refusal is counted).
template <class M>
auto ask_when_room(const tact::ActorRef<Small>& a, M msg) {
  for (;;) {
    try {
      return a.ask(msg).get();
    } catch (const tact::MailboxFull&) {
      std::this_thread::sleep_for(1ms);
    }
  }
}

// Fills a Small actor: one message being handled (blocked on the gate) and
// `queued` more in its mailbox.
void fill(const tact::ActorRef<Small>& a, Gate& gate, int queued) {
  Small::entered_.store(false);
  ASSERT_TRUE(a.tell(Block{&gate}));
  ASSERT_TRUE(eventually([] { return Small::entered_.load(); }));
  for (int i = 0; i < queued; ++i) ASSERT_TRUE(a.tell(Item{"q" + std::to_string(i)})) << i;
}

TEST(BoundedMailbox, AFullMailboxRefusesTellAndCountsIt) {
  Watchdog dog("bounded tell");
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Small>();
  Gate gate;
  fill(a, gate, 4);
  Item extra{"extra"};
  EXPECT_FALSE(a.tell(std::move(extra)));
  EXPECT_EQ(extra.text, "extra");  // NOLINT(bugprone-use-after-move): refused, left untouched
  EXPECT_EQ(rt.stats().messages_refused, 1u);
  EXPECT_FALSE(a.try_tell(Item{"try"}));
  EXPECT_EQ(rt.stats().messages_refused, 1u);  // try_tell counts nothing
  gate.open();
  EXPECT_EQ(ask_when_room(a, Count{}), 4u);
  EXPECT_TRUE(a.tell(Item{"after"}));  // room again
  EXPECT_EQ(ask_when_room(a, Count{}), 5u);
  EXPECT_EQ(rt.stats().dead_letters, 0u);
}

TEST(BoundedMailbox, AnAskToAFullMailboxResolvesWithMailboxFull) {
  Watchdog dog("bounded ask");
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Small>();
  Gate gate;
  fill(a, gate, 4);
  EXPECT_THROW((void)a.ask(Count{}).get(), tact::MailboxFull);
  EXPECT_EQ(rt.stats().messages_refused, 1u);
  gate.open();
  EXPECT_EQ(ask_when_room(a, Count{}), 4u);
}

TEST(BoundedMailbox, SystemMessagesAreNeverRefused) {
  Watchdog dog("bounded system lane");
  tact::Runtime rt(workers(2));
  auto a = rt.spawn<Small>();
  Gate gate;
  fill(a, gate, 4);
  a.stop();  // a system message: queued although the mailbox is full
  gate.open();
  ASSERT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  EXPECT_FALSE(a.tell(Item{"late"}));
}

class Unbounded {
 public:
  void handle(Block b) { b.gate->wait(); }
  void handle(Item) {}
};

TEST(BoundedMailbox, ConfigGivesADefaultBoundThatAClassBoundOverrides) {
  Watchdog dog("config bound");
  tact::Config config = workers(2);
  config.mailbox_bound = 2;
  tact::Runtime rt(config);
  auto u = rt.spawn<Unbounded>();
  Gate gate;
  ASSERT_TRUE(u.tell(Block{&gate}));
  // The Block may still be queued or already running: at most 3 fit.
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += u.tell(Item{"x"}) ? 1 : 0;
  EXPECT_GE(accepted, 1);
  EXPECT_LE(accepted, 2);
  auto s = rt.spawn<Small>();  // the class's own bound (4) wins over the default (2)
  Gate gate2;
  fill(s, gate2, 4);
  EXPECT_FALSE(s.tell(Item{"full"}));
  gate.open();
  gate2.open();
}

// -- co_await send ---------------------------------------------------------------------------

struct Produce {
  tact::ActorRef<Small> to;
  int count;
};
class Producer {
 public:
  tact::Task<int> handle(Produce p) {
    for (int i = 0; i < p.count; ++i) {
      Item item{std::to_string(i)};  // not a braced temporary inside co_await (g++ 12: task.hpp)
      co_await p.to.send(std::move(item));
    }
    co_return p.count;
  }
};

TEST(BoundedMailbox, SendWaitsForRoomAndLosesNothing) {
  Watchdog dog("send waits for room");
  tact::Runtime rt(workers(2));
  auto consumer = rt.spawn<Small>();
  auto producer = rt.spawn<Producer>();
  Gate gate;
  fill(consumer, gate, 4);
  tact::Reply<int> done = producer.ask(Produce{consumer, 100});
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(done.ready()) << "the producer should be waiting for room";
  gate.open();
  EXPECT_EQ(done.get(), 100);
  EXPECT_EQ(rt.stats().messages_refused, 0u);  // waiting is not refusing
  const auto seen = ask_when_room(consumer, Seen{});
  ASSERT_EQ(seen.size(), 104u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(4 + i)], std::to_string(i));
}

TEST(BoundedMailbox, SendToAStoppedActorThrowsActorStopped) {
  Watchdog dog("send to stopped");
  tact::Runtime rt(workers(2));
  auto consumer = rt.spawn<Small>();
  auto producer = rt.spawn<Producer>();
  Gate gate;
  fill(consumer, gate, 4);
  tact::Reply<int> done = producer.ask(Produce{consumer, 10});
  std::this_thread::sleep_for(10ms);
  consumer.kill();  // the waiting producer is woken and finds it stopped
  gate.open();
  try {
    (void)done.get();
    FAIL() << "expected the producer's send to throw";
  } catch (const tact::HandlerFailed& e) {
    EXPECT_THROW(e.rethrow_cause(), tact::ActorStopped);
  }
}

TEST(BoundedMailbox, KillingAProducerThatWaitsForRoomResolvesItsAsk) {
  Watchdog dog("kill waiting producer");
  tact::Runtime rt(workers(2));
  auto consumer = rt.spawn<Small>();
  auto producer = rt.spawn<Producer>();
  Gate gate;
  fill(consumer, gate, 4);
  tact::Reply<int> done = producer.ask(Produce{consumer, 10});
  std::this_thread::sleep_for(10ms);
  producer.kill();
  EXPECT_THROW((void)done.get(), tact::ActorStopped);
  gate.open();
  EXPECT_EQ(ask_when_room(consumer, Count{}), 4u);
}

TEST(BoundedMailbox, ManyProducersAndThreadsShareOneBoundedMailboxWithoutLoss) {
  Watchdog dog("bounded stress", 120s);
  tact::Runtime rt(workers(2));
  auto consumer = rt.spawn<Small>();
  const int per_producer = static_cast<int>(scaled(3000));
  std::vector<tact::ActorRef<Producer>> producers;
  std::vector<tact::Reply<int>> done;
  for (int i = 0; i < 4; ++i) {
    producers.push_back(rt.spawn<Producer>());
    done.push_back(producers.back().ask(Produce{consumer, per_producer}));
  }
  // Plain threads retry with try_tell (no coroutine outside actors).
  std::atomic<long> by_threads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < per_producer; ++i) {
        while (!consumer.try_tell(Item{"t"})) std::this_thread::yield();
        ++by_threads;
      }
    });
  }
  for (auto& d : done) EXPECT_EQ(d.get(), per_producer);
  for (auto& t : threads) t.join();
  EXPECT_EQ(rt.stats().messages_refused, 0u);
  EXPECT_EQ(ask_when_room(consumer, Count{}), static_cast<std::size_t>(6 * per_producer));
}

}  // namespace
