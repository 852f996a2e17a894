// The deterministic simulation scheduler (issue 17), compiled only in the sim build
// (CMake option TACT_SIM, preset `sim`). The bottom layer: it includes nothing of tact
// but the atomics seam it makes real.
//
// Model. Real threads run one at a time. Every operation of tact::detail::Atomic, every
// fence, every spin/yield, every park/wake and every lock of the runtime is a
// scheduling point (sim_point); at each point a seeded PRNG picks which registered
// thread goes next:
//   - kRandom: a uniform random walk over the runnable threads;
//   - kPct: PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): each thread
//     gets a random priority, the highest-priority runnable thread runs, and at d-1
//     random steps of the run the running thread drops to a priority below every
//     initial one. A spin or yield point also drops the spinner below everyone (a
//     spinner waiting for a lower-priority thread would otherwise spin forever).
// A thread blocked in futex_wait (the Parker, the sim mutex, the sim condition
// variable, join) is not runnable until woken. Time is virtual: now() advances by a
// small tick per clock read, and when every thread is blocked and one of them has a
// deadline, time jumps to the earliest deadline. All blocked with no deadline is a
// deadlock: the run fails (seed, steps and the blocked threads are printed).
// So a run is a pure function of its seed and of the process state it starts from;
// explore() forks a fresh child process per seed so that every seed starts from the
// same state (and a crash or deadlock fails one seed, not the test binary).
//
// Execution is sequentially consistent (one thread at a time, std::atomic
// underneath): this finds interleaving bugs, not weak-memory reordering bugs.
//
// The trace hash is FNV-1a over (thread index, point kind) of every step; the same
// seed gives the same hash (test/sim/sim_replay_test.cpp checks it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "sim/bugs.hpp"
#include "tact/detail/atomic.hpp"

namespace tact::sim {

enum class Mode { kRandom, kPct };

struct Options {
  std::uint64_t seed = 1;
  Mode mode = Mode::kRandom;
  int pct_depth = 3;                  // d: d-1 priority change points
  std::uint64_t pct_horizon = 20000;  // change points are drawn from steps [1, horizon]
  std::uint64_t max_steps = 5'000'000;  // more is a livelock: the run fails
  // 1 pick in N jumps virtual time to the earliest deadline even though some
  // thread is runnable (a thread kept off the CPU while another sleeps); 0: never.
  std::uint64_t time_jump_one_in = 32;
  // The longest such jump (a runnable thread kept off the CPU at most this long),
  // in virtual nanoseconds; 0: unbounded. A test that takes "get_for(30s) does not
  // time out while the answer is runnable" as an invariant bounds it.
  std::int64_t max_preemption_ns = 0;
};

struct Result {
  bool ok = true;
  std::uint64_t steps = 0;
  std::uint64_t hash = 0;
  std::string failure;  // empty when ok
};

// Runs `body` on the calling thread as sim thread 0 under a fresh scheduler. Every
// thread `body` starts must be started with spawn() and joined with join() before it
// returns. A deadlock or a step-limit overrun ends the process (after printing);
// explore() runs each seed in a child process, so that ends only the child.
Result run(const Options& options, const std::function<void()>& body);

// A scheduling point of the calling (registered) thread; sim_point's body.
void detail_step(unsigned kind, bool spinning);

// The calling thread is a thread of a running simulation.
bool active() noexcept;
// The running simulation's seed (0 when none).
std::uint64_t current_seed() noexcept;

// A choice the running scenario makes from the seed (jitter: how long to wait before
// acting), in [0, n). 0 outside a simulation.
std::uint64_t choose(std::uint64_t n) noexcept;

// A scheduling point by a spinning or yielding thread (cpu_relax, this_thread::yield).
void spin_point() noexcept;

// Starts a thread that is registered with the scheduler before it runs (its index is
// assigned here, in the parent's turn, so it is deterministic). Outside a simulation
// a plain std::thread.
std::thread spawn(std::function<void()> fn);
// Waits (as a blocked sim thread) until `t` has left the simulation, then joins it.
void join(std::thread& t);

// Futex: if word == expected, block until woken by wake(key) or, with a deadline,
// until virtual time reaches it. Returns false on a timeout. Spurious returns are
// allowed (callers re-check), as with the real futex.
bool futex_wait(const void* key, const detail::Atomic<std::uint32_t>& word,
                std::uint32_t expected,
                const std::chrono::steady_clock::time_point* deadline) noexcept;
void futex_wake(const void* key, int count) noexcept;  // count < 0: all

// Virtual steady_clock (advances by a tick per read) while a simulation runs.
std::chrono::steady_clock::time_point now() noexcept;
// Virtual sleep: a timed block.
void sleep_until(std::chrono::steady_clock::time_point deadline) noexcept;

// A mutex / condition variable whose waits are simulated blocks (lockable, so
// std::lock_guard / std::unique_lock work). Outside a simulation they spin-yield.
class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void lock() noexcept;
  bool try_lock() noexcept;
  void unlock() noexcept;

 private:
  detail::Atomic<std::uint32_t> word_{0};  // 0 free, 1 locked, 2 locked with waiters
};

class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;
  template <class Lock>
  void wait(Lock& lock) {
    const std::uint32_t seq = seq_.load_unscheduled();
    lock.unlock();
    futex_wait(this, seq_, seq, nullptr);
    lock.lock();
  }
  template <class Lock, class Pred>
  void wait(Lock& lock, Pred pred) {
    while (!pred()) wait(lock);
  }
  // Returns false on a timeout (std::cv_status::timeout).
  template <class Lock>
  bool wait_until(Lock& lock, std::chrono::steady_clock::time_point deadline) {
    const std::uint32_t seq = seq_.load_unscheduled();
    lock.unlock();
    const bool woken = futex_wait(this, seq_, seq, &deadline);
    lock.lock();
    return woken || now() < deadline;
  }
  void notify_one() noexcept {
    seq_.fetch_add(1);
    futex_wake(this, 1);
  }
  void notify_all() noexcept {
    seq_.fetch_add(1);
    futex_wake(this, -1);
  }

 private:
  detail::Atomic<std::uint32_t> seq_{0};
};

// ---- re-introduced historical races: sim/bugs.hpp (Bug, set_bug, bug_on) ---------------

// ---- exploring many seeds --------------------------------------------------------

struct ExploreOptions {
  std::uint64_t first_seed = 1;
  std::uint64_t seeds = 100;
  Mode mode = Mode::kRandom;
  int pct_depth = 3;
  std::uint64_t pct_horizon = 20000;
  std::uint64_t max_steps = 5'000'000;
  std::uint64_t time_jump_one_in = 32;
  std::int64_t max_preemption_ns = 0;  // Options::max_preemption_ns
  double max_seconds = 60;  // stop early (not a failure) when the sweep takes longer
  bool stop_at_first_failure = true;
  int child_timeout_seconds = 60;  // wall clock per seed: past it the seed fails (hang)
  // false: ignore TACT_SIM_SEED / TACT_SIM_SEEDS / TACT_SIM_FIRST_SEED (a test that
  // names its own seeds, as the replay tests do).
  bool from_environment = true;
};

struct ExploreReport {
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::uint64_t first_failing_seed = 0;  // valid when failures > 0
  std::uint64_t first_failing_index = 0;  // 1-based: seeds run until the first failure
  std::string first_failure;
  std::uint64_t total_steps = 0;
  std::uint64_t max_steps_seen = 0;
  double seconds = 0;
  std::uint64_t last_steps = 0;  // of the last seed run
  std::uint64_t last_hash = 0;
  std::string summary() const;
};

// Runs `body` under run() once per seed, each in a forked child process; a seed fails
// when body returns false, throws, crashes, deadlocks, livelocks or hangs. The child
// prints the seed, the schedule length and the trace hash of a failing run.
// TACT_SIM_SEED=N in the environment: runs only seed N (replay), printing its trace.
// TACT_SIM_SEEDS=N: overrides options.seeds, without the time bound (a longer sweep,
// scripts/sim_sweep.sh); TACT_SIM_FIRST_SEED=N: starts the sweep at seed N.
ExploreReport explore(const char* name, ExploreOptions options,
                      const std::function<bool()>& body);

}  // namespace tact::sim
