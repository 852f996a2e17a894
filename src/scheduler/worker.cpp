#include "scheduler/worker.hpp"

#include <chrono>

#include "scheduler/scheduler.hpp"
#include "sync/blocking.hpp"
#include "sync/spin.hpp"
#if defined(TACT_SIM_BUGS)
#include "sim/bugs.hpp"
#endif

namespace tact::detail {
__thread Worker* t_current_worker = nullptr;

namespace {
// The guest of the tact::Driver living on this thread (outside its run_ready()
// too, unlike t_current_worker), or nullptr.
thread_local Worker* t_driver_guest = nullptr;

// xorshift64*: picks steal victims; quality hardly matters, speed does.
std::uint64_t next_random(std::uint64_t& state) noexcept {
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ull;
}
}  // namespace

Worker* driver_guest() noexcept { return t_driver_guest; }
void set_driver_guest(Worker* guest) noexcept {
  t_driver_guest = guest;
  // Before the host blocks, the workers must run what its Driver deferred,
  // since the host will not (sync/blocking.hpp).
  set_before_blocking(guest != nullptr ? &Worker::wake_deferred_before_blocking : nullptr, guest);
}

void Worker::wake_deferred_before_blocking(void* guest) noexcept {
  auto* worker = static_cast<Worker*>(guest);
  if (worker->wake_deferred_) worker->wake_deferred();
}

Worker::Worker(Scheduler& scheduler, std::size_t index)
    : scheduler_(scheduler),
      index_(index),
      metrics_on_(scheduler.config().metrics),
      rng_(0x9E3779B97F4A7C15ull * (index + 1)),
      injector_handle_(scheduler.injector_.make_handle()),
      deque_(scheduler.config().local_queue_capacity) {
  scheduler_.metrics_.add_thread(&metrics_, index_, false);
}

Worker::Worker(Scheduler& scheduler, GuestTag)
    : scheduler_(scheduler),
      index_(static_cast<std::size_t>(-1)),
      guest_(true),
      metrics_on_(scheduler.config().metrics),
      rng_(0x9E3779B97F4A7C15ull),
      injector_handle_(scheduler.injector_.make_handle()),
      deque_(scheduler.config().local_queue_capacity) {
  scheduler_.metrics_.add_thread(&metrics_, 0, true);
}

Worker::~Worker() {
  metrics_.flush();  // its thread has finished (joined, or a guest's host is done with it)
  scheduler_.metrics_.remove_thread(&metrics_);
}

void Worker::run() {
  t_current_worker = this;
  set_blocking_forbidden(true);  // Reply::get() here would deadlock a small runtime
  while (!scheduler_.stopping()) {
    Task* task = next_task();
#if defined(TACT_SIM_BUGS)
    const bool from_next_task = task != nullptr;
#endif
    if (task == nullptr) {
      // release: what our tasks did is seen by quiescent()'s acquire (worker.hpp).
      is_idle_.store(true, release);
      // Only here, off the path from one task to the next: a worker that found
      // nothing spins (or parks) until a task comes, and is busy again with it.
      // No clock read on either side: the search times its spin itself.
      if (metrics_on_) {
        metrics_.set_activity(WorkerActivity::kSpinning);
        metrics_.flush();  // out of work: what it counted becomes visible
      }
      task = search();
      if (task != nullptr && metrics_on_) metrics_.set_activity(WorkerActivity::kBusy);
    }
    if (task != nullptr) {
      // A woken worker starts as a searcher and may find its task through
      // next_task(): whichever way it came, stop searching before running it, or
      // notifiers would count on a searcher that is busy (idle.hpp).
#if defined(TACT_SIM_BUGS)
      // Before 70fa179: only the search() path ended the search.
      if (searching_ && !(from_next_task && sim::bug_on(sim::Bug::kWokenWorkerStillSearching)))
#else
      if (searching_)
#endif
        end_search();
      // (is_idle_ is already clear: announce_taking() came before any take.)
      run_task(task);
    } else {
      park();
    }
  }
  if (searching_) (void)scheduler_.idle_.transition_from_searching();  // stopping: no hand-over
  searching_ = false;
  if (metrics_on_) {
    metrics_.begin_park();  // stopped: no longer busy
    metrics_.flush();
  }
  t_current_worker = nullptr;
}

void Worker::run_task(Task* task) { scheduler_.run_(task, *this, scheduler_.run_context_); }

// ---- a guest's turn (tact::Driver) ------------------------------------------------------

std::size_t Worker::run_ready(std::size_t max_tasks) {
  // Counted before any take, for Scheduler::quiescent(): as announce_taking,
  // the fence pairs with the one between its look at the queues and at the
  // count, so a task we take is in a queue it sees or we are counted. relaxed:
  // ordered by the fence.
  scheduler_.guests_running_.fetch_add(1, relaxed);
  fence_seq_cst();
  t_current_worker = this;
  // As on a worker: a handler blocking on a reply here could wait for itself.
  const bool was_forbidden = blocking_forbidden();
  set_blocking_forbidden(true);
  std::size_t ran = 0;
  while (ran < max_tasks && !scheduler_.stopping()) {
    Task* task = next_task();
    if (task == nullptr) break;
    run_task(task);
    ++ran;
  }
  hand_back_local_tasks();
  metrics_.flush();  // the host thread goes back to its own work
  // release: our tasks' effects and the hand-back happen-before a quiescent()
  // that reads the count down (its acquire).
  scheduler_.guests_running_.fetch_sub(1, release);
  set_blocking_forbidden(was_forbidden);
  t_current_worker = nullptr;
  wake_deferred();
  return ran;
}

void Worker::hand_back_local_tasks() {
  if (lifo_slot_ != nullptr) {
    scheduler_.injector_.push(*injector_handle_, lifo_slot_);
    lifo_slot_ = nullptr;
  }
  while (Task* task = deque_.pop()) scheduler_.injector_.push(*injector_handle_, task);
  lifo_runs_ = 0;
  take_oldest_next_ = false;
}

void Worker::wake_deferred() noexcept {
  wake_deferred_ = false;
  // What this thread queued (deferred sends, tasks handed back) and no turn of
  // ours took: a worker must. Our own pushes are sequenced before this
  // estimate, so it cannot miss them; notify_one's fence pairs with the
  // sleepers' (idle.hpp, P2/W2).
  if (!scheduler_.injector_.probably_empty()) scheduler_.notify_one();
}

// ---- owner-side scheduling ----------------------------------------------------------

void Worker::push_to_deque(Task* task) {
  // (A guest's deque is private: run_ready() hands it back when it returns.)
  if (!deque_.push(task)) scheduler_.injector_.push(*injector_handle_, task);  // full: overflow
}

void Worker::share_displaced(Task* displaced) {
  // The displaced task is work this worker won't run next: make it visible to
  // the others (nobody steals from a guest) and wake one.
  if (guest_) {
    scheduler_.injector_.push(*injector_handle_, displaced);
  } else {
    push_to_deque(displaced);
  }
  scheduler_.notify_one();
}

void Worker::keep_local(Task* task, bool consumer) {
  // A guest's deque is private anyway (and handed back whole): it never keeps.
  if (guest_) {
    push_to_deque(task);
    return;
  }
  // Two pipelines here and a worker with none: the idle worker steals this
  // consumer from the deque. Its muted senders follow it, since its runner
  // reschedules the senders it releases on its own worker; the ones still
  // queued here are muted on it (it is behind) and follow at their next turn.
  // With one pipeline nothing moves: split across two cores, every message
  // would cross them.
  if (consumer && kept_.consumers() != 0 && scheduler_.idle_.anyone_idle()) {
    push_to_deque(task);
    scheduler_.notify_one();
    metrics_.count_pipeline_shared();
    return;
  }
  if (!kept_.push(task, consumer)) push_to_deque(task);
}

void Worker::yield_local(Task* task) {
  push_to_deque(task);
  take_oldest_next_ = true;
  // Only wake another worker when there is work beyond the task we will take
  // (and it can be stolen: a guest's deque cannot).
  if (!guest_ && deque_.size() > 1) scheduler_.notify_one();
}

// ---- picking the next task ----------------------------------------------------------

Task* Worker::next_task() {
  if (--injector_countdown_ == 0) {
    injector_countdown_ = kInjectorInterval;
    // A busy worker's turns become visible here, every kInjectorInterval tasks
    // (thread_metrics.hpp), at no cost to the turn; its takes too.
    metrics_.flush();
    if (Task* task = scheduler_.injector_.pop(*injector_handle_)) {
      metrics_.count_injector_take();
      return task;
    }
  }
  if (lifo_slot_ != nullptr) {
    // The cap is for fairness to the deque's tasks; with none queued there is
    // nobody to be fair to, and a trip through the deque would cost a steal's
    // CAS and let a spinning worker take the chain to another core (a ring's
    // lone token). An owner's snapshot: a thief's race only delays the cap.
    if (lifo_runs_ < kMaxLifoRuns || deque_.empty()) {
      ++lifo_runs_;
      Task* task = lifo_slot_;
      lifo_slot_ = nullptr;
      return task;
    }
    // The slot has had its turns: send its task behind the deque's oldest.
    push_to_deque(lifo_slot_);
    lifo_slot_ = nullptr;
    take_oldest_next_ = true;
  }
  lifo_runs_ = 0;
  if (!kept_.empty()) {
    if (kept_runs_ < kMaxKeptRuns || deque_.empty()) {
      ++kept_runs_;
      metrics_.count_kept_take();
      return kept_.pop();
    }
    take_oldest_next_ = true;  // the deque's turn: its oldest task, as after a yield
  }
  kept_runs_ = 0;
  if (take_oldest_next_) {
    take_oldest_next_ = false;
    // The owner may steal from its own deque: it is then one more thief.
    StealResult<Task> oldest = deque_.steal();
    if (oldest.status == StealStatus::kSuccess) {
      if (!guest_ && !deque_.empty()) scheduler_.notify_one();
      return oldest.item;
    }
  }
  if (Task* task = deque_.pop()) return task;
  Task* task = scheduler_.injector_.pop(*injector_handle_);
  if (task != nullptr) {
    metrics_.count_injector_take();
    return task;
  }
  // The deque's turn came up empty (a thief took what it held): the kept
  // tasks go on. Returning nothing here would send this worker searching and
  // then to sleep with its kept tasks, which only it runs and which no
  // waker's look counts (work_visible): lost until some other wake.
  if (!kept_.empty()) {
    ++kept_runs_;
    metrics_.count_kept_take();
    return kept_.pop();
  }
  return nullptr;
}

Task* Worker::steal_from_others() {
  const std::size_t n = scheduler_.workers_.size();
  if (n <= 1) return nullptr;
  const std::size_t start = static_cast<std::size_t>(next_random(rng_) % n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t victim = (start + i) % n;
    if (victim == index_) continue;
    StealResult<Task> stolen = scheduler_.workers_[victim]->deque_.steal_half(deque_);
    if (stolen.status == StealStatus::kSuccess) {
      metrics_.count_steal();
      return stolen.item;
    }
  }
  return nullptr;
}

Task* Worker::search() {
  if (!searching_) {
    if (!scheduler_.idle_.transition_to_searching()) return nullptr;
    searching_ = true;
  }
  const auto& config = scheduler_.config();
  Task* found = nullptr;
  auto look = [&] {
    // Only a look that may take something flags us busy first (a flag that
    // flapped on every empty look would keep shutdown's drain from seeing quiet).
    if (scheduler_.work_visible()) {
      announce_taking();
      found = scheduler_.injector_.pop(*injector_handle_);
      if (found != nullptr) metrics_.count_injector_take();
      if (found == nullptr) found = steal_from_others();
      if (found == nullptr) is_idle_.store(true, release);  // release: as in run()
    }
    return found != nullptr || scheduler_.stopping();
  };
  if (config.busy_poll) {
    while (!look()) cpu_relax();
  } else {
    SpinTiming timing;
    spin_for(config.spin_before_park, std::chrono::steady_clock::time_point::max(), look,
             metrics_on_ ? &timing : nullptr);
    if (metrics_on_) metrics_.count_spin(timing);
  }
  return found;  // run() ends the search (end_search) before running it
}

void Worker::end_search() {
  searching_ = false;
  // The last searcher leaving wakes another if work is left for it (idle.hpp,
  // "the last searcher"). Only if: an unconditional wake puts a futex syscall
  // (several us here) before every task a searcher finds, and an external
  // thread's asks, one at a time, would each pay it (measured: ask_ext p50
  // 17 us with it, ~3 us without).
  if (scheduler_.idle_.transition_from_searching()) {
    fence_seq_cst();  // S2: orders our decrement before the re-check; pairs with P2
    if (scheduler_.work_visible()) scheduler_.notify_one();  // S3
  }
}

void Worker::announce_taking() noexcept {
  is_idle_.store(false, relaxed);
  // Pairs with the fence in Scheduler::quiescent() between its look at the
  // queues and its look at the flags: if that look saw a queue our take is
  // about to empty, it sees this flag (fence-fence synchronisation through the
  // queue's index), so a taken task is never in nobody's hands for shutdown.
  fence_seq_cst();
}

// ---- sleeping -------------------------------------------------------------------------

void Worker::park() {
  Idle& idle = scheduler_.idle_;
  idle.prepare_park(index_, searching_);  // W1
  searching_ = false;
  fence_seq_cst();  // W2: pairs with the fence in Scheduler::notify_one (P2)
  if (scheduler_.work_visible() || scheduler_.stopping()) {  // W3
    // Work (or shutdown) arrived: search again instead of sleeping. Either way we
    // are a searcher now (claimed by a notifier, or by cancel_park).
    (void)idle.cancel_park(index_);
    searching_ = true;
    announce_taking();  // run() goes on to next_task(), which takes
    return;
  }
  if (metrics_on_) metrics_.begin_park();
  for (;;) {
    parker_.park();
    // A token may be stale (from a notifier whose claim we had cancelled): only
    // a claim ends the sleep.
    if (idle.was_claimed(index_)) break;
    if (scheduler_.stopping()) {
      (void)idle.cancel_park(index_);
      break;
    }
  }
  // Woken for work: run() takes it next (its look counts as busy).
  if (metrics_on_) metrics_.end_park();
  searching_ = true;
  announce_taking();  // run() goes on to next_task(), which takes
}

}  // namespace tact::detail
