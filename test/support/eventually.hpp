// eventually(): polls a condition that follows from work already started (a
// timer, a message in flight) until it holds or a generous limit passes. Tests
// on a shared, noisy machine assert "eventually", never a tight upper bound.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace tact::test {

// Returns the condition's last value.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

}  // namespace tact::test
