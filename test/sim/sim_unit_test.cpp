// The lock-free parts under the deterministic simulation, each over many seeds with
// both strategies (random walk and PCT): the MPSC queue's consumer-rights hand-off
// between producers, the Chase-Lev deque's owner against two thieves, the one-shot
// reply slot's writer against each kind of reader, the Parker and the SpinLock. Each run checks its
// invariants at the end (and some as it goes); ASan checks memory (preset sim).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mailbox/mpsc_queue.hpp"
#include "scheduler/chase_lev_deque.hpp"
#include "sim/sim.hpp"
#include "deque_scenario.hpp"
#include "sim_support.hpp"
#include "sync/parker.hpp"
#include "sync/spin.hpp"
#include "sync/spin_lock.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/errors.hpp"
#include "tact/reply.hpp"

namespace {

using tact::detail::Atomic;
using tact::simtest::expect_all_seeds_pass;
namespace sim = tact::sim;

constexpr std::uint64_t kSeeds = 300;
constexpr double kSeconds = 20;

// The first failure seen by any thread of a run (one thread runs at a time).
struct Failures {
  std::string first;
  void check(bool ok, const char* what) {
    if (!ok && first.empty()) first = what;
  }
  bool ok() const { return first.empty(); }
};
#define CHECK_IN(f, cond) (f).check((cond), #cond)

// ---- MPSC queue: producers hand consumer rights on through the edge ----------------

// Three producers push three messages each; the producer whose push reports the
// empty -> non-empty edge becomes the consumer (as a sender schedules an actor): it
// pops until empty and gives the rights up with try_mark_empty, retrying if a push
// got in. Checks: one consumer at a time, per-producer FIFO, every message exactly
// once, every node retired exactly once, the queue ends marked empty.
template <tact::detail::MpscLayout kLayout>
bool mpsc_rights_handoff() {
  using tact::detail::MpscNode;
  struct Msg : MpscNode {
    int producer = 0;
    int seq = 0;
  };
  constexpr int kProducers = 3;
  constexpr int kEach = 3;
  tact::detail::BasicMpscQueue<kLayout> q;
  Failures f;
  int consumers = 0;  // plain: one thread runs at a time
  int consumed = 0;
  int retired_count = 0;
  std::array<int, kProducers> last{-1, -1, -1};
  auto retire = [&](MpscNode* r) {
    if (r != nullptr) {
      ++retired_count;
      delete static_cast<Msg*>(r);
    }
  };
  auto consume = [&] {
    ++consumers;
    CHECK_IN(f, consumers == 1);
    for (;;) {
      MpscNode* retired = nullptr;
      while (MpscNode* n = q.pop(retired)) {
        retire(retired);
        Msg* m = static_cast<Msg*>(n);
        CHECK_IN(f, m->seq == last[static_cast<std::size_t>(m->producer)] + 1);
        last[static_cast<std::size_t>(m->producer)] = m->seq;
        ++consumed;
      }
      --consumers;  // before giving up: the next holder may start at once
      if (q.try_mark_empty(retired)) {
        retire(retired);
        return;
      }
      ++consumers;
      CHECK_IN(f, consumers == 1);
    }
  };
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.push_back(sim::spawn([&, p] {
      for (int i = 0; i < kEach; ++i) {
        Msg* m = new Msg;
        m->producer = p;
        m->seq = i;
        if (q.push(m)) consume();
      }
    }));
  }
  for (auto& t : threads) sim::join(t);
  CHECK_IN(f, consumed == kProducers * kEach);
  CHECK_IN(f, retired_count == kProducers * kEach);
  CHECK_IN(f, consumers == 0);
  return f.ok();
}

TEST(SimMpsc, ConsumerRightsHandOffSeparateLines) {
  expect_all_seeds_pass("mpsc_separate", kSeeds, kSeconds,
                        mpsc_rights_handoff<tact::detail::MpscLayout::kSeparateLines>);
}
TEST(SimMpsc, ConsumerRightsHandOffCompact) {
  expect_all_seeds_pass("mpsc_compact", kSeeds, kSeconds,
                        mpsc_rights_handoff<tact::detail::MpscLayout::kCompact>);
}

TEST(SimDeque, OwnerAgainstTwoThieves) {
  expect_all_seeds_pass("deque", kSeeds, kSeconds, tact::simtest::deque_owner_vs_thieves);
}

// ---- reply slot: the writer against each kind of reader -----------------------------

struct Counted {
  static inline int constructed = 0;  // plain: one thread runs at a time
  static inline int destroyed = 0;
  explicit Counted(int v) : value(v) { ++constructed; }
  Counted(Counted&& o) noexcept : value(o.value) { ++constructed; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;
  ~Counted() { ++destroyed; }
  int value;
};

// Four pairs, one per reader kind: get() (spin, then park), get_for (a virtual-time
// timeout, then a second get()), abandon (drop the Reply), then() (a continuation).
// The writer answers each (or drops one Promise: BrokenPromise). Every payload built
// is destroyed exactly once; every reader saw the right outcome.
bool reply_writer_vs_readers() {
  using tact::Promise;
  using tact::Reply;
  Counted::constructed = 0;
  Counted::destroyed = 0;
  Failures f;
  std::vector<Promise<Counted>> promises;
  std::vector<Reply<Counted>> replies;
  for (int i = 0; i < 4; ++i) {
    auto [p, r] = Promise<Counted>::make();
    promises.push_back(std::move(p));
    replies.push_back(std::move(r));
  }
  int continuation_ran = 0;
  std::thread writer = sim::spawn([&] {
    for (int i = 0; i < 4; ++i) {
      if (i == 3) {
        Promise<Counted> dropped = std::move(promises[3]);  // BrokenPromise
      } else {
        promises[static_cast<std::size_t>(i)].set_value(Counted(i));
      }
    }
  });
  std::thread reader = sim::spawn([&] {
    Counted a = replies[0].get();
    CHECK_IN(f, a.value == 0);
    try {
      Counted b = replies[1].get_for(std::chrono::microseconds(30));
      CHECK_IN(f, b.value == 1);
    } catch (const tact::Timeout&) {
      Counted b = replies[1].get();  // still ours after a timeout
      CHECK_IN(f, b.value == 1);
    }
    { Reply<Counted> gone = std::move(replies[2]); }  // abandon
    replies[3].then([&](tact::Outcome<Counted> o) {
      ++continuation_ran;
      CHECK_IN(f, !o.has_value());
    });
  });
  sim::join(writer);
  sim::join(reader);
  CHECK_IN(f, continuation_ran == 1);
  CHECK_IN(f, Counted::constructed == Counted::destroyed);
  return f.ok();
}

TEST(SimReply, WriterAgainstEachKindOfReader) {
  expect_all_seeds_pass("reply", kSeeds, kSeconds, reply_writer_vs_readers);
}

// ---- Parker: no lost wake-up ------------------------------------------------------------

bool parker_no_lost_wakeup() {
  tact::detail::Parker* parker = nullptr;
  Atomic<bool> ready{false};
  Atomic<int> stage{0};
  std::thread sleeper = sim::spawn([&] {
    parker = &tact::detail::Parker::current();
    stage.store(1);
    while (!ready.load()) parker->park();
  });
  std::thread waker = sim::spawn([&] {
    while (stage.load() == 0) tact::detail::cpu_relax();
    ready.store(true);
    parker->unpark();
  });
  sim::join(sleeper);
  sim::join(waker);
  return ready.load();
}

TEST(SimParker, NoLostWakeUp) {
  expect_all_seeds_pass("parker", kSeeds, kSeconds, parker_no_lost_wakeup);
}

// ---- SpinLock: one holder at a time, and each holder sees the last one's writes ----

// Three threads take the lock twice each; inside, a relaxed read-modify-write in two
// steps (a lost update unless the lock orders the holders) and a flag that says
// someone is inside. Under weak memory, a lock that did not acquire what the last
// holder released could read an older count.
bool spin_lock_excludes_and_orders() {
  tact::detail::SpinLock lock;
  Atomic<int> count{0};
  Atomic<bool> inside{false};
  Failures f;
  auto holder = [&] {
    for (int i = 0; i < 2; ++i) {
      lock.lock();
      CHECK_IN(f, !inside.load(std::memory_order_relaxed));
      inside.store(true, std::memory_order_relaxed);
      const int seen = count.load(std::memory_order_relaxed);
      count.store(seen + 1, std::memory_order_relaxed);
      inside.store(false, std::memory_order_relaxed);
      lock.unlock();
    }
  };
  std::thread a = sim::spawn(holder);
  std::thread b = sim::spawn(holder);
  std::thread c = sim::spawn([&] {
    if (lock.try_lock()) {  // may find it held: then it does not count
      count.store(count.load(std::memory_order_relaxed) + 10, std::memory_order_relaxed);
      lock.unlock();
    }
    holder();
  });
  sim::join(a);
  sim::join(b);
  sim::join(c);
  const int total = count.load(std::memory_order_relaxed);
  CHECK_IN(f, total == 6 || total == 16);
  return f.ok();
}

TEST(SimSpinLock, OneHolderAtATimeSeesTheLastHoldersWrites) {
  expect_all_seeds_pass("spin_lock", kSeeds, kSeconds, spin_lock_excludes_and_orders);
  sim::ExploreOptions weak;
  weak.weak_memory = true;
  weak.seeds = kSeeds;
  weak.max_seconds = kSeconds;
  weak.from_environment = false;
  const sim::ExploreReport r = sim::explore("spin_lock_weak", weak, spin_lock_excludes_and_orders);
  EXPECT_EQ(r.failures, 0u) << r.summary();
  EXPECT_GT(r.runs, 0u);
}

}  // namespace
