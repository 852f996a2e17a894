// The scheduler (workers, deques, injector, idle/wake, quiescence) under the
// simulation: the scenarios of scheduler_scenarios.hpp over many seeds, with both
// strategies. sim_bug_test.cpp runs the same scenarios with the historical races back.
#include <gtest/gtest.h>

#include "scheduler_scenarios.hpp"
#include "sim_support.hpp"

namespace {

using tact::simtest::expect_all_seeds_pass;

TEST(SimScheduler, QuiescentIsNeverTrueWhileATaskIsInFlight) {
  expect_all_seeds_pass("quiescent", 200, 25,
                        tact::simtest::quiescent_never_true_while_a_task_is_in_flight, 3, 2000);
}

TEST(SimScheduler, ASleepingWorkerIsWokenWhileTheOtherRunsALongTask) {
  expect_all_seeds_pass("woken_worker", 200, 25,
                        tact::simtest::a_sleeping_worker_is_woken_while_the_other_runs_a_long_task,
                        3, 2000);
}

}  // namespace
