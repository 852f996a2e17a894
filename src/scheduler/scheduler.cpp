#include "scheduler/scheduler.hpp"

#include <cassert>
#include <stdexcept>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <unistd.h>  // sysconf: libstdc++'s <thread> brings it in, libc++'s does not
#endif

#include "scheduler/worker.hpp"
#include "sync/spin.hpp"
#include "sync/thread.hpp"
#if defined(TACT_SIM_BUGS)
#include "sim/bugs.hpp"
#endif

namespace tact::detail {

namespace {
std::size_t resolve_worker_count(std::size_t requested) {
  if (requested != 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

void pin_to_cpu(std::thread& thread, std::size_t index) {
#if defined(__linux__)
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus <= 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(index % static_cast<std::size_t>(cpus), &set);
  pthread_setaffinity_np(thread.native_handle(), sizeof(set), &set);  // best effort
#else
  (void)thread;
  (void)index;
#endif
}
}  // namespace

Scheduler::Scheduler(const Config& config, RunTask run, void* run_context)
    : config_(config),
      metrics_(config.metrics),
      run_(run),
      run_context_(run_context),
      idle_(resolve_worker_count(config.workers)) {
  config_.workers = resolve_worker_count(config.workers);
  if (config_.budget == 0) throw std::invalid_argument("tact::Config::budget must be at least 1");
  workers_.reserve(config_.workers);
  for (std::size_t i = 0; i < config_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(*this, i));
  }
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  assert(!started_);
  started_ = true;
  threads_.reserve(workers_.size());
  for (auto& worker : workers_) {
    threads_.push_back(start_thread([w = worker.get()] { w->run(); }));
    if (config_.pin_workers) pin_to_cpu(threads_.back(), worker->index());
  }
  watchdog_.start();
}

void Scheduler::schedule_from_outside(Task* task) {
  injector_.push(task);
  if (Worker* guest = driver_guest(); guest != nullptr && &guest->scheduler() == this) {
    // A driver thread: it runs what it queued in its next run_ready(), which
    // saves a sleeper's wake-up (a futex call, and a core woken) per send.
    guest->defer_wake();
    return;
  }
  notify_from_outside();
}

void Scheduler::notify_from_outside() {
  fence_seq_cst();  // P2: pairs with the fence in Worker::park (W2)
  // P3, as notify_one. relaxed: ordered by the fence above.
  if (idle_.searching() != 0 || idle_.sleeping() == 0) return;
  // No searcher, a sleeper. A worker that is busy now is usually within a
  // microsecond of its next look for work (a blocking ask's answer was its
  // turn's last act, and the asker's next ask comes at once): it takes the
  // task itself. A wake instead costs this thread a futex syscall and puts a
  // third thread on two cores; 1 in ~35 of ask_ext's asks paid it, its p99.9
  // (docs/performance.md). So wait that long for the task to be taken, or for
  // a searcher, before waking. The wait only delays notify_one, which decides
  // as before: a task still visible with nobody searching wakes a sleeper.
  bool anyone_busy = false;
  for (const auto& worker : workers_) {
    // relaxed: a hint; the decision below rests on the fenced looks.
    if (!worker->is_idle_.load(relaxed)) anyone_busy = true;
  }
  if (anyone_busy) {
    (void)spin_for(kWakeGrace, std::chrono::steady_clock::time_point::max(),
                   [this] { return idle_.searching() != 0 || !work_visible(); });
  }
  notify_if_work_visible();
}

void Scheduler::notify_if_work_visible() {
  fence_seq_cst();  // as P2: our pushes before the look; pairs with W2
  if (work_visible()) notify_one();
}

void Scheduler::yield(Task* task) {
  Worker* worker = current_worker();
  assert(worker != nullptr && "Scheduler::yield is for RunTask, on a worker thread");
  worker->yield_local(task);
}

void Scheduler::notify_one() {
  fence_seq_cst();  // P2: pairs with the fence in Worker::park (W2)
  // P3. relaxed: ordered by the fence above.
  if (idle_.searching() != 0 || idle_.sleeping() == 0) return;
  const std::size_t worker = idle_.claim_sleeper_to_notify();
  if (worker != Idle::kNone) workers_[worker]->parker_.unpark();
}

bool Scheduler::work_visible() const noexcept {
  if (!injector_.probably_empty()) return true;
  for (const auto& worker : workers_) {
    if (!worker->deque_.empty()) return true;
  }
  return false;
}

bool Scheduler::quiescent() const {
  // The queues first, then the flags: a worker flags itself busy before it
  // takes (Worker::announce_taking), so a task that has left the queues we saw
  // is in a worker we see busy. Looking the other way round, a worker could be
  // seen idle, then take the last task and be preempted before flagging.
  // acquire: pairs with the release decrement of a guest leaving run_ready(),
  // which came after it handed its tasks to the injector: the look below sees them.
  if (guests_running_.load(acquire) != 0) {
#if defined(TACT_SIM_BUGS)
    if (!sim::bug_on(sim::Bug::kShutdownIgnoresDriverTurn))
#endif
    return false;
  }
#if defined(TACT_SIM_BUGS)
  if (sim::bug_on(sim::Bug::kQuiescentFlagsFirst)) {
    // Before 636929c: the flags, then the queues.
    for (const auto& worker : workers_) {
      if (!worker->is_idle_.load(acquire)) return false;
    }
    return !work_visible();
  }
#endif
  if (work_visible()) return false;
  fence_seq_cst();  // pairs with the fences in Worker::announce_taking and run_ready
  // A guest that took from a queue we saw empty had counted itself first.
  // relaxed: ordered by the fences.
  if (guests_running_.load(relaxed) != 0) {
#if defined(TACT_SIM_BUGS)
    if (!sim::bug_on(sim::Bug::kShutdownIgnoresDriverTurn))
#endif
    return false;
  }
  for (const auto& worker : workers_) {
    // acquire: pairs with the release when the worker went idle (worker.hpp).
    if (!worker->is_idle_.load(acquire)) return false;
  }
  return true;
}

void Scheduler::stop() {
  if (stopped_ || !started_) {
    stopped_ = true;
    return;
  }
  assert(current_worker() == nullptr && "Scheduler::stop() called from its own worker");
  stopped_ = true;
  watchdog_.stop();
  stopping_.store(true, release);  // release: pairs with the workers' acquire in stopping()
  // Wake everyone: sleepers through a claim, and any worker between W1 and its
  // park sees stopping() in its own re-check.
  for (std::size_t w : idle_.claim_all_sleepers()) workers_[w]->parker_.unpark();
  for (auto& thread : threads_) join_thread(thread);
  threads_.clear();
}

}  // namespace tact::detail
