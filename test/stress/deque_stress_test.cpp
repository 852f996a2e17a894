// Stress tests of ChaseLevDeque: one owner and 1-3 thieves on tiny rings (2, 4 and
// 8 slots), so index wrap-around, the full-deque path and the race for the last
// item run on almost every operation. Each test hands out items with distinct ids
// 0..N-1 and checks, by counting, that every one is taken exactly once.
//
// Who takes an item:
//   - the owner: by pop(), or by keeping an item its full deque refused (as the
//     scheduler sends that item to the injection queue);
//   - a thief: by steal(), or by steal_half() into its own deque, which it then
//     drains with pop() — while the other thieves may steal from that deque too.
//
// A lost item would leave the thieves spinning, so each test arms a Watchdog that
// fails with the ledger's state instead of hanging. A doubly taken item shows up
// in the counts, and under TSan also as a race on the item's `taken_by` field.
#include "scheduler/chase_lev_deque.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/concurrency.hpp"
#include "support/watchdog.hpp"
#include "sync/spin.hpp"

namespace tact::detail {
namespace {

using std::chrono::seconds;

struct StressItem {
  std::size_t id = 0;
  std::uint64_t payload = 0;  // plain field: written by the owner before push(),
                              // read by the taker; TSan checks the hand-off
  int taken_by = -1;          // plain field: written once by whoever takes the item
};

using Deque = ChaseLevDeque<StressItem>;

constexpr int kOwner = 0;  // thread numbers: the owner is 0, thieves are 1..n

std::uint64_t payload_for(std::size_t id) { return (id * 0x9E3779B97F4A7C15ULL) ^ 0xA5A5A5A5ULL; }

// xorshift64: cheap per-thread choices (pop count, victim, steal flavour).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed | 1) {}
  std::uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }

 private:
  std::uint64_t state_;
};

// Every take of every item, counted per id.
class Ledger {
 public:
  explicit Ledger(std::size_t items)
      : items_(items),
        pool_(items),
        take_counts_(std::make_unique<Atomic<std::uint32_t>[]>(items)) {
    for (std::size_t id = 0; id < items; ++id) pool_[id].id = id;
  }

  std::size_t size() const { return items_; }

  // Owner only, before pushing it: fills in the item's payload.
  StressItem* prepare(std::size_t id) {
    StressItem& item = pool_[id];
    item.payload = payload_for(id);
    return &item;
  }

  void take(StressItem* item, int thread) {
    if (item->payload != payload_for(item->id)) bad_payloads_.fetch_add(1, relaxed);
    item->taken_by = thread;
    // relaxed: only counted; the test reads these after joining every thread.
    take_counts_[item->id].fetch_add(1, relaxed);
    id_sum_.fetch_add(item->id, relaxed);
    // release: pairs with the acquire in all_taken(), so a thread that sees the
    // total reach N exits after every take was recorded.
    taken_total_.fetch_add(1, release);
  }

  bool all_taken() const { return taken_total_.load(acquire) >= items_; }
  std::size_t taken_total() const { return taken_total_.load(relaxed); }

  // After every thread joined: each id taken exactly once, payloads intact.
  void expect_each_item_taken_exactly_once() const {
    std::size_t wrong = 0;
    for (std::size_t id = 0; id < items_; ++id) {
      const std::uint32_t count = take_counts_[id].load(relaxed);
      if (count != 1 && ++wrong <= 10) {
        ADD_FAILURE() << "item " << id << " taken " << count << " times";
      }
    }
    EXPECT_EQ(wrong, 0U) << "items not taken exactly once";
    EXPECT_EQ(taken_total_.load(relaxed), items_);
    EXPECT_EQ(id_sum_.load(relaxed), std::uint64_t{items_} * (items_ - 1) / 2);
    EXPECT_EQ(bad_payloads_.load(relaxed), 0U) << "a taker saw an item before its contents";
  }

  std::string describe() const {
    return "taken " + std::to_string(taken_total()) + " of " + std::to_string(items_) + " items";
  }

 private:
  std::size_t items_;
  std::vector<StressItem> pool_;
  std::unique_ptr<Atomic<std::uint32_t>[]> take_counts_;
  Atomic<std::size_t> taken_total_{0};
  Atomic<std::uint64_t> id_sum_{0};
  Atomic<std::size_t> bad_payloads_{0};
};

// What one thief saw; read by the test after join().
struct ThiefStats {
  std::size_t stolen = 0;            // items steal() or steal_half() returned
  std::size_t moved_by_half = 0;     // items popped back from the own deque, where
                                     // steal_half() put them
  std::size_t lost = 0;              // kLost results (for information)
  std::size_t longest_lost_run = 0;  // most consecutive kLost results
};

// A thief's loss means another thread claimed an item from that victim between the
// thief's read of top_ and its CAS, so a run of losses is paid for by others'
// progress. A run this long at these sizes would mean one thief starved while the
// rest moved thousands of items: a livelock, not bad luck.
constexpr std::size_t kLongestAcceptableLostRun = 10'000;

// Releases every thread of a test at once, so the owner does not finish its
// pushes before the thieves have started.
class StartGate {
 public:
  void open() { open_.store(true, release); }  // release: pairs with wait()'s acquire
  void wait() const {
    while (!open_.load(acquire)) tact::test::yield();
  }

 private:
  Atomic<bool> open_{false};
};

// "Runs" a taken item: a short random busy stretch, as a worker would run the
// actor it took. It lets the other threads in between two deque operations, so
// the owner does not simply outrun its thieves.
void run_item(Rng& rng) {
  const std::uint64_t spins = rng.next() % 32;
  for (std::uint64_t i = 0; i < spins; ++i) cpu_relax();
}

void record_steal_status(StealStatus status, ThiefStats& stats, std::size_t& lost_run,
                         std::size_t& empty_run) {
  if (status == StealStatus::kLost) {
    ++stats.lost;
    stats.longest_lost_run = std::max(stats.longest_lost_run, ++lost_run);
    return;
  }
  lost_run = 0;
  if (status != StealStatus::kEmpty) {
    empty_run = 0;
    return;
  }
  // A run of kEmpty: give the CPU away now and then. Two cores are shared by up
  // to four threads here, and the owner, not another spinning thief, is the one
  // with work to hand out.
  if (++empty_run % 64 == 0) {
    tact::test::yield();
  } else {
    cpu_relax();
  }
}

void expect_thieves_progressed(const std::vector<ThiefStats>& stats, const std::string& label) {
  std::size_t stolen = 0;
  std::size_t moved = 0;
  std::size_t lost = 0;
  std::size_t longest_lost_run = 0;
  for (const ThiefStats& thief : stats) {
    stolen += thief.stolen;
    moved += thief.moved_by_half;
    lost += thief.lost;
    longest_lost_run = std::max(longest_lost_run, thief.longest_lost_run);
    EXPECT_LT(thief.longest_lost_run, kLongestAcceptableLostRun)
        << "a thief kept losing: livelock?";
  }
  std::printf(
      "[ info     ] %s: thieves stole %zu (+%zu moved by steal_half), kLost %zu, "
      "longest kLost run %zu\n",
      label.c_str(), stolen, moved, lost, longest_lost_run);
  ::testing::Test::RecordProperty("thieves_stole", static_cast<int>(stolen));
  ::testing::Test::RecordProperty("lost", static_cast<int>(lost));
  ::testing::Test::RecordProperty("longest_lost_run", static_cast<int>(longest_lost_run));
}

// =============================================================================
// Owner pushes and pops; thieves steal and steal_half, also from each other.
// =============================================================================

class DequeStress : public ::testing::TestWithParam<std::tuple<int, std::size_t>> {};

// How often the owner yields its core (in pushes): see run_owner().
constexpr std::size_t kOwnerYieldEvery = 128;

// The owner: pushes every id, keeps the ones a full deque refuses, and after each
// push pops 0, 1 or 2 items (random, pushes win on average so the ring fills).
// The last `capacity` pushes get no pops, so thieves always have something left
// to take at the end: a run where no thief ever stole would prove nothing.
std::size_t run_owner(Deque& deque, Ledger& ledger, std::size_t capacity, std::uint64_t seed) {
  Rng rng(seed);
  std::size_t refused = 0;
  const std::size_t items = ledger.size();
  for (std::size_t id = 0; id < items; ++id) {
    StressItem* item = ledger.prepare(id);
    if (!deque.push(item)) {
      ++refused;
      ledger.take(item, kOwner);
      run_item(rng);
    }
    // Now and then let a thief have this core: on a loaded two-core machine the
    // thieves might otherwise only ever see the deque between the owner's runs.
    if (id % kOwnerYieldEvery == 0) tact::test::yield();
    if (id + capacity >= items) continue;
    const std::uint64_t choice = rng.next() % 4;
    const int pops = choice == 0 ? 2 : (choice == 1 ? 1 : 0);
    for (int i = 0; i < pops; ++i) {
      if (StressItem* popped = deque.pop()) {
        ledger.take(popped, kOwner);
        run_item(rng);
      }
    }
  }
  return refused;
}

// A thief: steals from the owner's deque (or, one time in four, from another
// thief's), half the time with steal_half() into its own deque, which it drains.
void run_thief(int number, std::vector<std::unique_ptr<Deque>>& deques, Ledger& ledger,
               ThiefStats& stats, const StartGate& gate, std::uint64_t seed) {
  gate.wait();
  Rng rng(seed);
  Deque& own = *deques[static_cast<std::size_t>(number)];
  const std::size_t thieves = deques.size() - 1;
  std::size_t lost_run = 0;
  std::size_t empty_run = 0;
  while (!ledger.all_taken()) {
    const std::uint64_t choice = rng.next();
    std::size_t victim = 0;  // the owner's deque
    if (thieves > 1 && choice % 4 == 0) {
      victim = 1 + (choice >> 8) % thieves;
      if (victim == static_cast<std::size_t>(number)) victim = 0;
    }
    const bool half = (choice >> 4) % 2 == 0;
    const StealResult<StressItem> result =
        half ? deques[victim]->steal_half(own) : deques[victim]->steal();
    record_steal_status(result.status, stats, lost_run, empty_run);
    if (result.status != StealStatus::kSuccess) continue;
    ++stats.stolen;
    ledger.take(result.item, number);
    run_item(rng);
    while (StressItem* mine = own.pop()) {
      ++stats.moved_by_half;
      ledger.take(mine, number);
      run_item(rng);
    }
  }
}

TEST_P(DequeStress, EveryItemIsTakenExactlyOnceWhileThievesStealAndStealHalf) {
  const auto [thieves, capacity] = GetParam();
  // Under the simulation 100 (each seed a few thousand steps, so many seeds).
  const auto items = static_cast<std::size_t>(tact::test::kSimulated ? 100 : tact::test::scaled(500'000));
  Ledger ledger(items);
  // deques[0] is the owner's; deques[i] is thief i's own, the target of its steal_half.
  std::vector<std::unique_ptr<Deque>> deques;
  for (int i = 0; i <= thieves; ++i) deques.push_back(std::make_unique<Deque>(capacity));
  ASSERT_EQ(deques[0]->capacity(), capacity);
  std::vector<ThiefStats> stats(static_cast<std::size_t>(thieves));

  tact::test::Watchdog watchdog("deque stress (mixed)", seconds(60),
                                [&ledger] { return ledger.describe(); });
  StartGate gate;
  std::vector<tact::test::Thread> thief_threads;
  for (int i = 1; i <= thieves; ++i) {
    thief_threads.emplace_back([&, i] {
      run_thief(i, deques, ledger, stats[static_cast<std::size_t>(i - 1)], gate,
                0x5EED0000U + static_cast<std::uint64_t>(i));
    });
  }
  gate.open();
  const std::size_t refused = run_owner(*deques[0], ledger, capacity, 0x0DDBA11U + capacity);
  // The owner leaves what is still in its deque to the thieves; wait for them.
  for (tact::test::Thread& thread : thief_threads) thread.join();

  ledger.expect_each_item_taken_exactly_once();
  for (const auto& deque : deques) EXPECT_TRUE(deque->empty());
  std::size_t stolen = 0;
  for (const ThiefStats& thief : stats) stolen += thief.stolen;
  EXPECT_GT(stolen, 0U) << "the owner left items for the thieves, yet none was stolen";
  std::printf("[ info     ] owner's deque refused %zu of %zu pushes\n", refused, items);
  expect_thieves_progressed(stats, "mixed");
}

INSTANTIATE_TEST_SUITE_P(OwnerAndThieves, DequeStress,
                         ::testing::Combine(::testing::Values(1, 2, 3),
                                            ::testing::Values(2U, 4U, 8U)),
                         [](const auto& case_info) {
                           return std::to_string(std::get<0>(case_info.param)) +
                                  "Thieves_Capacity" + std::to_string(std::get<1>(case_info.param));
                         });

// =============================================================================
// The race for the last item: the owner pushes one item and pops it straight
// back, while thieves try to steal it. Every round goes through pop()'s CAS on
// top_ (t == b) against the thieves' CAS.
// =============================================================================

class DequeLastItemRace : public ::testing::TestWithParam<int> {};

TEST_P(DequeLastItemRace, OwnerAndThievesRacingForTheLastItemTakeItExactlyOnce) {
  const int thieves = GetParam();
  // Under the simulation 100 (each seed a few thousand steps, so many seeds).
  const auto items = static_cast<std::size_t>(tact::test::kSimulated ? 100 : tact::test::scaled(500'000));
  Ledger ledger(items);
  std::vector<std::unique_ptr<Deque>> deques;
  for (int i = 0; i <= thieves; ++i) deques.push_back(std::make_unique<Deque>(2));
  std::vector<ThiefStats> stats(static_cast<std::size_t>(thieves));

  tact::test::Watchdog watchdog("deque stress (last item)", seconds(60),
                                [&ledger] { return ledger.describe(); });
  StartGate gate;
  std::vector<tact::test::Thread> thief_threads;
  for (int i = 1; i <= thieves; ++i) {
    thief_threads.emplace_back([&, i] {
      run_thief(i, deques, ledger, stats[static_cast<std::size_t>(i - 1)], gate,
                0x1A57000U + static_cast<std::uint64_t>(i));
    });
  }
  gate.open();
  Deque& deque = *deques[0];
  Rng rng(0xB0770Cu);
  std::size_t owner_won = 0;
  std::size_t left_behind = 0;  // pop() returned, yet the deque was not empty
  for (std::size_t id = 0; id < items; ++id) {
    StressItem* item = ledger.prepare(id);
    const bool pushed = deque.push(item);  // never full: at most one item in it
    if (!pushed) {
      ADD_FAILURE() << "push into an empty deque of two slots was refused";
      ledger.take(item, kOwner);
      continue;
    }
    run_item(rng);  // leave the item in reach of the thieves for a moment
    if (id % kOwnerYieldEvery == 0) tact::test::yield();
    if (StressItem* popped = deque.pop()) {
      ++owner_won;
      ledger.take(popped, kOwner);
    }
    // Exact for the owner: pop() read top_ after the last thief's claim.
    if (!deque.empty()) ++left_behind;
  }
  for (tact::test::Thread& thread : thief_threads) thread.join();

  ledger.expect_each_item_taken_exactly_once();
  EXPECT_EQ(left_behind, 0U);
  std::printf("[ info     ] owner popped %zu of %zu; thieves took the rest\n", owner_won, items);
  expect_thieves_progressed(stats, "last item");
}

INSTANTIATE_TEST_SUITE_P(OwnerAndThieves, DequeLastItemRace, ::testing::Values(1, 2, 3),
                         [](const auto& case_info) {
                           return std::to_string(case_info.param) + "Thieves";
                         });

}  // namespace
}  // namespace tact::detail
