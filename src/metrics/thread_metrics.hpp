// ThreadMetrics: what one scheduler thread (a worker, or a Driver's guest)
// counts: per actor class it ran, messages, turns and the sampled timings; for
// itself, where its time went and where its tasks came from. Owner-only writes,
// so the hot path has no shared RMW; MetricsHub sums every thread's at
// snapshot time.
//
// A turn is tallied in plain fields (TurnTally: a compare and two adds, no
// atomic), and the tally is added into the class's counters (relaxed atomics,
// which snapshots read) when the class changes, when the worker polls the
// injector (every Worker::kInjectorInterval tasks), and whenever it runs out
// of work or leaves. So a snapshot lags a busy worker by at most that many
// turns, and is exact once the runtime is idle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "metrics/histogram.hpp"
#include "metrics/ticks.hpp"
#include "sync/mutex.hpp"
#include "sync/spin.hpp"
#include "tact/detail/cell.hpp"

namespace tact::detail {

// One actor class's counters on one thread (or, in the hub, of threads gone);
// or one metered actor's (Runtime::spawn_metered: its own table, so its own slot).
struct ClassMetrics {
  ClassMetrics(const void* k, std::string_view n, std::string_view a) noexcept : key(k), name(n), actor(a) {}
  const void* const key;  // the class's ActorVTable, or a metered actor's copy
  const std::string_view name;
  const std::string_view actor;  // a metered actor's name; empty for a class
  StatCounter messages{0};
  StatCounter turns{0};
  StatCounter mutes{0};  // its actors paused by backpressure (backpressure.hpp)
  // Sampled (sampling.hpp): enqueue to handler start, and the handler itself.
  LogLinearHistogram mailbox_wait;
  LogLinearHistogram handler_time;
  // Sampled too: the messages queued behind a timed one when its handler
  // started (at most kDepthWalkLimit), and when; the most seen.
  StatCounter depth_sampled{0};
  StatCounter depth_sampled_at{0};  // ticks; 0: never
  StatCounter depth_high_water{0};
};

// Where a worker's time goes (WorkerMetrics in tact/metrics.hpp).
enum class WorkerActivity : std::uint64_t { kBusy, kSpinning, kParked };

class ThreadMetrics {
 public:
  ThreadMetrics() = default;
  ThreadMetrics(const ThreadMetrics&) = delete;
  ThreadMetrics& operator=(const ThreadMetrics&) = delete;

  // Owner only. The counters of an actor class on this thread; one compare
  // when the class is the same as last time. For the rare and sampled events;
  // turns go through count_turn.
  ClassMetrics* class_slot(const ActorVTable* vtable) {
    if (vtable == last_key_) [[likely]] return last_;
    return find_or_add(vtable);
  }
  // Owner only: a turn of an actor of that class handled `messages`. Tallied;
  // flush() makes it visible.
  void count_turn(const ActorVTable* vtable, std::uint32_t messages) {
    if (vtable != tally_.vtable) [[unlikely]] switch_tally(vtable);
    tally_.messages += messages;
    ++tally_.turns;
  }
  // Owner only: adds the tallied turns to their class's counters.
  void flush_turns() noexcept {
    if (tally_.turns == 0) return;
    stat_add(tally_.slot->messages, tally_.messages);
    stat_add(tally_.slot->turns, tally_.turns);
    tally_.messages = 0;
    tally_.turns = 0;
  }
  // Owner only: where a task came from (tallied as the turns are).
  void count_steal() noexcept { ++takes_.steals; }
  void count_injector_take() noexcept { ++takes_.injector; }
  void count_kept_take() noexcept { ++takes_.kept; }
  void count_pipeline_shared() noexcept { ++takes_.shared; }
  // Owner only: publishes everything tallied (the turns, the takes).
  void flush() noexcept {
    flush_turns();
    stat_add(steals, takes_.steals);
    stat_add(injector_takes, takes_.injector);
    stat_add(kept_takes, takes_.kept);
    stat_add(pipelines_shared, takes_.shared);
    takes_ = {};
  }

  // Owner only: what the worker does now, for the slow-handler watchdog. A
  // plain store, no clock read: the times come from the spins and the parks.
  void set_activity(WorkerActivity activity) noexcept {
    activity_.store(static_cast<std::uint64_t>(activity), std::memory_order_relaxed);  // relaxed: a hint
  }
  // Owner only: a search for work spun this long (spin_for's own clock reads;
  // the looks after its last read at the per-look cost its first batches
  // measured), then found a task or went on to park.
  void count_spin(const SpinTiming& timing) noexcept;
  // Owner only: around the sleep (a futex wait: the clock reads cost nothing
  // beside it).
  void begin_park() noexcept;
  void end_park() noexcept;

  // Owner only, at a turn's start: the class of the actor it runs, for the
  // slow-handler watchdog. relaxed: a hint read by another thread; the
  // vtable is static, so any value read is safe to follow.
  void note_turn(const ActorVTable* vtable) noexcept { running_.store(vtable, std::memory_order_relaxed); }
  const ActorVTable* running_class() const noexcept { return running_.load(std::memory_order_relaxed); }
  WorkerActivity activity() const noexcept { return static_cast<WorkerActivity>(stat_read(activity_)); }
  // Any thread: turns finished, all classes.
  std::uint64_t turns_finished() const;

  // Published by flush(); any thread reads them.
  StatCounter steals{0};          // tasks taken from other workers' deques
  StatCounter injector_takes{0};  // tasks taken from the global injector
  StatCounter kept_takes{0};      // tasks taken from the kept queue (backpressure)
  StatCounter pipelines_shared{0};  // consumers offered to an idle worker (Worker::keep_local)

  // Any thread: where the thread's time went since it started, in
  // nanoseconds; busy is the rest (docs/metrics.md has the error).
  struct TimeSplit {
    double busy_ns, spinning_ns, parked_ns;
  };
  TimeSplit time_split() const noexcept;
  // Any thread, under no lock of ours but the hub's: calls fn(const ClassMetrics&).
  template <class Fn>
  void for_each_class(Fn&& fn) const {
    std::lock_guard<Mutex> lock(classes_mutex_);
    for (const auto& slot : classes_) fn(*slot);
  }

 private:
  ClassMetrics* find_or_add(const ActorVTable* vtable);
  // Owner only: flushes the tally and starts one for another class.
  void switch_tally(const ActorVTable* vtable);

  // The turns counted since the last flush, all of one class (owner-only,
  // plain: nobody else reads them).
  // (turns is 32 bits: flushed every few dozen turns, it cannot overflow, and
  // the two adds stay two plain adds, not a vector add.)
  struct TurnTally {
    const ActorVTable* vtable = nullptr;
    ClassMetrics* slot = nullptr;
    std::uint64_t messages = 0;
    std::uint32_t turns = 0;
  };
  TurnTally tally_;
  struct TakeTally {
    std::uint32_t steals = 0, injector = 0, kept = 0, shared = 0;
  };
  TakeTally takes_;  // owner-only, plain

  const void* last_key_ = nullptr;  // owner-only cache of class_slot
  ClassMetrics* last_ = nullptr;
  std::unordered_map<const void*, ClassMetrics*> index_;  // owner-only
  // Grown by the owner under the mutex; snapshots read it under the mutex.
  mutable Mutex classes_mutex_;
  std::vector<std::unique_ptr<ClassMetrics>> classes_;
  std::atomic<const ActorVTable*> running_{nullptr};
  StatCounter activity_{static_cast<std::uint64_t>(WorkerActivity::kBusy)};
  // Nanoseconds of the steady clock (owner-written, relaxed; any thread reads).
  const std::int64_t started_ns_ = steady_now().time_since_epoch().count();
  StatCounter spinning_ns_{0};
  StatCounter parked_ns_{0};
  StatCounter parked_since_ns_{0};  // while parked
  double ns_per_look_ = 0;  // owner-only: a spin's per-look cost, averaged over first batches
};

}  // namespace tact::detail
