// Idle: which workers are searching for work and which sleep, and the protocol
// that wakes them. (tokio's multi_thread/idle.rs is the model.)
//
// Words:
//   searching  a worker out of local work, looking in the injector and stealing.
//              At most half the workers (at least one) search at once, so a burst
//              of idle workers does not hammer the other workers' deques.
//   sleeping   a worker registered in sleepers_, parked (or about to park) on its
//              Parker.
//
// The wake rule (Scheduler::notify_one): after making work visible (deque push,
// injector push), a producer wakes one sleeper only when nobody is searching and
// somebody sleeps. A woken worker starts as a searcher.
//
// No lost wake-up. Claim: work made visible is always run, by the producer's
// worker or by another. A worker W goes to sleep only through prepare_park():
//   W1  state_ := (sleeping+1, searching-was_searching)  [under mutex_]
//   W2  seq_cst fence
//   W3  re-check every queue (injector, every deque); if any has work, cancel
//       the park and search again
// A producer P making work visible does:
//   P1  push the work (deque bottom_ store / injector enqueue)
//   P2  seq_cst fence
//   P3  read state_; if searching == 0 and sleeping > 0, wake a sleeper
// The two fences are ordered one way or the other in the single total order of
// seq_cst operations. If W2 comes first, P3 reads W1's state (or a later one)
// and P1's work is then covered: either a searcher exists, or P wakes a sleeper.
// If P2 comes first, W3 sees P1's work and W does not sleep. Either way the work
// is seen by an awake worker. (Store→load across different locations needs
// seq_cst; acquire/release would allow both W3 and P3 to miss.)
//
// The last searcher. A searcher S stops searching either through W1..W3 (above),
// or because it found a task. In the second case P may have seen S searching at
// P3 and woken nobody, so S covers P's work instead, by the same handshake:
//   S1  state_ := (searching-1)   [transition_from_searching, seq_cst]
//   S2  seq_cst fence
//   S3  re-check every queue; if any has work, wake a sleeper (notify_one)
// If S2 precedes P2, P3 reads searching == 0 and P wakes a sleeper itself; if P2
// precedes S2, S3 sees P1's work. S skips the wake when the queues are empty: the
// common case of an external thread asking one actor at a time, where a wake per
// ask would put a futex syscall in front of every task.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "sync/mutex.hpp"
#include "tact/detail/atomic.hpp"

namespace tact::detail {

class Idle {
 public:
  explicit Idle(std::size_t workers);

  // A worker out of local work asks to search. False when enough workers search.
  bool transition_to_searching() noexcept;

  // A searcher found work. True when it was the last searcher: the caller then
  // wakes another worker, since the work it found may have company.
  bool transition_from_searching() noexcept;

  // W1 of the protocol: registers `worker` as sleeping. The caller then fences
  // and re-checks every queue (W2, W3), then either park()s or cancel_park()s.
  void prepare_park(std::size_t worker, bool was_searching);

  // W3 found work. Returns true if `worker` took itself off the sleepers (it is
  // now a searcher); false if a notifier claimed it first (it is a searcher too,
  // and a token is on its way to its Parker: a later park returns once, early).
  bool cancel_park(std::size_t worker);

  // After a return from park(): true if a notifier claimed `worker` (it is now a
  // searcher), false if the wake was stale (it is still registered as sleeping).
  bool was_claimed(std::size_t worker);

  // P3: which sleeper to wake, or kNone. Claims it (sleeping-1, searching+1).
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t claim_sleeper_to_notify();

  // Claims every sleeper (shutdown). Returns their ids.
  std::vector<std::size_t> claim_all_sleepers();

  // Snapshots for the drain in Runtime::shutdown() and for tests.
  std::size_t sleeping() const noexcept { return unpack_sleeping(state_.load(acquire)); }
  std::size_t searching() const noexcept { return unpack_searching(state_.load(acquire)); }
  // A hint for a busy worker deciding whether to share: some worker searches
  // or sleeps. relaxed: nothing is read through it.
  bool anyone_idle() const noexcept { return state_.load(relaxed) != 0; }

 private:
  static constexpr std::uint32_t kSearchingOne = 1;
  static constexpr std::uint32_t kSleepingOne = 1u << 16;
  static std::size_t unpack_searching(std::uint32_t s) noexcept { return s & 0xffffu; }
  static std::size_t unpack_sleeping(std::uint32_t s) noexcept { return s >> 16; }

  const std::size_t max_searching_;
  // (sleeping << 16) | searching. Read without the mutex by notifiers (P3) and by
  // transition_to_searching; every change to sleeping happens under mutex_.
  // On a line of its own: every worker's search transitions write it and every
  // notifier reads it; a neighbour written elsewhere (the mutex, or whatever
  // the enclosing object happens to put next to it) would bounce it.
  alignas(kCacheLine) Atomic<std::uint32_t> state_{0};
  alignas(kCacheLine) ::tact::detail::Mutex mutex_;
  std::vector<std::size_t> sleepers_;  // guarded by mutex_
  std::vector<bool> is_sleeping_;      // guarded by mutex_
};

}  // namespace tact::detail
