// TimerWheel against a model (a multimap of deadlines) on a virtual clock: the
// same entries come out at the same virtual times, none early, none late; far
// deadlines (hours, years, time_point::max()) and long idle jumps included.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "support/random.hpp"
#include "timer/timer_wheel.hpp"

namespace {

using namespace std::chrono_literals;
using tact::detail::TimerWheel;
using tact::detail::TimerWheelEntry;
using Clock = std::chrono::steady_clock;
using tact::test::Rng;

// An arbitrary, non-zero origin: ticks count from it.
const Clock::time_point kOrigin = Clock::time_point(1234567890123ns);

struct Item {
  TimerWheelEntry entry;  // first: the chain's entries are Items
  int id = 0;
};

Item* item_of(TimerWheelEntry* e) { return reinterpret_cast<Item*>(e); }

std::set<int> ids_of(TimerWheelEntry* chain) {
  std::set<int> ids;
  for (TimerWheelEntry* e = chain; e != nullptr; e = e->next) {
    EXPECT_FALSE(e->linked);
    if (e->next != nullptr) {
      EXPECT_LE(e->deadline, e->next->deadline) << "out of deadline order";
    }
    EXPECT_TRUE(ids.insert(item_of(e)->id).second) << "handed out twice";
  }
  return ids;
}

// A delay from a mix of scales: same tick, a few ticks, each level, beyond the wheel.
Clock::duration random_delay(Rng& rng) {
  switch (rng.below(8)) {
    case 0: return Clock::duration(static_cast<Clock::rep>(rng.below(1'000'000)));  // < 1 tick
    case 1: return 1ms * static_cast<int>(rng.below(64));
    case 2: return 1ms * static_cast<int>(rng.below(4096));
    case 3: return 1ms * static_cast<int>(rng.below(300'000));
    case 4: return std::chrono::hours(static_cast<int>(rng.below(48)));
    case 5: return std::chrono::hours(24 * 365 * 3) + 1ms * static_cast<int>(rng.below(1000));
    case 6: return -(1ms * static_cast<int>(rng.below(50)));  // already past
    default: return Clock::duration(static_cast<Clock::rep>(rng.below(10'000'000'000ull)));
  }
}

Clock::duration random_step(Rng& rng) {
  switch (rng.below(6)) {
    case 0: return Clock::duration(0);
    case 1: return Clock::duration(static_cast<Clock::rep>(rng.below(2'000'000)));
    case 2: return 1ms * static_cast<int>(rng.below(100));
    case 3: return 1ms * static_cast<int>(rng.below(100'000));
    case 4: return std::chrono::hours(static_cast<int>(rng.below(30)));
    default: return rng.below(20) == 0 ? std::chrono::hours(24 * 365 * 2) : 1ms;
  }
}

void run_against_model(std::uint64_t seed, int steps) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  Rng rng(seed);
  TimerWheel wheel(kOrigin);
  std::vector<std::unique_ptr<Item>> items;
  std::map<int, Clock::time_point> live;  // the model
  Clock::time_point now = kOrigin + Clock::duration(static_cast<Clock::rep>(rng.below(5'000'000)));
  (void)wheel.advance(now);
  for (int step = 0; step < steps; ++step) {
    const std::uint64_t op = rng.below(10);
    if (op < 5) {
      auto item = std::make_unique<Item>();
      item->id = static_cast<int>(items.size());
      const Clock::duration delay = random_delay(rng);
      const Clock::time_point deadline =
          rng.below(50) == 0 ? Clock::time_point::max() : now + delay;
      wheel.insert(&item->entry, deadline);
      live.emplace(item->id, deadline);
      items.push_back(std::move(item));
    } else if (op < 7 && !live.empty()) {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng.below(live.size())));
      wheel.remove(&items[static_cast<std::size_t>(it->first)]->entry);
      live.erase(it);
    } else {
      now += random_step(rng);
      std::set<int> expected;
      for (auto it = live.begin(); it != live.end();) {
        if (it->second <= now) {
          expected.insert(it->first);
          it = live.erase(it);
        } else {
          ++it;
        }
      }
      ASSERT_EQ(ids_of(wheel.advance(now)), expected) << "step " << step;
    }
    ASSERT_EQ(wheel.size(), live.size());
    // next_deadline: present iff anything is filed, never after the earliest deadline.
    const auto next = wheel.next_deadline();
    ASSERT_EQ(next.has_value(), !live.empty());
    if (next) {
      Clock::time_point earliest = Clock::time_point::max();
      for (const auto& [id, deadline] : live) earliest = std::min(earliest, deadline);
      ASSERT_LE(*next, earliest) << "step " << step;
    }
  }
  // Drain: advancing to each reported deadline reaches every entry in bounded wake-ups.
  int wakeups = 0;
  while (const auto next = wheel.next_deadline()) {
    if (*next == Clock::time_point::max()) break;
    now = std::max(now, *next);
    (void)wheel.advance(now);
    ASSERT_LT(++wakeups, 100'000);
  }
  (void)wheel.take_all();
  EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheel, MatchesAModelOverSeededRandomSequences) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) run_against_model(seed, 3000);
}

TEST(TimerWheel, NeverHandsOutAnEntryBeforeItsDeadlineWithinATick) {
  TimerWheel wheel(kOrigin);
  Item a;
  a.id = 1;
  wheel.insert(&a.entry, kOrigin + 5ms + 700us);
  EXPECT_EQ(wheel.advance(kOrigin + 5ms + 699us), nullptr);
  EXPECT_EQ(*wheel.next_deadline(), kOrigin + 5ms + 700us) << "exact, not the tick";
  EXPECT_EQ(ids_of(wheel.advance(kOrigin + 5ms + 700us)), std::set<int>{1});
  EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheel, APastDeadlineIsDueAtTheNextAdvance) {
  TimerWheel wheel(kOrigin);
  (void)wheel.advance(kOrigin + 1s);
  Item a;
  a.id = 7;
  wheel.insert(&a.entry, kOrigin + 10ms);
  EXPECT_EQ(*wheel.next_deadline(), kOrigin + 10ms);
  EXPECT_EQ(ids_of(wheel.advance(kOrigin + 1s)), std::set<int>{7});
}

TEST(TimerWheel, FarDeadlinesWaitAndComeOutOnTime) {
  TimerWheel wheel(kOrigin);
  Item hours, years, never;
  hours.id = 1;
  years.id = 2;
  never.id = 3;
  wheel.insert(&hours.entry, kOrigin + 5h + 3ms);
  wheel.insert(&years.entry, kOrigin + std::chrono::hours(24 * 365 * 7) + 1ns);
  wheel.insert(&never.entry, Clock::time_point::max());
  EXPECT_EQ(wheel.advance(kOrigin + 5h + 2ms), nullptr);
  EXPECT_EQ(ids_of(wheel.advance(kOrigin + 5h + 3ms)), std::set<int>{1});
  EXPECT_EQ(wheel.advance(kOrigin + std::chrono::hours(24 * 365 * 7)), nullptr);
  EXPECT_EQ(ids_of(wheel.advance(kOrigin + std::chrono::hours(24 * 365 * 7) + 1ns)), std::set<int>{2});
  EXPECT_EQ(wheel.advance(kOrigin + std::chrono::hours(24 * 365 * 200)), nullptr);
  EXPECT_EQ(wheel.size(), 1u);
  wheel.remove(&never.entry);
  EXPECT_FALSE(wheel.next_deadline().has_value());
}

TEST(TimerWheel, RemoveFromEveryPlaceLeavesNoTrace) {
  TimerWheel wheel(kOrigin);
  Item due, low, high;
  (void)wheel.advance(kOrigin + 3ms);
  wheel.insert(&due.entry, kOrigin + 3ms + 500us);  // the current tick: due, not yet handed out
  wheel.insert(&low.entry, kOrigin + 9ms);
  wheel.insert(&high.entry, kOrigin + 2h);
  EXPECT_EQ(wheel.size(), 3u);
  wheel.remove(&due.entry);
  wheel.remove(&low.entry);
  wheel.remove(&high.entry);
  EXPECT_TRUE(wheel.empty());
  EXPECT_FALSE(wheel.next_deadline().has_value());
  EXPECT_EQ(wheel.advance(kOrigin + 3h), nullptr);
}

TEST(TimerWheel, TakeAllReturnsEveryEntryOnce) {
  TimerWheel wheel(kOrigin);
  std::vector<Item> items(200);
  std::set<int> expected;
  for (int i = 0; i < 200; ++i) {
    items[static_cast<std::size_t>(i)].id = i;
    expected.insert(i);
    wheel.insert(&items[static_cast<std::size_t>(i)].entry, kOrigin + 1ms * (i * i * 37));
  }
  EXPECT_EQ(ids_of(wheel.take_all()), expected);
  EXPECT_TRUE(wheel.empty());
}

}  // namespace
