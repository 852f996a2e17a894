// Small helpers the runtime-level tests share.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>

#include <tact/config.hpp>

namespace tact::test {

inline tact::Config workers(std::size_t n) {
  tact::Config config;
  config.workers = n;
  return config;
}

// Polls `done` until it holds or `limit` passes; returns its last value. For
// effects that follow a reply (counters bumped after the ask resolved).
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace tact::test
