// Helpers for tests under the deterministic simulation (src/sim/sim.hpp).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>

#include "sim/sim.hpp"

namespace tact::simtest {

// An invariant inside a simulated run: a failure ends the run (the seed fails) with
// the condition and its place as the reason.
struct CheckFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};
#define SIM_CHECK(cond)                                                                  \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      throw ::tact::simtest::CheckFailed(std::string(__FILE__ ":") +                     \
                                         std::to_string(__LINE__) + ": " #cond);         \
    }                                                                                    \
  } while (0)

inline std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

// Runs `body` for `seeds` seeds with each strategy (random walk, then PCT), within
// `seconds` each; every seed must pass.
inline void expect_all_seeds_pass(const char* name, std::uint64_t seeds, double seconds,
                                  const std::function<bool()>& body, int pct_depth = 3,
                                  std::uint64_t pct_horizon = 100) {
  for (sim::Mode mode : {sim::Mode::kRandom, sim::Mode::kPct}) {
    sim::ExploreOptions o;
    o.first_seed = 1;
    o.seeds = seeds;
    o.mode = mode;
    o.pct_depth = pct_depth;
    o.pct_horizon = pct_horizon;
    o.max_seconds = seconds;
    const sim::ExploreReport r = sim::explore(name, o, body);
    EXPECT_EQ(r.failures, 0u) << name << ": " << r.summary();
    EXPECT_GT(r.runs, 0u);
  }
}

// Seeds until the first failure (the bug-variant tests): the report says which.
inline sim::ExploreReport seeds_to_find(const char* name, sim::Mode mode, std::uint64_t seeds,
                                        double seconds, const std::function<bool()>& body,
                                        int pct_depth = 3, std::uint64_t pct_horizon = 100,
                                        bool weak_memory = false) {
  sim::ExploreOptions o;
  o.weak_memory = weak_memory;
  o.first_seed = 1;
  o.seeds = seeds;
  o.mode = mode;
  o.pct_depth = pct_depth;
  o.pct_horizon = pct_horizon;
  o.max_seconds = seconds;
  o.child_timeout_seconds = 30;
  return sim::explore(name, o, body);
}

}  // namespace tact::simtest
