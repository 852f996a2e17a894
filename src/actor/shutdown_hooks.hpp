// ShutdownHooks: the functions Runtime::shutdown() runs before it drains
// (rt.on_shutdown, include/tact/shutdown_hook.hpp). The core knows nothing of
// what they close: add-ons such as tact::nats register one per Node.
//
// Protocol: run_all() takes the hooks one at a time, newest first, marking the
// one it runs; remove() of that one waits on the condition variable until it
// has returned (unless called from inside it), so its owner may be freed as
// soon as remove() returns. After run_all() began, add() refuses.
#pragma once

#include <cstdint>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "sync/mutex.hpp"

namespace tact::detail {

class ShutdownHooks {
 public:
  // Throws tact::Error once shutdown has begun.
  std::uint64_t add(std::function<void()> fn);
  void remove(std::uint64_t id) noexcept;
  // Once: runs every hook still registered (later calls return at once).
  void run_all() noexcept;

 private:
  Mutex mutex_;
  CondVar done_;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> hooks_;  // oldest first
  std::uint64_t next_id_ = 1;
  std::uint64_t running_ = 0;  // the hook run_all() is running (0: none)
  std::thread::id runner_;     // the thread running it
  bool started_ = false;
};

}  // namespace tact::detail
