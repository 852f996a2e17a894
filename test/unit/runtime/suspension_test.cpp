// Suspension's arrival counts, on the paths that schedule nobody (so no cell or
// runtime is needed): the event before the park, a kill before the park, and
// the rebase that keeps the counts from carrying into the bits above them. The
// paths where a wake or kill schedules a parked runner run in the api and
// stress tests (coroutine asks, kills of suspended actors, supervision).
#include <gtest/gtest.h>

#include <cstdint>

#include "actor/suspension.hpp"

namespace tact::detail {

struct SuspensionTestAccess {
  static std::uint64_t state(const Suspension& s) { return s.state_.load(relaxed); }
  static void set_counts(Suspension& s, std::uint64_t n) {
    s.state_.store(n * Suspension::kPark + n * Suspension::kWake, relaxed);
  }
  static std::uint64_t parks(const Suspension& s) { return Suspension::parks(state(s)); }
  static std::uint64_t wakes(const Suspension& s) { return Suspension::wakes(state(s)); }
  static constexpr std::uint64_t kRebase = Suspension::kRebase;
};

namespace {

using Access = SuspensionTestAccess;

struct Resumed {
  int calls = 0;
  bool killed = false;
};
void record(CellBase* /*cell*/, void* ctx, bool killed) noexcept {
  auto* resumed = static_cast<Resumed*>(ctx);
  ++resumed->calls;
  resumed->killed = killed;
}

// One suspension whose event comes before the runner parks: park() refuses,
// resume() runs the Resume once, not killed. Returns what resume() returned.
bool event_then_park(Suspension& s, Resumed& resumed) {
  s.request(&record, &resumed);
  s.wake();  // the reply came while the handler was still returning
  EXPECT_FALSE(s.park()) << "the event came first: the runner goes on";
  return s.resume();
}

TEST(Suspension, AnEventBeforeTheParkIsResumedAtOnceAndLeavesTheCountsEqual) {
  Suspension s(nullptr);
  Resumed resumed;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(event_then_park(s, resumed));
    EXPECT_EQ(resumed.calls, i + 1);
    EXPECT_FALSE(resumed.killed);
    EXPECT_EQ(Access::parks(s), Access::wakes(s));
    s.await_wake();  // no wake in flight: returns at once
  }
  EXPECT_FALSE(s.killed());
}

TEST(Suspension, AKillBeforeTheParkIsStickyAndResumesKilled) {
  Suspension s(nullptr);
  Resumed resumed;
  s.request(&record, &resumed);
  s.kill();  // not parked: schedules nobody
  EXPECT_TRUE(s.killed());
  EXPECT_FALSE(s.park()) << "a killed actor never parks";
  EXPECT_TRUE(s.resume());
  EXPECT_EQ(resumed.calls, 1);
  EXPECT_TRUE(resumed.killed);
  s.wake();  // the event still in flight arrives: touches nothing further
  s.await_wake();  // it has come: returns
  EXPECT_TRUE(s.killed());
}

TEST(Suspension, TheCountsAreTakenDownBeforeTheyCarryIntoTheBitsAbove) {
  Suspension s(nullptr);
  Access::set_counts(s, Access::kRebase - 1);
  Resumed resumed;
  EXPECT_FALSE(event_then_park(s, resumed));  // parks reach kRebase: resume rebases
  EXPECT_EQ(Access::parks(s), 0u);
  EXPECT_EQ(Access::wakes(s), 0u);
  EXPECT_FALSE(s.killed());
  // Still counting right afterwards, and a kill still sticks.
  EXPECT_FALSE(event_then_park(s, resumed));
  EXPECT_EQ(resumed.calls, 2);
  EXPECT_EQ(Access::parks(s), 1u);
  s.request(&record, &resumed);
  s.kill();
  EXPECT_FALSE(s.park());
  EXPECT_TRUE(s.resume());
}

}  // namespace
}  // namespace tact::detail
