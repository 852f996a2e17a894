// Single-threaded behaviour of ChaseLevDeque: the ends (LIFO pop, FIFO steal),
// the bounded ring (full push, capacity rounding, index wrap-around), steal_half's
// share and its respect for the destination's room, and size(). Concurrency is
// the stress test's job (test/stress/deque_stress_test.cpp).
#include "scheduler/chase_lev_deque.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace tact::detail {
namespace {

// Items are ints whose value is their index in the pool, so a test can say
// which item came back by value and by address.
template <std::size_t N>
struct ItemPool {
  ItemPool() {
    for (std::size_t i = 0; i < N; ++i) items[i] = static_cast<int>(i);
  }
  int* operator[](std::size_t i) { return &items[i]; }
  std::array<int, N> items{};
};

// Takes one item with steal(), failing the test unless it succeeded.
int* steal_one(ChaseLevDeque<int>& deque) {
  const StealResult<int> result = deque.steal();
  EXPECT_EQ(result.status, StealStatus::kSuccess);
  return result.item;
}

// -- the two ends ---------------------------------------------------------------

TEST(ChaseLevDeque, PopReturnsTheMostRecentlyPushedItemFirst) {
  ItemPool<4> pool;
  ChaseLevDeque<int> deque(8);
  for (std::size_t i = 0; i < 4; ++i) ASSERT_TRUE(deque.push(pool[i]));
  EXPECT_EQ(deque.pop(), pool[3]);
  EXPECT_EQ(deque.pop(), pool[2]);
  EXPECT_EQ(deque.pop(), pool[1]);
  EXPECT_EQ(deque.pop(), pool[0]);
  EXPECT_EQ(deque.pop(), nullptr);
}

TEST(ChaseLevDeque, StealReturnsTheOldestItemFirst) {
  ItemPool<4> pool;
  ChaseLevDeque<int> deque(8);
  for (std::size_t i = 0; i < 4; ++i) ASSERT_TRUE(deque.push(pool[i]));
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(steal_one(deque), pool[i]);
  EXPECT_EQ(deque.steal().status, StealStatus::kEmpty);
}

TEST(ChaseLevDeque, PopAndStealTakeFromOppositeEndsUntilTheyMeet) {
  ItemPool<5> pool;
  ChaseLevDeque<int> deque(8);
  for (std::size_t i = 0; i < 5; ++i) ASSERT_TRUE(deque.push(pool[i]));
  EXPECT_EQ(steal_one(deque), pool[0]);
  EXPECT_EQ(deque.pop(), pool[4]);
  EXPECT_EQ(steal_one(deque), pool[1]);
  EXPECT_EQ(deque.pop(), pool[3]);
  // The last item goes through pop()'s CAS path (top == bottom - 1).
  EXPECT_EQ(deque.pop(), pool[2]);
  EXPECT_EQ(deque.pop(), nullptr);
  EXPECT_EQ(deque.steal().status, StealStatus::kEmpty);
}

TEST(ChaseLevDeque, StealOnAnEmptyDequeReportsEmptyNotLost) {
  ItemPool<1> pool;
  ChaseLevDeque<int> deque(4);
  const StealResult<int> fresh = deque.steal();
  EXPECT_EQ(fresh.status, StealStatus::kEmpty);
  EXPECT_EQ(fresh.item, nullptr);

  // Empty again after use, through either end.
  ASSERT_TRUE(deque.push(pool[0]));
  ASSERT_EQ(deque.pop(), pool[0]);
  EXPECT_EQ(deque.steal().status, StealStatus::kEmpty);
  ASSERT_TRUE(deque.push(pool[0]));
  ASSERT_EQ(steal_one(deque), pool[0]);
  EXPECT_EQ(deque.steal().status, StealStatus::kEmpty);
}

TEST(ChaseLevDeque, PopOnAnEmptyDequeReturnsNullAndLeavesItUsable) {
  ItemPool<1> pool;
  ChaseLevDeque<int> deque(2);
  // Repeated empty pops must undo their reservation of bottom each time.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(deque.pop(), nullptr);
  EXPECT_EQ(deque.size(), 0U);
  ASSERT_TRUE(deque.push(pool[0]));
  EXPECT_EQ(deque.size(), 1U);
  EXPECT_EQ(steal_one(deque), pool[0]);
}

// -- the bounded ring -----------------------------------------------------------

TEST(ChaseLevDeque, CapacityIsRoundedUpToAPowerOfTwoOfAtLeastTwo) {
  EXPECT_EQ(ChaseLevDeque<int>(0).capacity(), 2U);
  EXPECT_EQ(ChaseLevDeque<int>(1).capacity(), 2U);
  EXPECT_EQ(ChaseLevDeque<int>(2).capacity(), 2U);
  EXPECT_EQ(ChaseLevDeque<int>(3).capacity(), 4U);
  EXPECT_EQ(ChaseLevDeque<int>(4).capacity(), 4U);
  EXPECT_EQ(ChaseLevDeque<int>(5).capacity(), 8U);
  EXPECT_EQ(ChaseLevDeque<int>(255).capacity(), 256U);
  EXPECT_EQ(ChaseLevDeque<int>(256).capacity(), 256U);
  EXPECT_EQ(ChaseLevDeque<int>(257).capacity(), 512U);
}

TEST(ChaseLevDeque, RoundedCapacityIsTheNumberOfItemsItHolds) {
  ItemPool<8> pool;
  ChaseLevDeque<int> deque(3);  // rounds to 4
  for (std::size_t i = 0; i < 4; ++i) EXPECT_TRUE(deque.push(pool[i])) << "item " << i;
  EXPECT_FALSE(deque.push(pool[4]));
}

TEST(ChaseLevDeque, PushOnAFullDequeReturnsFalseAndKeepsEveryStoredItem) {
  ItemPool<5> pool;
  ChaseLevDeque<int> deque(4);
  for (std::size_t i = 0; i < 4; ++i) ASSERT_TRUE(deque.push(pool[i]));
  EXPECT_FALSE(deque.push(pool[4]));
  EXPECT_FALSE(deque.push(pool[4]));  // still full, still refused
  EXPECT_EQ(deque.size(), 4U);
  // The refused push overwrote nothing: all four come back, in order.
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(steal_one(deque), pool[i]);
  EXPECT_EQ(deque.pop(), nullptr);
}

TEST(ChaseLevDeque, AFullDequeAcceptsAPushAgainOnceAThiefMakesRoom) {
  ItemPool<5> pool;
  ChaseLevDeque<int> deque(4);
  for (std::size_t i = 0; i < 4; ++i) ASSERT_TRUE(deque.push(pool[i]));
  ASSERT_FALSE(deque.push(pool[4]));
  EXPECT_EQ(steal_one(deque), pool[0]);
  // The new item lands in the slot the thief vacated (index 4 wraps to slot 0).
  EXPECT_TRUE(deque.push(pool[4]));
  EXPECT_EQ(deque.pop(), pool[4]);
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(steal_one(deque), pool[i]);
}

// Many laps around rings of 2 and 4 slots, mixing the ends, must keep both
// orders and never mistake full for empty or the other way round.
class ChaseLevDequeWrapAround : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ChaseLevDequeWrapAround, OrderAndFullnessHoldOverManyLapsOfTheRing) {
  const std::size_t capacity = GetParam();
  ItemPool<4> pool;
  ChaseLevDeque<int> deque(capacity);
  ASSERT_EQ(deque.capacity(), capacity);
  constexpr int kLaps = 1000;
  for (int lap = 0; lap < kLaps; ++lap) {
    for (std::size_t i = 0; i < capacity; ++i) ASSERT_TRUE(deque.push(pool[i])) << "lap " << lap;
    ASSERT_FALSE(deque.push(pool[0])) << "lap " << lap;
    ASSERT_EQ(deque.size(), capacity);
    // Rotate which end drains the lap: the bottom, the top, or both.
    if (lap % 3 == 0) {
      for (std::size_t i = capacity; i-- > 0;) ASSERT_EQ(deque.pop(), pool[i]) << "lap " << lap;
    } else if (lap % 3 == 1) {
      for (std::size_t i = 0; i < capacity; ++i) {
        ASSERT_EQ(steal_one(deque), pool[i]) << "lap " << lap;
      }
    } else {
      ASSERT_EQ(steal_one(deque), pool[0]) << "lap " << lap;
      for (std::size_t i = capacity; i-- > 1;) ASSERT_EQ(deque.pop(), pool[i]) << "lap " << lap;
    }
    ASSERT_EQ(deque.pop(), nullptr) << "lap " << lap;
    ASSERT_EQ(deque.steal().status, StealStatus::kEmpty) << "lap " << lap;
  }
}

TEST_P(ChaseLevDequeWrapAround, SinglePushPopPairsCycleThroughEverySlot) {
  const std::size_t capacity = GetParam();
  ItemPool<1> pool;
  ChaseLevDeque<int> deque(capacity);
  // One item in flight at a time: bottom and top advance together, lap after lap.
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(deque.push(pool[0]));
    if (i % 2 == 0) {
      ASSERT_EQ(deque.pop(), pool[0]);
    } else {
      ASSERT_EQ(steal_one(deque), pool[0]);
    }
    ASSERT_EQ(deque.size(), 0U);
  }
}

INSTANTIATE_TEST_SUITE_P(TinyCapacities, ChaseLevDequeWrapAround, ::testing::Values(2U, 4U),
                         [](const auto& case_info) {
                           return "Capacity" + std::to_string(case_info.param);
                         });

// -- steal_half -----------------------------------------------------------------

// steal_half on n items takes ceil(n / 2): the oldest is returned, the next ones
// (oldest first) are pushed into dst; the newest stay in the source.
class ChaseLevDequeStealHalf : public ::testing::TestWithParam<std::size_t> {};

TEST_P(ChaseLevDequeStealHalf, MovesHalfRoundedUpReturningTheOldestAndPushingTheRestIntoDst) {
  const std::size_t n = GetParam();
  ItemPool<16> pool;
  ChaseLevDeque<int> source(16);
  ChaseLevDeque<int> dst(16);
  for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(source.push(pool[i]));

  const StealResult<int> first = source.steal_half(dst);
  const std::size_t taken = (n + 1) / 2;
  ASSERT_EQ(first.status, StealStatus::kSuccess);
  EXPECT_EQ(first.item, pool[0]);
  EXPECT_EQ(dst.size(), taken - 1);
  EXPECT_EQ(source.size(), n - taken);

  // dst got items 1 .. taken-1 in their original order (oldest at dst's top).
  for (std::size_t i = 1; i < taken; ++i) EXPECT_EQ(steal_one(dst), pool[i]);
  // The source kept the newest ones.
  for (std::size_t i = n; i-- > taken;) EXPECT_EQ(source.pop(), pool[i]);
  EXPECT_EQ(source.pop(), nullptr);
}

INSTANTIATE_TEST_SUITE_P(ItemCounts, ChaseLevDequeStealHalf,
                         ::testing::Values(1U, 2U, 3U, 4U, 5U, 7U, 8U, 15U, 16U),
                         [](const auto& case_info) {
                           return std::to_string(case_info.param) + "Items";
                         });

TEST(ChaseLevDeque, StealHalfNeverPushesMoreThanDstHasRoomFor) {
  ItemPool<16> pool;
  ChaseLevDeque<int> source(16);
  ChaseLevDeque<int> dst(4);
  for (std::size_t i = 0; i < 16; ++i) ASSERT_TRUE(source.push(pool[i]));
  ASSERT_TRUE(dst.push(pool[15]));  // an item of dst's own: 3 slots of room left
  ASSERT_TRUE(dst.push(pool[14]));  // ... 2 slots left

  // Half of 16 is 8 (1 returned + 7 pushed), but dst takes only 2 more.
  const StealResult<int> first = source.steal_half(dst);
  ASSERT_EQ(first.status, StealStatus::kSuccess);
  EXPECT_EQ(first.item, pool[0]);
  EXPECT_EQ(dst.size(), 4U);
  EXPECT_EQ(source.size(), 16U - 3U);
  // Nothing was dropped: dst holds its own two, then items 1 and 2.
  EXPECT_EQ(dst.pop(), pool[2]);
  EXPECT_EQ(dst.pop(), pool[1]);
  EXPECT_EQ(dst.pop(), pool[14]);
  EXPECT_EQ(dst.pop(), pool[15]);
  EXPECT_EQ(steal_one(source), pool[3]);
}

TEST(ChaseLevDeque, StealHalfIntoAFullDstStillReturnsOneItem) {
  ItemPool<6> pool;
  ChaseLevDeque<int> source(4);
  ChaseLevDeque<int> dst(2);
  for (std::size_t i = 0; i < 4; ++i) ASSERT_TRUE(source.push(pool[i]));
  ASSERT_TRUE(dst.push(pool[4]));
  ASSERT_TRUE(dst.push(pool[5]));

  const StealResult<int> first = source.steal_half(dst);
  ASSERT_EQ(first.status, StealStatus::kSuccess);
  EXPECT_EQ(first.item, pool[0]);
  EXPECT_EQ(dst.size(), 2U);
  EXPECT_EQ(source.size(), 3U);
}

TEST(ChaseLevDeque, StealHalfOnAnEmptyDequeReportsEmptyAndLeavesDstUntouched) {
  ItemPool<1> pool;
  ChaseLevDeque<int> source(4);
  ChaseLevDeque<int> dst(4);
  ASSERT_TRUE(dst.push(pool[0]));
  const StealResult<int> result = source.steal_half(dst);
  EXPECT_EQ(result.status, StealStatus::kEmpty);
  EXPECT_EQ(result.item, nullptr);
  EXPECT_EQ(dst.size(), 1U);
}

TEST(ChaseLevDeque, RepeatedStealHalfDrainsTheSourceTakingEachItemOnce) {
  ItemPool<16> pool;
  ChaseLevDeque<int> source(16);
  ChaseLevDeque<int> dst(16);
  for (std::size_t i = 0; i < 16; ++i) ASSERT_TRUE(source.push(pool[i]));
  std::vector<int> seen;
  for (;;) {
    const StealResult<int> result = source.steal_half(dst);
    if (result.status == StealStatus::kEmpty) break;
    ASSERT_EQ(result.status, StealStatus::kSuccess);
    seen.push_back(*result.item);
    while (int* item = dst.pop()) seen.push_back(*item);
  }
  // 16 → 8 → 4 → 2 → 1 → 1: five rounds; every item exactly once.
  ASSERT_EQ(seen.size(), 16U);
  std::array<int, 16> counts{};
  for (int value : seen) ++counts[static_cast<std::size_t>(value)];
  for (int count : counts) EXPECT_EQ(count, 1);
}

// -- size -----------------------------------------------------------------------

TEST(ChaseLevDeque, SizeCountsItemsThroughPushesPopsAndSteals) {
  ItemPool<8> pool;
  ChaseLevDeque<int> deque(8);
  EXPECT_EQ(deque.size(), 0U);
  EXPECT_TRUE(deque.empty());
  for (std::size_t i = 0; i < 8; ++i) {
    ASSERT_TRUE(deque.push(pool[i]));
    EXPECT_EQ(deque.size(), i + 1);
  }
  EXPECT_FALSE(deque.push(pool[0]));
  EXPECT_EQ(deque.size(), 8U);  // a refused push changes nothing
  ASSERT_NE(deque.pop(), nullptr);
  EXPECT_EQ(deque.size(), 7U);
  ASSERT_NE(steal_one(deque), nullptr);
  EXPECT_EQ(deque.size(), 6U);
  while (deque.pop() != nullptr) {
  }
  EXPECT_EQ(deque.size(), 0U);
  EXPECT_TRUE(deque.empty());
  EXPECT_EQ(deque.pop(), nullptr);
  EXPECT_EQ(deque.size(), 0U);  // an empty pop does not leave bottom below top
}

}  // namespace
}  // namespace tact::detail
