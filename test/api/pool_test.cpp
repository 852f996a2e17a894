// Pool<A>: routing (round-robin, least-loaded, consistent hash, broadcast),
// supervision of members, resizing, stopping, and a race of all of them.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
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

struct Work {
  std::int64_t key = 0;
};
struct WhoAmI {
  std::int64_t key = 0;
};
struct Handled {};
struct Boom {};
struct Hold {
  std::atomic<bool>* release;
};

class Member {
 public:
  Member(int id, std::atomic<std::int64_t>* handled) : id_(id), handled_(handled) {}
  void handle(Work) {
    ++count_;
    handled_->fetch_add(1, std::memory_order_relaxed);
  }
  int handle(WhoAmI) const { return id_; }
  std::int64_t handle(Handled) const { return count_; }
  void handle(Boom) {
    handled_->fetch_add(1, std::memory_order_relaxed);
    throw std::runtime_error("boom");
  }
  void handle(Hold h) {
    while (!h.release->load()) std::this_thread::sleep_for(100us);
  }

 private:
  int id_;
  std::atomic<std::int64_t>* handled_;
  std::int64_t count_ = 0;
};

struct Fixture {
  std::atomic<int> next_id{0};
  std::atomic<std::int64_t> handled{0};
  auto factory() {
    return [this] { return Member(next_id.fetch_add(1), &handled); };
  }
};

std::vector<std::int64_t> per_member(const tact::Pool<Member>& pool) {
  std::vector<std::int64_t> counts;
  for (const auto& m : pool.members()) counts.push_back(m.ask(Handled{}).get());
  return counts;
}

TEST(Pool, RoundRobinSpreadsEvenly) {
  tact::Runtime rt(workers(2));
  Fixture f;
  tact::Pool<Member> pool(rt, {.size = 4}, f.factory());
  EXPECT_EQ(pool.size(), 4u);
  for (int i = 0; i < 400; ++i) EXPECT_TRUE(pool.tell(Work{}));
  EXPECT_EQ(per_member(pool), (std::vector<std::int64_t>{100, 100, 100, 100}));
}

TEST(Pool, ZeroSizeMeansOneMemberPerWorker) {
  tact::Runtime rt(workers(2));
  Fixture f;
  tact::Pool pool(rt, {}, f.factory());  // A deduced from the factory
  EXPECT_EQ(pool.size(), 2u);
}

TEST(Pool, AskGoesToOneMember) {
  tact::Runtime rt(workers(2));
  Fixture f;
  tact::Pool<Member> pool(rt, {.size = 3}, f.factory());
  std::map<int, int> seen;
  for (int i = 0; i < 30; ++i) ++seen[pool.ask(WhoAmI{}).get()];
  EXPECT_EQ(seen.size(), 3u);
  for (auto [id, n] : seen) EXPECT_EQ(n, 10) << id;
}

TEST(Pool, ConsistentHashSendsAKeyToOneMemberAndMovesFewOnGrowth) {
  tact::Runtime rt(workers(2));
  Fixture f;
  auto key = [](const auto& msg) { return msg.key; };
  tact::Pool pool(rt, {.size = 4, .routing = tact::Routing::consistent_hash}, f.factory(), key);
  constexpr int kKeys = 400;
  std::vector<int> owner(kKeys);
  std::map<int, int> load;
  for (int k = 0; k < kKeys; ++k) {
    owner[static_cast<std::size_t>(k)] = pool.ask(WhoAmI{k}).get();
    ++load[owner[static_cast<std::size_t>(k)]];
    EXPECT_EQ(pool.ask(WhoAmI{k}).get(), owner[static_cast<std::size_t>(k)]);  // stable
  }
  EXPECT_EQ(load.size(), 4u);
  for (auto [id, n] : load) EXPECT_GT(n, kKeys / 8) << "member " << id << " got few keys";
  pool.resize(5);
  int moved = 0;
  for (int k = 0; k < kKeys; ++k) {
    const int now = pool.ask(WhoAmI{k}).get();
    if (now != owner[static_cast<std::size_t>(k)]) {
      ++moved;
      EXPECT_EQ(now, 4) << "a key moved between old members";  // only to the new one
    }
  }
  EXPECT_GT(moved, kKeys / 10);
  EXPECT_LT(moved, kKeys * 3 / 10);  // ~1/5 expected
}

TEST(Pool, ConsistentHashWithoutAKeyFunctionIsRefused) {
  tact::Runtime rt(workers(1));
  Fixture f;
  EXPECT_THROW(tact::Pool<Member>(rt, {.size = 2, .routing = tact::Routing::consistent_hash}, f.factory()),
               tact::Error);
}

TEST(Pool, BroadcastTellsEveryMemberAndRefusesAsk) {
  tact::Runtime rt(workers(2));
  Fixture f;
  tact::Pool<Member> pool(rt, {.size = 3, .routing = tact::Routing::broadcast}, f.factory());
  EXPECT_TRUE(pool.tell(Work{}));
  EXPECT_TRUE(pool.tell(Work{}));
  EXPECT_EQ(per_member(pool), (std::vector<std::int64_t>{2, 2, 2}));
  EXPECT_THROW((void)pool.ask(WhoAmI{}), tact::Error);
  auto replies = pool.ask_all(WhoAmI{});
  ASSERT_EQ(replies.size(), 3u);
  std::vector<int> ids;
  for (auto& r : replies) ids.push_back(r.get());
  EXPECT_EQ(ids, (std::vector<int>{0, 1, 2}));
}

// One member is stuck (a handler that blocks, as a slow one would). Clients
// ask one request at a time: least-loaded routes around the stuck member (its
// load never drops), where round-robin would give it a quarter of the requests
// (RoundRobinSpreadsEvenly), every one of them waiting for the stuck handler.
TEST(Pool, LeastLoadedRoutesAroundASlowMember) {
  Watchdog watchdog("least loaded", 60s);
  tact::Runtime rt(workers(2));
  Fixture f;
  tact::Pool<Member> pool(rt, {.size = 4, .routing = tact::Routing::least_loaded}, f.factory());
  std::atomic<bool> release{false};
  const auto stuck = pool.members()[0];
  stuck.tell(Hold{&release});  // straight to it: the pool does not count this one
  constexpr int kAsks = 40;
  std::vector<tact::Reply<void>> waiting;  // those that did not answer in time
  for (int i = 0; i < kAsks; ++i) {
    auto reply = pool.ask(Work{});
    try {
      reply.get_for(500ms);
    } catch (const tact::Timeout&) {
      waiting.push_back(std::move(reply));  // routed to the stuck one (or a very slow machine)
    }
  }
  release.store(true);
  for (auto& r : waiting) r.get();
  // The stuck member can only be picked while its load (0, then 1 forever)
  // is no more than every other member's: its first pick, at most.
  EXPECT_LE(stuck.ask(Handled{}).get(), 2);
  EXPECT_EQ(f.handled.load(), kAsks);
}

TEST(Pool, AFailedMemberIsRestartedInPlace) {
  tact::Runtime rt(workers(2));
  Fixture f;
  tact::Pool<Member> pool(rt, {.size = 2}, f.factory());
  const auto before = pool.members();
  const int first_id = before[0].ask(WhoAmI{}).get();
  before[0].tell(Boom{});
  // The same ref, a new object (a new id from the factory).
  ASSERT_TRUE(eventually([&] {
    auto reply = before[0].ask(WhoAmI{});
    try {
      return reply.get() != first_id;
    } catch (const tact::Error&) {
      return false;
    }
  }));
  EXPECT_TRUE(pool.members() == before);
  EXPECT_EQ(pool.supervisor().ask(tact::GetSupervisorStats{}).get().restarts, 1u);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(pool.tell(Work{}));
  EXPECT_EQ(per_member(pool), (std::vector<std::int64_t>{5, 5}));
}

TEST(Pool, ShrinkingLosesNothingQueued) {
  tact::Runtime rt(workers(2));
  Fixture f;
  tact::Pool<Member> pool(rt, {.size = 4}, f.factory());
  std::atomic<bool> release{false};
  const auto last = pool.members()[3];
  last.tell(Hold{&release});
  for (int i = 0; i < 400; ++i) pool.tell(Work{});
  pool.resize(2);  // the stuck member still has 100 queued: they are handled, then it stops
  EXPECT_EQ(pool.size(), 2u);
  release.store(true);
  ASSERT_TRUE(eventually([&] { return f.handled.load() == 400; }));
  EXPECT_TRUE(eventually([&] { return !last.tell(Work{}); }));  // stopped
  pool.resize(3);
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.members()[2].ask(WhoAmI{}).get(), 4);  // a new member from the factory
}

TEST(Pool, AStoppedPoolRefuses) {
  tact::Runtime rt(workers(2));
  Fixture f;
  tact::Pool<Member> pool(rt, {.size = 2}, f.factory());
  tact::Pool<Member> copy = pool;
  pool.stop();
  EXPECT_FALSE(copy.tell(Work{}));
  EXPECT_THROW((void)copy.ask(WhoAmI{}).get(), tact::ActorStopped);
}

TEST(Pool, TheLastCopyGoingStopsTheMembers) {
  tact::Runtime rt(workers(2));
  Fixture f;
  std::vector<tact::ActorRef<Member>> refs;
  {
    tact::Pool<Member> pool(rt, {.size = 2}, f.factory());
    refs = pool.members();
    for (int i = 0; i < 100; ++i) pool.tell(Work{});
  }
  std::int64_t probes = 0;  // each one handled, or a dead letter
  EXPECT_TRUE(eventually([&] {
    probes += 2;
    const bool first = refs[0].tell(Work{});
    const bool second = refs[1].tell(Work{});
    return !first && !second;
  }));
  // The supervisor's stop overtakes the members' queued mail: every Work sent
  // was handled or counted as a dead letter, none lost.
  EXPECT_TRUE(eventually([&] {
    return f.handled.load() + static_cast<std::int64_t>(rt.stats().dead_letters) == 100 + probes;
  }));
}

TEST(Pool, ResizingInAHandlerThrowsWouldBlockWorker) {
  // resize (as the constructor) waits for the supervisor: a worker may not.
  tact::Runtime rt(workers(1));
  Fixture f;
  tact::Pool<Member> pool(rt, {.size = 1}, f.factory());
  struct Grow {
    tact::Pool<Member>* pool;
  };
  struct Grower {
    bool handle(Grow g) {
      try {
        g.pool->resize(3);
      } catch (const tact::WouldBlockWorker&) {
        return true;
      }
      return false;
    }
  };
  auto grower = rt.spawn<Grower>();
  EXPECT_TRUE(grower.ask(Grow{&pool}).get());
  EXPECT_EQ(pool.size(), 1u);
}

// Sends and stop() are fine in a handler (they never wait for the supervisor),
// even while a plain thread is resizing on a one-worker runtime.
TEST(Pool, SendAndStopFromAHandlerWhileResizing) {
  Watchdog watchdog("pool stop in handler", 60s);
  tact::Runtime rt(workers(1));
  Fixture f;
  tact::Pool<Member> pool(rt, {.size = 2}, f.factory());
  struct Use {
    tact::Pool<Member>* pool;
    bool stop;
  };
  struct User {
    bool handle(Use u) {
      const bool sent = u.pool->tell(Work{});
      if (u.stop) u.pool->stop();
      return sent;
    }
  };
  auto user = rt.spawn<User>();
  std::thread resizer([&] {
    for (std::size_t n = 3; n < 8; ++n) {
      try {
        pool.resize(n);
      } catch (const tact::Error&) {  // the pool was stopped meanwhile
        break;
      }
    }
  });
  for (int i = 0; i < 50; ++i) (void)user.ask(Use{&pool, false}).get();
  (void)user.ask(Use{&pool, true}).get();  // its handler stops the pool
  EXPECT_FALSE(pool.tell(Work{}));          // stopped: refused
  resizer.join();
  EXPECT_EQ(pool.size(), 0u);  // a resize that raced the stop added nothing
}

// Race: senders (tell and ask) through a least-loaded pool while it is resized
// and members fail and restart. Every message is accounted for exactly once:
// handled, or a dead letter (sent to a member a shrink stopped).
TEST(Pool, ConcurrentSendResizeAndFailureRace) {
  Watchdog watchdog("pool race", 90s);
  tact::Runtime rt(workers(2));
  Fixture f;
  tact::PoolOptions options{.size = 3, .routing = tact::Routing::least_loaded};
  options.supervision.max_restarts = 1000000;  // never give up here
  tact::Pool<Member> pool(rt, options, f.factory());
  const long per_sender = scaled(20000);
  std::atomic<std::int64_t> sent{0};
  std::atomic<bool> sending{true};
  std::vector<std::thread> senders;
  for (int s = 0; s < 2; ++s) {
    senders.emplace_back([&, s] {
      for (long i = 0; i < per_sender; ++i) {
        if (i % 97 == 0) {
          pool.tell(Boom{});
        } else if (s == 0 && i % 10 == 0) {
          try {
            pool.ask(Work{}).get();
          } catch (const tact::Error&) {  // ActorStopped: a shrink stopped its member
          }
        } else {
          pool.tell(Work{});
        }
        sent.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::thread resizer([&] {
    std::size_t n = 3;
    while (sending.load()) {
      n = n == 1 ? 4 : n - 1;
      pool.resize(n);
      std::this_thread::sleep_for(500us);
    }
  });
  for (auto& t : senders) t.join();
  sending.store(false);
  resizer.join();
  pool.stop();
  ASSERT_TRUE(eventually([&] { return f.handled.load() + static_cast<std::int64_t>(rt.stats().dead_letters) >= sent.load(); }, 30s))
      << f.handled.load() << " handled + " << rt.stats().dead_letters << " dead of " << sent.load();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(f.handled.load() + static_cast<std::int64_t>(rt.stats().dead_letters), sent.load());
}

}  // namespace
