// A whole tact::Runtime under the simulation: workers, the Driver, shutdown's drain,
// coroutine awaits racing a kill or a stop, a linked failure under load. Each scenario
// of runtime_scenarios.hpp and lifecycle_scenarios.hpp over many seeds with both
// strategies (bounded by time: see sim_support.hpp).
#include <gtest/gtest.h>

#include "lifecycle_scenarios.hpp"
#include "runtime_scenarios.hpp"
#include "sim_support.hpp"

namespace {

using tact::simtest::expect_all_seeds_pass;
namespace rt = tact::simtest::rt;

constexpr std::uint64_t kSeeds = 100;
constexpr double kSeconds = 20;  // per strategy

TEST(SimRuntime, TellAndAskFromThreadsThenShutdown) {
  expect_all_seeds_pass("rt_tell_ask", kSeeds, kSeconds, rt::tell_ask_from_threads_then_shutdown,
                        3, 5000);
}

TEST(SimRuntime, ATellRightBeforeShutdownIsHandled) {
  expect_all_seeds_pass("rt_tell_before_shutdown", kSeeds, kSeconds,
                        rt::a_tell_right_before_shutdown_is_handled, 3, 5000);
}

TEST(SimRuntime, ShutdownWaitsForTheTurnADriverIsRunning) {
  expect_all_seeds_pass("rt_driver_turn", kSeeds, kSeconds,
                        rt::shutdown_waits_for_the_turn_a_driver_is_running, 3, 5000);
}

TEST(SimRuntime, AnInterleavedAwaitsReplyRacingAKillResolvesOnce) {
  expect_all_seeds_pass("rt_interleaved_kill", kSeeds, kSeconds,
                        [] { return rt::a_reply_racing_a_kill_resolves_the_ask_once(true); }, 3,
                        5000);
}

TEST(SimRuntime, AnAwaitsReplyRacingAKillResolvesOnce) {
  expect_all_seeds_pass("rt_await_kill", kSeeds, kSeconds,
                        [] { return rt::a_reply_racing_a_kill_resolves_the_ask_once(false); }, 3,
                        5000);
}

TEST(SimRuntime, ALinkedFailureUnderLoadTakesTheChainDown) {
  expect_all_seeds_pass("rt_linked_failure", kSeeds, kSeconds,
                        rt::a_linked_failure_under_load_takes_the_chain_down, 3, 5000);
}

TEST(SimRuntime, AnInterleavedAwaitsReplyRacingAStopResolvesOnce) {
  expect_all_seeds_pass("rt_interleaved_stop", kSeeds, kSeconds,
                        [] { return rt::a_reply_racing_a_stop_resolves_the_ask_once(true); }, 3,
                        5000);
}

TEST(SimRuntime, AnAwaitsReplyRacingAStopResolvesOnce) {
  expect_all_seeds_pass("rt_await_stop", kSeeds, kSeconds,
                        [] { return rt::a_reply_racing_a_stop_resolves_the_ask_once(false); }, 3,
                        5000);
}

TEST(SimRuntime, DownsReachAnActorParkedInAnAwait) {
  expect_all_seeds_pass("rt_parked_down", kSeeds, kSeconds, rt::downs_reach_an_actor_parked_in_an_await,
                        3, 5000);
}

TEST(SimRuntime, FanInPipelinesCountEveryMessageAsTheyMove) {
  expect_all_seeds_pass("rt_fan_in_pipelines", kSeeds, kSeconds,
                        rt::fan_in_pipelines_count_every_message_as_they_move, 3, 5000);
}

}  // namespace
