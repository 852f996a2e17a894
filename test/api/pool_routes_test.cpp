// Pool<A> for a batcher that routes by itself: a factory that takes the
// member's index (a restart is built with the same one, so state kept outside
// the actor survives it), and routes(), the members with the pool's consistent
// hash, agreeing with tell/ask; and a race of routes() with resizes, sends and
// failures.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
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

struct Put {
  std::int64_t key;
};
struct Count {};
struct Index {};
struct Boom {};

// A member whose data lives in a store its factory hands it (kv's shards).
// Locked only for the race test: after a shrink and a grow, the new member of
// an index may start while the old one still finishes its queue.
struct Store {
  std::mutex mutex;
  std::map<std::int64_t, int> keys;
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex);
    return keys.size();
  }
};
class Holder {
 public:
  Holder(std::size_t index, std::shared_ptr<Store> store) : index_(index), store_(std::move(store)) {}
  void handle(Put p) {
    std::lock_guard<std::mutex> lock(store_->mutex);
    ++store_->keys[p.key];
  }
  std::size_t handle(Count) const { return store_->size(); }
  std::size_t handle(Index) const { return index_; }
  void handle(Boom) { throw std::runtime_error("boom"); }

 private:
  std::size_t index_;
  std::shared_ptr<Store> store_;
};

struct Stores {
  std::vector<std::shared_ptr<Store>> stores;
  std::mutex mutex;
  std::vector<std::size_t> built;  // the index of every factory call, in order
  explicit Stores(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) stores.push_back(std::make_shared<Store>());
  }
  auto factory() {
    return [this](std::size_t index) {
      std::lock_guard<std::mutex> lock(mutex);
      built.push_back(index);
      return Holder(index, stores.at(index));
    };
  }
};

auto key_of = [](const auto& msg) { return msg.key; };

TEST(PoolRoutes, AnIndexedFactoryRebuildsAMemberWithItsIndexAndItKeepsItsStore) {
  Watchdog watchdog("AnIndexedFactoryRebuildsAMemberWithItsIndexAndItKeepsItsStore", 60s);
  tact::Runtime rt(workers(2));
  Stores s(3);
  tact::Pool pool(rt, {.size = 3, .routing = tact::Routing::consistent_hash}, s.factory(), key_of);
  static_assert(std::is_same_v<decltype(pool), tact::Pool<Holder, decltype(key_of)>>);
  const auto members = pool.members();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(members[i].ask(Index{}).get(), i);
  for (std::int64_t k = 0; k < 300; ++k) EXPECT_TRUE(pool.tell(Put{k}));
  std::size_t total = 0;
  for (const auto& m : members) total += m.ask(Count{}).get();
  EXPECT_EQ(total, 300u);
  const std::size_t kept = members[1].ask(Count{}).get();
  EXPECT_GT(kept, 0u);
  EXPECT_THROW(members[1].ask(Boom{}).get(), tact::HandlerFailed);
  ASSERT_TRUE(eventually([&] { return pool.supervisor().ask(tact::GetSupervisorStats{}).get().restarts == 1; }));
  EXPECT_EQ(members[1].ask(Index{}).get(), 1u);      // rebuilt with its own index
  EXPECT_EQ(members[1].ask(Count{}).get(), kept);    // and so with its store: no key lost
  std::lock_guard<std::mutex> lock(s.mutex);
  EXPECT_EQ(s.built, (std::vector<std::size_t>{0, 1, 2, 1}));
}

TEST(PoolRoutes, RoutesAgreeWithTellAndAsk) {
  Watchdog watchdog("RoutesAgreeWithTellAndAsk", 60s);
  tact::Runtime rt(workers(2));
  Stores s(5);
  tact::Pool pool(rt, {.size = 4, .routing = tact::Routing::consistent_hash}, s.factory(), key_of);
  for (std::size_t size : {4u, 5u}) {
    pool.resize(size);
    const auto routes = pool.routes();
    ASSERT_EQ(routes.size(), size);
    std::vector<int> per_member(size);
    for (std::int64_t k = 0; k < 500; ++k) {
      const std::size_t i = routes.index_for(k);
      ASSERT_LT(i, size);
      ++per_member[i];
      EXPECT_EQ(i, routes.index_for(k));  // stable
    }
    for (int n : per_member) EXPECT_GT(n, 500 / static_cast<int>(size) / 3);  // spread
  }
  // tell(Put{k}) and routes.index_for(k) pick the same member: count per member.
  Stores fresh(3);
  tact::Pool exact(rt, {.size = 3, .routing = tact::Routing::consistent_hash}, fresh.factory(), key_of);
  const auto routes = exact.routes();
  std::vector<std::size_t> expected(3);
  for (std::int64_t k = 0; k < 600; ++k) {
    ++expected[routes.index_for(k)];
    EXPECT_TRUE(exact.tell(Put{k}));
  }
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(routes[i].ask(Count{}).get(), expected[i]) << i;
}

TEST(PoolRoutes, MisuseIsAClearError) {
  tact::Runtime rt(workers(1));
  Stores s(2);
  tact::Pool round_robin(rt, {.size = 2}, s.factory());
  EXPECT_THROW((void)round_robin.routes(), tact::Error);  // routes() is for consistent_hash
  Stores t(2);
  tact::Pool hashed(rt, {.size = 2, .routing = tact::Routing::consistent_hash}, t.factory(), key_of);
  const auto before = hashed.routes();
  hashed.stop();
  const auto after = hashed.routes();
  EXPECT_TRUE(after.empty());
  EXPECT_THROW((void)after.index_for(std::int64_t{1}), tact::Error);
  EXPECT_EQ(before.size(), 2u);  // a snapshot: taken before the stop, it keeps its members
  EXPECT_THROW(before[0].ask(Count{}).get(), tact::ActorStopped);
}

// Race: a batcher takes routes() and sends through them while another thread
// resizes the pool and members fail and restart. Every snapshot is consistent
// (its index is in range and names a member it holds), and every Put is
// accounted for exactly once: in a store (each key once: they are distinct), or
// a dead letter (sent to, or queued behind the stop of, a member a shrink removed).
TEST(PoolRoutes, RoutesWhileResizingAndFailingRace) {
  Watchdog watchdog("RoutesWhileResizingAndFailingRace", 90s);
  tact::Runtime rt(workers(2));
  Stores s(6);
  tact::PoolOptions options{.size = 3, .routing = tact::Routing::consistent_hash};
  options.supervision.max_restarts = 1000000;  // never give up here
  tact::Pool pool(rt, options, s.factory(), key_of);
  std::atomic<bool> batching{true};
  std::thread resizer([&] {
    std::size_t n = 3;
    while (batching.load()) {
      n = n == 1 ? 6 : n - 1;
      pool.resize(n);
      std::this_thread::sleep_for(300us);
    }
  });
  const long rounds = scaled(2000);
  std::int64_t key = 0, accepted = 0;
  for (long round = 0; round < rounds; ++round) {
    const auto routes = pool.routes();
    ASSERT_FALSE(routes.empty());
    for (int op = 0; op < 8; ++op, ++key) {
      const std::size_t i = routes.index_for(key);
      ASSERT_LT(i, routes.size());
      if (routes[i].tell(Put{key})) ++accepted;
    }
    if (round % 50 == 0) (void)routes[0].tell(Boom{});
  }
  batching.store(false);
  resizer.join();
  const auto stored = [&] {
    std::size_t n = 0;
    for (const auto& store : s.stores) n += store->size();
    return static_cast<std::int64_t>(n);
  };
  const auto dead_puts = [&] {
    std::int64_t n = 0;
    for (const auto& d : rt.metrics().dead_letters) {
      if (d.message_type.find("Put") != std::string::npos) n += static_cast<std::int64_t>(d.count);
    }
    return n;
  };
  EXPECT_GT(accepted, key / 2);  // most went to members still there
  ASSERT_TRUE(eventually([&] { return stored() + dead_puts() == key; }, 30s))
      << stored() << " stored + " << dead_puts() << " dead of " << key;
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(stored() + dead_puts(), key);  // and no more
  EXPECT_GE(dead_puts(), key - accepted);  // each refused send is a dead letter
}

}  // namespace
