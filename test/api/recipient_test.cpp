// Recipient<M> / ReplyRecipient<M, R>: refs typed by the message, not the class.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"

namespace {

using tact::test::eventually;
using tact::test::workers;

struct Note {
  std::string text;
};
struct Count {
  using reply_type = std::int64_t;
};

// Two unrelated classes that both handle Note and Count.
class Logger {
 public:
  explicit Logger(std::atomic<int>* seen) : seen_(seen) {}
  void handle(Note) { seen_->fetch_add(1); }
  std::int64_t handle(Count) const { return 100; }

 private:
  std::atomic<int>* seen_;
};

class Tally {
 public:
  void handle(const Note& note) { total_ += static_cast<std::int64_t>(note.text.size()); }
  std::int64_t handle(Count) const { return total_; }

 private:
  std::int64_t total_ = 0;
};

class Bounded {
 public:
  static constexpr std::size_t mailbox_bound = 1;
  void handle(Note) {}
};

TEST(Recipient, TellsActorsOfDifferentClassesThroughOneType) {
  tact::Runtime rt(workers(2));
  std::atomic<int> seen{0};
  auto logger = rt.spawn<Logger>(&seen);
  auto tally = rt.spawn<Tally>();
  std::vector<tact::Recipient<Note>> recipients{logger, tally};
  for (const auto& r : recipients) EXPECT_TRUE(r.tell(Note{"hello"}));
  const Note lvalue{"abc"};
  EXPECT_TRUE(recipients[1].tell(lvalue));
  EXPECT_EQ(tally.ask(Count{}).get(), 8);
  EXPECT_TRUE(eventually([&] { return seen.load() == 1; }));
}

TEST(Recipient, AsksWithTheDeclaredReplyType) {
  tact::Runtime rt(workers(2));
  std::atomic<int> seen{0};
  auto tally = rt.spawn<Tally>();
  tact::ReplyRecipient<Count> q = tally;  // R from Count::reply_type
  tact::ReplyRecipient<Count, std::int64_t> explicit_r = rt.spawn<Logger>(&seen);
  tally.tell(Note{"four"});
  EXPECT_EQ(q.ask(Count{}).get(), 4);
  EXPECT_EQ(explicit_r.ask(Count{}).get(), 100);
  // A ReplyRecipient is also a Recipient.
  tact::Recipient<Count> plain = q;
  EXPECT_TRUE(plain.tell(Count{}));
  EXPECT_TRUE(plain == tact::Recipient<Count>(tally));
}

TEST(Recipient, ComparesAndHashesByActor) {
  tact::Runtime rt(workers(1));
  auto a = rt.spawn<Tally>();
  auto b = rt.spawn<Tally>();
  tact::Recipient<Note> ra = a;
  tact::Recipient<Note> ra2 = a;
  tact::Recipient<Note> rb = b;
  EXPECT_TRUE(ra == ra2);
  EXPECT_FALSE(ra == rb);
  EXPECT_TRUE(ra.address() == a);
  std::unordered_set<tact::Recipient<Note>> set{ra, ra2, rb};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(sizeof(tact::Recipient<Note>), 2 * sizeof(void*));
}

TEST(Recipient, KeepsTheActorsMemoryAliveAndReportsItsStop) {
  tact::Runtime rt(workers(2));
  tact::Recipient<Note> r;
  {
    auto tally = rt.spawn<Tally>();
    r = tally;
    tally.stop();
  }
  // The actor stopped (its refs are gone): tell is a dead letter, not a crash.
  EXPECT_TRUE(eventually([&] { return !r.tell(Note{"late"}); }));
  EXPECT_GE(rt.stats().dead_letters, 1u);
}

TEST(Recipient, AStoppedActorAnswersAsksWithActorStopped) {
  tact::Runtime rt(workers(2));
  auto tally = rt.spawn<Tally>();
  tact::ReplyRecipient<Count> q = tally;
  tally.stop();
  EXPECT_TRUE(eventually([&] {
    try {
      (void)q.ask(Count{}).get();
      return false;
    } catch (const tact::ActorStopped&) {
      return true;
    }
  }));
}

TEST(Recipient, AFullBoundedMailboxRefusesAsTheRefDoes) {
  tact::Config config = workers(1);
  tact::Runtime rt(config);
  auto bounded = rt.spawn<Bounded>();
  tact::Recipient<Note> r = bounded;
  // Fill it faster than one worker drains it: at least one refusal comes.
  int refused = 0;
  for (int i = 0; i < 10000 && refused == 0; ++i) {
    if (!r.try_tell(Note{"x"})) ++refused;
  }
  EXPECT_GT(refused, 0);
}

TEST(Recipient, AnEmptyRecipientThrows) {
  tact::Recipient<Note> empty;
  EXPECT_FALSE(empty);
  EXPECT_THROW(empty.tell(Note{}), tact::Error);
  tact::ReplyRecipient<Count> empty_q;
  EXPECT_THROW((void)empty_q.ask(Count{}), tact::Error);
}

}  // namespace
