// tact::Driver: lend your own thread (an event loop, a game loop) to a Runtime,
// so the actors it wakes run on it instead of on a worker woken for them.
//
//   tact::Driver driver(rt);        // on the loop's thread, once
//   for (;;) {
//     wait_for_events();            // epoll_wait, ...
//     shard.ask(req).then(...);     // sends from this thread wake no worker...
//     driver.run_ready();           // ...they run here, now (LIFO: same core, hot cache)
//   }
//
// Why: a send from outside the runtime to an idle actor normally wakes a
// sleeping worker: a futex call for the sender, and a second core woken, for a
// handler of a few hundred nanoseconds. A loop that has nothing better to do
// than wait for the answer runs it itself (tokio's current-thread runtime,
// Seastar's reactor). The workers still run everything else (timers, mail from
// other threads) and take over what run_ready() leaves when it stops.
//
// The rules (each checked; misuse throws std::logic_error):
//   - one Driver per thread, not on a worker thread, destroyed on its thread;
//   - run_ready() on that thread only, never from inside a handler;
//   - what this thread sends waits for its next run_ready(): call it before
//     blocking on anything else. Blocking on a Reply (get/get_for/get_until), a
//     shutdown() and ~Driver() hand the waiting work to a worker first, so none
//     of those can deadlock; an epoll_wait of yours can't know, so don't wait
//     there with sends not yet run.
#pragma once

#include <cstddef>
#include <thread>

#include "tact/fwd.hpp"

namespace tact {

class Runtime;
namespace detail {
class Worker;
}  // namespace detail

class Driver {
 public:
  // The calling thread becomes a driver of `runtime` (which it must not outlive
  // in use: after shutdown, run_ready() returns 0).
  explicit Driver(Runtime& runtime);
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Runs actors that are ready (woken by this thread's sends, or queued by any
  // thread for the runtime) on this thread, until none is or `max_turns` actor
  // turns ran (a turn handles up to Config::budget messages); the rest goes to
  // the workers. Returns the number of turns run.
  std::size_t run_ready(std::size_t max_turns = kDefaultMaxTurns);

  static constexpr std::size_t kDefaultMaxTurns = 64;

 private:
  void check_thread(const char* what) const;

  detail::RuntimeCore* core_;
  detail::Worker* guest_;
  std::thread::id thread_;
};

}  // namespace tact
