// eventually(): polls a condition that follows from messages already sent,
// until it holds or the limit passes; returns its last value.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include <tact/config.hpp>

namespace tact::test {

inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

inline tact::Config workers(std::size_t n) {
  tact::Config config;
  config.workers = n;
  return config;
}

}  // namespace tact::test
