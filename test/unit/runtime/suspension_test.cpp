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

using Park = Suspension::Park;
using Outcome = Suspension::Resumed;

// One suspension whose event comes before the runner parks: park() refuses,
// resume() runs the Resume once, not killed. True if resume() said so.
bool event_then_park(Suspension& s, Resumed& resumed) {
  s.request(&record, &resumed);
  s.wake();  // the reply came while the handler was still returning
  EXPECT_EQ(s.park(), Park::kWoken) << "the event came first: the runner goes on";
  return s.resume() == Outcome::kEvent;
}

TEST(Suspension, AnEventBeforeTheParkIsResumedAtOnceAndLeavesTheCountsEqual) {
  Suspension s(nullptr);
  Resumed resumed;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(event_then_park(s, resumed));
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
  EXPECT_EQ(s.park(), Park::kWoken) << "a killed actor never parks";
  EXPECT_EQ(s.resume(), Outcome::kKilled);
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
  EXPECT_TRUE(event_then_park(s, resumed));  // parks reach kRebase: resume rebases
  EXPECT_EQ(Access::parks(s), 0u);
  EXPECT_EQ(Access::wakes(s), 0u);
  EXPECT_FALSE(s.killed());
  // Still counting right afterwards, and a kill still sticks.
  EXPECT_TRUE(event_then_park(s, resumed));
  EXPECT_EQ(resumed.calls, 2);
  EXPECT_EQ(Access::parks(s), 1u);
  s.request(&record, &resumed);
  s.kill();
  EXPECT_EQ(s.park(), Park::kWoken);
  EXPECT_EQ(s.resume(), Outcome::kKilled);
}

// Pokes (control-lane mail) on the paths that schedule nobody: a poke to a
// running actor makes its next park serve the lane; the event arriving while
// it serves is seen by repark(); drop() settles a wait that is given up.
TEST(Suspension, APokeBeforeTheParkIsServedThenTheWaitGoesOn) {
  Suspension s(nullptr);
  Resumed resumed;
  s.request(&record, &resumed);
  s.poke();  // running: schedules nobody, leaves kPoked up
  EXPECT_EQ(s.park(), Park::kPoked) << "the lane is served before parking";
  s.wake();  // the event while the lane is served: kPoked up, schedules nobody
  EXPECT_EQ(s.repark(false), Park::kWoken) << "repark sees the event that came meanwhile";
  EXPECT_EQ(s.resume(), Outcome::kEvent);
  EXPECT_EQ(resumed.calls, 1);
  EXPECT_EQ(Access::parks(s), Access::wakes(s));
  EXPECT_TRUE(event_then_park(s, resumed)) << "no poke left behind";
}

TEST(Suspension, APokeWithTheEventClearsOnResume) {
  Suspension s(nullptr);
  Resumed resumed;
  s.request(&record, &resumed);
  s.poke();
  s.wake();
  EXPECT_EQ(s.park(), Park::kWoken) << "the event wins: resume, the lane is drained after";
  EXPECT_EQ(s.resume(), Outcome::kEvent);
  EXPECT_EQ(Access::state(s) & (std::uint64_t{1} << 31), 0u) << "kPoked cleared";
  EXPECT_TRUE(event_then_park(s, resumed));
}

TEST(Suspension, DropGivesTheWaitUpAndBalancesTheCounts) {
  Suspension s(nullptr);
  Resumed resumed;
  s.request(&record, &resumed);
  s.poke();
  EXPECT_EQ(s.park(), Park::kPoked);
  s.drop();  // a lane handler stopped the actor: the Resume runs, told "killed"
  EXPECT_EQ(resumed.calls, 1);
  EXPECT_TRUE(resumed.killed);
  EXPECT_EQ(Access::parks(s), Access::wakes(s));
  EXPECT_FALSE(s.killed()) << "not sticky: a supervised child may park again";
  EXPECT_TRUE(event_then_park(s, resumed));
}

}  // namespace
}  // namespace tact::detail
