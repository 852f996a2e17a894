// Small helpers the runtime-level tests share.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>

#include <tact/config.hpp>

#include "support/concurrency.hpp"

namespace tact::test {

inline tact::Config workers(std::size_t n) {
  tact::Config config;
  config.workers = n;
  return config;
}

// Polls `done` (clock and sleeps through support/concurrency.hpp) until it holds or `limit` passes; returns its last value. For
// effects that follow a reply (counters bumped after the ask resolved).
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return done();
    tact::test::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace tact::test
