// The deterministic simulation scheduler: see sim.hpp.
//
// One std::mutex (g_lock) guards the whole state; each sim thread waits on its own
// condition variable until `current` names it (the baton). Every decision (who runs
// next, which waiter a wake picks, the PCT change points) comes from one PRNG seeded
// by the run's seed, drawn in an order fixed by the schedule itself.
#include "sim/sim.hpp"
#include "sim/weak_memory.hpp"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

namespace tact::sim {
namespace {

using Clock = std::chrono::steady_clock;

enum class Status { kRunnable, kBlocked, kFinished };

struct SimThread {
  Status status = Status::kRunnable;
  std::condition_variable cv;
  const void* key = nullptr;  // what it is blocked on
  std::int64_t deadline = -1;  // virtual ns; -1: none
  bool timed_out = false;
  std::int64_t priority = 0;  // PCT
  std::uint64_t last_step = 0;  // PCT: the step it last took (fairness)
};

// splitmix64: small, fast, and the same on every platform.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() noexcept {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next() % n; }
};

constexpr std::int64_t kEpochNs = 3'600'000'000'000;  // virtual time starts at 1 h
constexpr std::int64_t kClockTickNs = 1000;           // each clock read: 1 us later

struct State {
  Options options;
  Rng rng;
  std::deque<SimThread> threads;  // stable addresses
  std::map<std::thread::id, int> by_tid;
  int current = 0;
  std::uint64_t steps = 0;
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a offset basis
  std::int64_t now_ns = kEpochNs;
  std::vector<std::uint64_t> change_points;  // PCT, sorted
  std::size_t next_change = 0;
  std::int64_t lowest = 0;  // PCT: the next "below everyone" priority
  int last_thread = -1;      // PCT: who took the last step, and for how many in a row
  std::uint64_t run_length = 0;
  std::unique_ptr<WeakMemory> weak;  // Options::weak_memory
};

// PCT: a thread that takes this many steps in a row without a spin point is treated
// as spinning (dropped below everyone). A loop that only loads, waiting for a
// lower-priority thread (a consumer retrying a half-done push), would otherwise
// run forever under strict priorities, which no fair machine does: seed 1000186 of
// SimRuntime.TellAndAskFromThreadsThenShutdown hit the 5M step limit that way.
constexpr std::uint64_t kPctStarvationSteps = 1000;
// PCT: a runnable thread that took no step in this many goes to the top. Two threads
// taking turns can otherwise starve a third for good, as no fair machine does: in
// seed 6 of TimerStress.ActorsStartCancelAndStopWithTimersThenShutdown two workers
// kept handling periodic ticks (each turn's clock reads cost virtual time, so the
// ticks never ran out) while the sender, runnable in the middle of a tell, never
// ran again: 5M steps, then the step limit.
constexpr std::uint64_t kPctFairnessSteps = 50'000;

std::mutex g_lock;
State* g_state = nullptr;
// A weak-memory run is on: the Atomic hooks' first test, without the lock. relaxed:
// set before the run's threads start and cleared after they are joined.
std::atomic<bool> g_weak{false};
int g_report_fd = -1;  // explore(): the child's pipe to its parent
thread_local int t_index = -1;

void fnv(std::uint64_t& h, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xFF;
    h *= 1099511628211ULL;
  }
}

[[noreturn]] void die(State& s, const char* what, int code) {
  std::ostringstream out;
  out << what << " at step " << s.steps << " (seed " << s.options.seed << ", trace hash "
      << std::hex << s.hash << std::dec << "); threads:";
  for (std::size_t i = 0; i < s.threads.size(); ++i) {
    const SimThread& t = s.threads[i];
    out << " [" << i << ' '
        << (t.status == Status::kRunnable ? "runnable"
                                          : t.status == Status::kBlocked ? "blocked" : "done");
    if (t.status == Status::kBlocked) out << (t.deadline >= 0 ? " timed" : "");
    out << ']';
  }
  const std::string msg = out.str();
  std::fprintf(stderr, "sim: %s\n", msg.c_str());
  std::fflush(stderr);
  if (g_report_fd >= 0) {
    const std::string line = "FAIL " + std::to_string(s.steps) + " " + std::to_string(s.hash) +
                             " " + msg + "\n";
    (void)!write(g_report_fd, line.data(), line.size());
  }
  _exit(code);
}

void record(State& s, int self, unsigned kind) {
  ++s.steps;
  s.threads[static_cast<std::size_t>(self)].last_step = s.steps;
  fnv(s.hash, (static_cast<std::uint64_t>(self) << 8) | kind);
  if (s.steps > s.options.max_steps) die(s, "step limit reached (livelock?)", 4);
  if (s.options.mode == Mode::kPct) {
    s.run_length = self == s.last_thread ? s.run_length + 1 : 1;
    s.last_thread = self;
    if (s.run_length >= kPctStarvationSteps) {
      s.threads[static_cast<std::size_t>(self)].priority = --s.lowest;
      s.run_length = 0;
    }
  }
  if (s.options.mode == Mode::kPct && s.next_change < s.change_points.size() &&
      s.steps >= s.change_points[s.next_change]) {
    // The i-th change point drops the running thread to priority i (below every
    // initial priority, above every spinner's).
    ++s.next_change;
    s.threads[static_cast<std::size_t>(self)].priority =
        static_cast<std::int64_t>(s.next_change);
  }
}

// Picks who runs next. May advance virtual time (all blocked, some timed) and wake the
// timed waiters it reaches; a deadlock ends the process.
int pick(State& s) {
  std::vector<int> runnable;
  // Time moved on (clock reads, spinning): a timed waiter whose deadline passed is
  // runnable again.
  for (SimThread& t : s.threads) {
    if (t.status == Status::kBlocked && t.deadline >= 0 && t.deadline <= s.now_ns) {
      t.status = Status::kRunnable;
      t.timed_out = true;
    }
  }
  // Now and then (1 pick in time_jump_one_in) time jumps to the earliest deadline
  // although threads are runnable: a runnable thread may be kept off the CPU for as
  // long as a sleeper sleeps (a loaded machine), which a run where time moves only
  // when everyone waits could never show.
  if (s.options.time_jump_one_in != 0 && s.rng.below(s.options.time_jump_one_in) == 0) {
    std::int64_t earliest = -1;
    for (const SimThread& t : s.threads) {
      if (t.status == Status::kBlocked && t.deadline >= 0 &&
          (earliest < 0 || t.deadline < earliest)) {
        earliest = t.deadline;
      }
    }
    // Bounded (Options::max_preemption_ns): time still moves on by the bound.
    if (earliest >= 0 && s.options.max_preemption_ns > 0 &&
        earliest - s.now_ns > s.options.max_preemption_ns) {
      earliest = s.now_ns + s.options.max_preemption_ns;
    }
    if (earliest >= 0) {
      if (earliest > s.now_ns) s.now_ns = earliest;
      for (SimThread& t : s.threads) {
        if (t.status == Status::kBlocked && t.deadline >= 0 && t.deadline <= s.now_ns) {
          t.status = Status::kRunnable;
          t.timed_out = true;
        }
      }
    }
  }
  for (;;) {
    runnable.clear();
    for (std::size_t i = 0; i < s.threads.size(); ++i) {
      if (s.threads[i].status == Status::kRunnable) runnable.push_back(static_cast<int>(i));
      // Fairness counts the steps a thread waits while runnable, not while blocked.
      if (s.threads[i].status == Status::kBlocked) s.threads[i].last_step = s.steps;
    }
    if (!runnable.empty()) break;
    std::int64_t earliest = -1;
    for (const SimThread& t : s.threads) {
      if (t.status == Status::kBlocked && t.deadline >= 0 &&
          (earliest < 0 || t.deadline < earliest)) {
        earliest = t.deadline;
      }
    }
    if (earliest < 0) die(s, "deadlock: every thread is blocked, none with a deadline", 3);
    if (earliest > s.now_ns) s.now_ns = earliest;
    for (SimThread& t : s.threads) {
      if (t.status == Status::kBlocked && t.deadline >= 0 && t.deadline <= s.now_ns) {
        t.status = Status::kRunnable;
        t.timed_out = true;
      }
    }
  }
  if (s.options.mode == Mode::kRandom) return runnable[s.rng.below(runnable.size())];
  std::int64_t highest = s.threads[static_cast<std::size_t>(runnable[0])].priority;
  int starved = -1;
  for (int i : runnable) {
    const SimThread& t = s.threads[static_cast<std::size_t>(i)];
    highest = std::max(highest, t.priority);
    if (s.steps - t.last_step > kPctFairnessSteps &&
        (starved < 0 || t.last_step < s.threads[static_cast<std::size_t>(starved)].last_step)) {
      starved = i;
    }
  }
  if (starved >= 0) {
    s.threads[static_cast<std::size_t>(starved)].priority = highest + 1;
    return starved;
  }
  int best = runnable[0];
  for (int i : runnable) {
    if (s.threads[static_cast<std::size_t>(i)].priority >
        s.threads[static_cast<std::size_t>(best)].priority) {
      best = i;
    }
  }
  return best;
}

// Hands the baton to `next` and waits for it to come back (self still registered).
void switch_to(State& s, int self, int next, std::unique_lock<std::mutex>& lk) {
  if (next == self) return;
  s.current = next;
  s.threads[static_cast<std::size_t>(next)].cv.notify_one();
  SimThread& me = s.threads[static_cast<std::size_t>(self)];
  me.cv.wait(lk, [&] { return s.current == self; });
}

}  // namespace

void detail_step(unsigned kind, bool spinning) {
  std::unique_lock<std::mutex> lk(g_lock);
  State* s = g_state;
  if (s == nullptr || t_index < 0) return;
  const int self = t_index;
  record(*s, self, kind);
  // A spinning thread burns time: a tick per spin, so timed waits expire even while
  // some thread spins (as they would on a real machine).
  if (spinning) s->now_ns += kClockTickNs;
  if (spinning && s->options.mode == Mode::kPct) {
    s->threads[static_cast<std::size_t>(self)].priority = --s->lowest;
  }
  switch_to(*s, self, pick(*s), lk);
}

namespace {

std::int64_t new_priority(State& s) {
  // Initial priorities lie above the change points' 1..d-1.
  return static_cast<std::int64_t>(s.options.pct_depth) + 1 +
         static_cast<std::int64_t>(s.rng.below(1u << 30));
}

// A thread leaves the simulation: it is finished, its joiners are woken, the baton
// goes on. Runs from the destructor of the first thread_local the thread made, so
// every other thread_local of the thread (parker, pool cache) is gone by then.
void leave() {
  std::unique_lock<std::mutex> lk(g_lock);
  State* s = g_state;
  const int self = t_index;
  t_index = -1;
  if (s == nullptr || self < 0) return;
  record(*s, self, detail::kSimOther);
  SimThread& me = s->threads[static_cast<std::size_t>(self)];
  me.status = Status::kFinished;
  for (SimThread& t : s->threads) {
    if (t.status == Status::kBlocked && t.key == &me) {
      t.status = Status::kRunnable;
      t.key = nullptr;
    }
  }
  const int next = pick(*s);
  s->current = next;
  s->threads[static_cast<std::size_t>(next)].cv.notify_one();
}

struct LeaveGuard {
  bool armed = false;
  ~LeaveGuard() {
    if (armed) leave();
  }
};

std::int64_t to_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

bool active() noexcept { return t_index >= 0 && g_state != nullptr; }

std::uint64_t current_seed() noexcept { return g_state != nullptr ? g_state->options.seed : 0; }

void spin_point() noexcept {
  if (t_index < 0) {
    std::this_thread::yield();
    return;
  }
  detail_step(detail::kSimSpin, true);
}

Result run(const Options& options, const std::function<void()>& body) {
  State state;
  state.options = options;
  state.rng.s = options.seed * 0x2545F4914F6CDD1DULL + 0x1234567;
  if (options.mode == Mode::kPct) {
    for (int i = 1; i < options.pct_depth; ++i) {
      state.change_points.push_back(1 + state.rng.below(options.pct_horizon));
    }
    std::sort(state.change_points.begin(), state.change_points.end());
  }
  if (options.weak_memory) state.weak = std::make_unique<WeakMemory>();
  {
    std::lock_guard<std::mutex> lk(g_lock);
    state.threads.emplace_back();
    state.threads.back().priority = new_priority(state);
    state.current = 0;
    g_state = &state;
    t_index = 0;
    g_weak.store(options.weak_memory, std::memory_order_relaxed);
  }
  body();
  Result result;
  {
    std::lock_guard<std::mutex> lk(g_lock);
    for (std::size_t i = 1; i < state.threads.size(); ++i) {
      if (state.threads[i].status != Status::kFinished) {
        result.ok = false;
        result.failure = "a thread started in the run was not joined";
      }
    }
    result.steps = state.steps;
    result.hash = state.hash;
    if (state.weak) result.stale_loads = state.weak->stale_loads();
    g_weak.store(false, std::memory_order_relaxed);
    g_state = nullptr;
    t_index = -1;
  }
  return result;
}

std::thread spawn(std::function<void()> fn) {
  if (!active()) return std::thread(std::move(fn));
  int index = 0;
  {
    std::lock_guard<std::mutex> lk(g_lock);
    State& s = *g_state;
    record(s, t_index, detail::kSimOther);
    s.threads.emplace_back();
    s.threads.back().priority = new_priority(s);
    s.threads.back().last_step = s.steps;
    index = static_cast<int>(s.threads.size()) - 1;
    if (s.weak) s.weak->on_spawn(t_index, index);
  }
  std::thread t([index, fn = std::move(fn)] {
    static thread_local LeaveGuard guard;  // first thread_local: destroyed last
    {
      std::unique_lock<std::mutex> lk(g_lock);
      t_index = index;
      guard.armed = true;
      SimThread& me = g_state->threads[static_cast<std::size_t>(index)];
      me.cv.wait(lk, [&] { return g_state->current == index; });
    }
    fn();
  });
  {
    std::lock_guard<std::mutex> lk(g_lock);
    g_state->by_tid[t.get_id()] = index;
  }
  detail_step(detail::kSimOther, false);  // the child may run first
  return t;
}

void join(std::thread& t) {
  if (!active()) {
    t.join();
    return;
  }
  {
    std::unique_lock<std::mutex> lk(g_lock);
    State& s = *g_state;
    const int self = t_index;
    const auto it = s.by_tid.find(t.get_id());
    if (it != s.by_tid.end()) {
      SimThread& child = s.threads[static_cast<std::size_t>(it->second)];
      record(s, self, detail::kSimOther);
      while (child.status != Status::kFinished) {
        SimThread& me = s.threads[static_cast<std::size_t>(self)];
        me.status = Status::kBlocked;
        me.key = &child;
        me.deadline = -1;
        switch_to(s, self, pick(s), lk);
      }
      if (s.weak) s.weak->on_join(self, it->second);
    }
  }
  t.join();  // it has left the simulation: only its std::thread exit remains
}

bool futex_wait(const void* key, const detail::Atomic<std::uint32_t>& word,
                std::uint32_t expected, const Clock::time_point* deadline) noexcept {
  if (!active()) {
    std::this_thread::yield();
    return true;
  }
  std::unique_lock<std::mutex> lk(g_lock);
  State& s = *g_state;
  const int self = t_index;
  record(s, self, detail::kSimOther);
  SimThread& me = s.threads[static_cast<std::size_t>(self)];
  if (word.load_unscheduled() != expected) {
    switch_to(s, self, pick(s), lk);
    return true;
  }
  const std::int64_t d = deadline != nullptr ? to_ns(*deadline) : -1;
  if (d >= 0 && d <= s.now_ns) {
    switch_to(s, self, pick(s), lk);
    return false;
  }
  me.status = Status::kBlocked;
  me.key = key;
  me.deadline = d;
  me.timed_out = false;
  switch_to(s, self, pick(s), lk);
  me.key = nullptr;
  me.deadline = -1;
  return !me.timed_out;
}

void futex_wake(const void* key, int count) noexcept {
  if (!active()) return;
  std::unique_lock<std::mutex> lk(g_lock);
  State& s = *g_state;
  const int self = t_index;
  record(s, self, detail::kSimWake);
  std::vector<int> waiters;
  for (std::size_t i = 0; i < s.threads.size(); ++i) {
    const SimThread& t = s.threads[i];
    if (t.status == Status::kBlocked && t.key == key) waiters.push_back(static_cast<int>(i));
  }
  while (!waiters.empty() && count != 0) {
    const std::size_t i = s.rng.below(waiters.size());
    SimThread& woken = s.threads[static_cast<std::size_t>(waiters[i])];
    woken.status = Status::kRunnable;
    woken.key = nullptr;
    if (s.weak) s.weak->on_wake(self, waiters[i]);  // the kernel orders wake before return
    waiters.erase(waiters.begin() + static_cast<std::ptrdiff_t>(i));
    if (count > 0) --count;
  }
  switch_to(s, self, pick(s), lk);
}

Clock::time_point now() noexcept {
  std::lock_guard<std::mutex> lk(g_lock);
  if (g_state == nullptr) return Clock::now();
  g_state->now_ns += kClockTickNs;
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::nanoseconds(g_state->now_ns)));
}

void sleep_until(Clock::time_point deadline) noexcept {
  if (!active()) {
    std::this_thread::sleep_until(deadline);
    return;
  }
  static const detail::Atomic<std::uint32_t> never{0};
  while (now() < deadline) (void)futex_wait(&never, never, 0, &deadline);
}

std::uint64_t choose(std::uint64_t n) noexcept {
  std::lock_guard<std::mutex> lk(g_lock);
  if (g_state == nullptr) return 0;
  return g_state->rng.below(n);
}

// (The bug switches: sim/bugs.cpp.)

// ---- Mutex ---------------------------------------------------------------------------

bool Mutex::try_lock() noexcept {
  std::uint32_t expected = 0;
  return word_.compare_exchange_strong(expected, 1);
}

void Mutex::lock() noexcept {
  if (try_lock()) return;
  for (;;) {
    // 2: locked, with a waiter to wake at unlock.
    if (word_.exchange(2) == 0) return;
    futex_wait(this, word_, 2, nullptr);
  }
}

void Mutex::unlock() noexcept {
  if (word_.exchange(0) == 2) futex_wake(this, 1);
}

// ---- explore ---------------------------------------------------------------------------

std::string ExploreReport::summary() const {
  std::ostringstream out;
  out << runs << " seeds, " << failures << " failed";
  if (failures > 0) {
    out << " (first: seed " << first_failing_seed << ", the " << first_failing_index
        << (first_failing_index == 1 ? "st" : first_failing_index == 2 ? "nd" : first_failing_index == 3 ? "rd" : "th")
        << " run: " << first_failure << ")";
  }
  out << ", " << total_steps << " steps (max " << max_steps_seen << "), " << seconds << " s";
  return out.str();
}

namespace {

struct ChildOutcome {
  bool ok = false;
  std::uint64_t steps = 0;
  std::uint64_t hash = 0;
  std::string failure;
};

ChildOutcome run_child(const Options& o, const std::function<bool()>& body, int timeout_s) {
  ChildOutcome out;
  int fds[2];
  if (pipe(fds) != 0) {
    out.failure = "pipe() failed";
    return out;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    out.failure = "fork() failed";
    return out;
  }
  if (pid == 0) {
    close(fds[0]);
    g_report_fd = fds[1];
    std::string failure;
    bool ok = false;
    Result r = run(o, [&] {
      try {
        ok = body();
        if (!ok) failure = "an invariant failed";
      } catch (const std::exception& e) {
        failure = std::string("exception: ") + e.what();
      } catch (...) {
        failure = "unknown exception";
      }
    });
    if (!r.ok) {
      ok = false;
      failure = r.failure;
    }
    const std::string line = (ok ? "OK " : "FAIL ") + std::to_string(r.steps) + " " +
                             std::to_string(r.hash) + " " + failure + "\n";
    (void)!write(fds[1], line.data(), line.size());
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[512];
  const auto start = Clock::now();
  bool killed = false;
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (Clock::now() - start > std::chrono::seconds(timeout_s)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      killed = true;
      break;
    }
    usleep(200);
  }
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  std::istringstream in(text);
  std::string word;
  in >> word >> out.steps >> out.hash;
  std::getline(in, out.failure);
  if (!out.failure.empty() && out.failure[0] == ' ') out.failure.erase(0, 1);
  out.ok = word == "OK" && !killed && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!out.ok && out.failure.empty()) {
    if (killed) {
      out.failure = "hung (killed after " + std::to_string(timeout_s) + " s wall)";
    } else if (WIFSIGNALED(status)) {
      out.failure = std::string("crashed: signal ") + std::to_string(WTERMSIG(status)) + " (" +
                    strsignal(WTERMSIG(status)) + ")";
    } else {
      out.failure = "child exit status " + std::to_string(WEXITSTATUS(status));
    }
  }
  return out;
}

}  // namespace

ExploreReport explore(const char* name, ExploreOptions eo, const std::function<bool()>& body) {
  ExploreReport report;
  bool replay = false;
  auto env = [&eo](const char* variable) -> const char* {
    return eo.from_environment ? std::getenv(variable) : nullptr;
  };
  if (const char* seed = env("TACT_SIM_SEED"); seed != nullptr && *seed != '\0') {
    eo.first_seed = std::strtoull(seed, nullptr, 10);
    eo.seeds = 1;
    replay = true;
  } else if (const char* seeds = env("TACT_SIM_SEEDS"); seeds != nullptr && *seeds != '\0') {
    eo.seeds = std::strtoull(seeds, nullptr, 10);
    eo.max_seconds = 1e9;
  }
  if (const char* weak = env("TACT_SIM_WEAK"); weak != nullptr && std::strcmp(weak, "1") == 0) {
    eo.weak_memory = true;
  }
  if (const char* first = env("TACT_SIM_FIRST_SEED"); !replay && first != nullptr && *first != '\0') {
    eo.first_seed = std::strtoull(first, nullptr, 10);
  }
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < eo.seeds; ++i) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed > eo.max_seconds) break;
    Options o;
    o.seed = eo.first_seed + i;
    o.mode = eo.mode;
    o.pct_depth = eo.pct_depth;
    o.pct_horizon = eo.pct_horizon;
    o.max_steps = eo.max_steps;
    o.time_jump_one_in = eo.time_jump_one_in;
    o.max_preemption_ns = eo.max_preemption_ns;
    o.weak_memory = eo.weak_memory;
    const ChildOutcome c = run_child(o, body, eo.child_timeout_seconds);
    ++report.runs;
    report.total_steps += c.steps;
    report.max_steps_seen = std::max(report.max_steps_seen, c.steps);
    report.last_steps = c.steps;
    report.last_hash = c.hash;
    if (replay) {
      std::printf("sim[%s]: seed %llu (%s): %s, %llu steps, trace hash %llx%s%s\n", name,
                  static_cast<unsigned long long>(o.seed),
                  eo.mode == Mode::kPct ? "pct" : "random", c.ok ? "ok" : "FAILED",
                  static_cast<unsigned long long>(c.steps),
                  static_cast<unsigned long long>(c.hash), c.ok ? "" : ": ",
                  c.failure.c_str());
    }
    if (!c.ok) {
      if (report.failures == 0) {
        report.first_failing_seed = o.seed;
        report.first_failing_index = i + 1;
        report.first_failure = c.failure;
        std::printf(
            "sim[%s]: seed %llu FAILED (%s) after %llu steps, trace hash %llx: %s\n"
            "  replay: TACT_SIM_SEED=%llu <this test binary> --gtest_filter=<this test>\n",
            name, static_cast<unsigned long long>(o.seed),
            eo.mode == Mode::kPct ? "pct" : "random", static_cast<unsigned long long>(c.steps),
            static_cast<unsigned long long>(c.hash), c.failure.c_str(),
            static_cast<unsigned long long>(o.seed));
      }
      ++report.failures;
      if (eo.stop_at_first_failure) break;
    }
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("sim[%s] (%s): %s\n", name, eo.mode == Mode::kPct ? "pct" : "random",
              report.summary().c_str());
  std::fflush(stdout);
  return report;
}

}  // namespace tact::sim

// The atomics seam's scheduling point (include/tact/detail/atomic.hpp).
namespace tact::detail {
void sim_point(const void* /*where*/, unsigned kind) noexcept {
  if (!sim::active()) return;
  sim::detail_step(kind, kind == kSimSpin || kind == kSimYield);
}
}  // namespace tact::detail

namespace tact::sim {
namespace {
// The weak-memory hooks' one shape: under the lock, fn(model, calling thread, run)
// when the calling thread runs in a weak-memory simulation. False: it does not,
// and nothing ran.
template <class Fn>
bool with_weak_memory(Fn&& fn) noexcept {
  std::lock_guard<std::mutex> lk(g_lock);
  if (g_state == nullptr || !g_state->weak || t_index < 0) return false;
  fn(*g_state->weak, t_index, *g_state);
  return true;
}
}  // namespace

void weak_release(const void* where) noexcept {
  if (!g_weak.load(std::memory_order_relaxed)) return;
  (void)with_weak_memory([&](WeakMemory& m, int self, State&) { m.release(self, where); });
}

void weak_acquire(const void* where) noexcept {
  if (!g_weak.load(std::memory_order_relaxed)) return;
  (void)with_weak_memory([&](WeakMemory& m, int self, State&) { m.acquire(self, where); });
}
}  // namespace tact::sim

namespace tact::detail {
std::chrono::steady_clock::time_point sim_now() noexcept { return sim::now(); }

// The weak-memory hooks of the atomics seam.
bool sim_weak_memory() noexcept {
  return sim::g_weak.load(std::memory_order_relaxed) && sim::t_index >= 0;
}

std::uint64_t sim_weak_load(const void* where, std::uint64_t newest, std::memory_order o,
                            bool must_read_newest) noexcept {
  std::uint64_t value = newest;
  (void)sim::with_weak_memory([&](sim::WeakMemory& m, int self, sim::State& s) {
    const std::uint64_t random = must_read_newest ? 0 : s.rng.next();
    value = m.load(self, where, newest, o, random);
    sim::fnv(s.hash, value == newest ? 0 : 1);  // the trace tells a stale load apart
  });
  return value;
}

void sim_weak_store(const void* where, std::uint64_t previous, std::uint64_t value,
                    std::memory_order o) noexcept {
  (void)sim::with_weak_memory(
      [&](sim::WeakMemory& m, int self, sim::State&) { m.store(self, where, previous, value, o); });
}

void sim_weak_rmw(const void* where, std::uint64_t previous, std::uint64_t value,
                  std::memory_order o) noexcept {
  (void)sim::with_weak_memory(
      [&](sim::WeakMemory& m, int self, sim::State&) { m.rmw(self, where, previous, value, o); });
}

void sim_weak_fence(std::memory_order o) noexcept {
  (void)sim::with_weak_memory([&](sim::WeakMemory& m, int self, sim::State&) { m.fence(self, o); });
}

// Any thread constructs atomics (a registered one or not): no calling thread needed.
void sim_weak_forget(const void* where) noexcept {
  if (!sim::g_weak.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lk(sim::g_lock);
  sim::State* s = sim::g_state;
  if (s != nullptr && s->weak) s->weak->forget(where);
}
}  // namespace tact::detail
