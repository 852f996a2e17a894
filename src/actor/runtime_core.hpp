// RuntimeCore: what a Runtime owns: the scheduler, the registry of live actors
// (so shutdown can reach every one), and the counters behind RuntimeStats.
//
// Lifetime: counted. The Runtime holds one reference, every allocated cell one
// more, so an ActorRef that outlives its Runtime can still reject messages and
// count them. The scheduler's threads are joined by Runtime::shutdown(). A
// worker keeps spare references in hand for the cells it allocates and frees
// (take_cell_ref / put_cell_ref), so the count is touched once per batch.
//
// Shutdown, in order (shutdown()):
//   0. run the shutdown hooks (rt.on_shutdown; a tact::nats::Node closes), while
//      the actors still run: what they resolve is handled in the drain;
//   1. drain: wait until the scheduler is quiescent (every worker asleep, nothing
//      queued), at most Config::shutdown_drain;
//   2. refuse new spawns (tact::Error), including spawns already past the first
//      check whose object was still being built (register_live decides, under
//      the registry's lock);
//   3. kill every live actor (cell_kill: it stops before its next turn, a parked
//      handler is dropped), until none is live; each stop rejects what its
//      mailbox still holds (asks: ActorStopped);
//   3b. shut the blocking pool down (blocking_pool.hpp): queued jobs are
//      cancelled (their Replies answer ActorStopped), running ones waited for
//      at most Config::blocking_shutdown_wait. After the actors stop, so the
//      drain lets awaited blocking work finish (step 1 waits for it too);
//   4. shut the timers down: pending ones are disposed, none fires again, the
//      timer thread is joined (actors' own timers were cancelled as each
//      stopped; what is left are rt.send_after/send_every timers). Before the
//      workers stop, so a firing in progress never schedules onto a stopped
//      scheduler; after the actors stop, so timers keep working during the
//      drain (a fire meanwhile to a stopped actor is a dead letter);
//   5. stop and join the workers.
// A home runtime shuts its detached actors' cores down (each the same way)
// between steps 2 and 3.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "actor/blocking_pool.hpp"
#include "actor/cell.hpp"
#include "actor/metered_tables.hpp"
#include "actor/names/name_registry.hpp"
#include "actor/shutdown_hooks.hpp"
#include "scheduler/scheduler.hpp"
#include "sync/mutex.hpp"
#include "sync/spin_lock.hpp"
#include "tact/config.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/runtime.hpp"
#include "timer/timer_service.hpp"

namespace tact::detail {

// to += s, field by field.
void add_stats(RuntimeStats& to, const RuntimeStats& s) noexcept;

class RuntimeCore {
 public:
  explicit RuntimeCore(const Config& config);
  RuntimeCore(const RuntimeCore&) = delete;
  RuntimeCore& operator=(const RuntimeCore&) = delete;

  void add_ref() noexcept;
  void drop_ref() noexcept;  // frees the core with the last reference
  // A cell's reference (cell_allocate, cell_free). On a worker of this runtime
  // it comes from, and goes back to, the worker's spare references, refilled
  // and trimmed a batch at a time: one RMW on refs_ per cell made skynet on 2
  // workers spend ~40% of its time on refs_' line moving between the cores.
  void take_cell_ref() noexcept;
  void put_cell_ref() noexcept;

  Scheduler& scheduler() noexcept { return scheduler_; }
  // The runtime's timers (src/timer/timer_service.hpp); its thread starts with the first timer.
  TimerService& timers() noexcept { return timers_; }
  // ctx.blocking's threads (src/actor/blocking_pool.hpp); they start with the first job.
  BlockingPool& blocking_pool() noexcept { return blocking_pool_; }
  bool accepting_spawns() const noexcept { return accepting_spawns_.load(acquire); }

  // Live-actor registry (spawn adds, stop removes; each counts it in the
  // stats). register_live() refuses (returns false) once shutdown has begun.
  // A cell goes to the shard of the worker that spawns it (a shard picked by
  // address from other threads): a worker's spawns and stops, mostly of actors
  // that run where they were spawned, take a lock whose line stays in its core.
  // Sharded by address, skynet on 2 workers spent ~30% of its time in the
  // shard mutexes (perf), their lines moving between the cores. Each shard's
  // lock is a SpinLock: one exchange, released by a store.
  bool register_live(Cell* cell);
  void unregister_live(Cell* cell, StopReason reason);

  void shutdown();
  RuntimeStats stats() const noexcept;
  // rt.register_name (src/actor/names/); a detached actor's core uses its home's.
  NameRegistry& names() noexcept { return home_ != nullptr ? home_->names() : names_; }
  // rt.spawn_metered's tables (a detached actor's core uses its home's).
  MeteredTables& metered_tables() noexcept { return home_ != nullptr ? home_->metered_tables() : metered_; }
  ShutdownHooks& shutdown_hooks() noexcept { return hooks_; }  // rt.on_shutdown (a home's)

  // -- detached actors (src/actor/detached.cpp) ------------------------------------------------
  // A detached actor runs in a core of its own (one worker: its thread), made
  // by its home runtime, which shuts it down with itself. Null for a home.
  RuntimeCore* home() noexcept { return home_; }
  // A new core for one detached actor, with one reference for the caller.
  // Throws tact::Error once shutdown has begun.
  RuntimeCore* make_detached_core();
  // `detached`'s actor is spawned (or its spawn failed): reapable once it has no live actor.
  void detached_spawned(RuntimeCore* detached) noexcept;

  // Counters (relaxed: statistics, read as a snapshot). Spawns and stops are
  // counted by the registry shards, under their locks.
  // Rare events are also counted by class (and message type) in the metrics,
  // which hand them to the hooks (Config::on_dead_letter, on_failure).
  // By the actor's table: its class, and a metered actor's name too.
  void count_dead_letter(const ActorVTable* vtable, std::string_view message_type) noexcept;
  void count_refused(const ActorVTable* vtable) noexcept;
  void count_failure(const ActorVTable* vtable, const std::exception_ptr& error) noexcept;
  // rt.metrics(): the scheduler's counters, plus live actors and mailbox depths.
  metrics::Snapshot metrics() const;
  void count_expired() noexcept { expired_.fetch_add(1, relaxed); }

 private:
  ~RuntimeCore();

  struct alignas(kCacheLine) Shard {
    SpinLock mutex;  // held for a few list links (sync/spin_lock.hpp says why not a mutex)
    Cell* head = nullptr;
    std::size_t live = 0;
    // Written under the mutex (a load and a store: no RMW), read by stats()
    // without it. relaxed: statistics.
    Atomic<std::uint64_t> spawned{0};
    Atomic<std::uint64_t> stopped{0};
    Atomic<std::uint64_t> failed{0};
  };
  // One worker's spare references: owner-only (its thread), a line each.
  struct alignas(kCacheLine) SpareRefs {
    std::uint32_t count = 0;
  };
  static constexpr std::uint32_t kRefBatch = 256;
  SpareRefs* spare_refs_here() noexcept;

  static constexpr std::size_t kShards = 16;
  static_assert(kShards <= 64, "Cell::registry_shard has 6 bits");
  static std::size_t address_shard(const Cell* cell) noexcept {
    // Cells are at least 64-byte apart: drop the low bits before picking a shard.
    return (reinterpret_cast<std::uintptr_t>(cell) >> 6) % kShards;
  }
  void drain_until_quiet();
  void shutdown_detached_cores();
  // After shutdown: folds the detached cores' counts into reaped_ and drops the
  // list's references (each detached core holds its home: a cycle otherwise).
  void release_detached_cores() noexcept;
  // Shuts down and lets go of the detached cores whose actor has stopped
  // (their threads idle otherwise). Not on a worker (it joins threads).
  void reap_detached_cores();
  std::size_t send_stops();  // returns how many actors are still live
  std::size_t live_count();

  Atomic<std::uint32_t> refs_{1};
  std::unique_ptr<SpareRefs[]> spare_refs_;  // one per worker, sized before the workers start
  alignas(kCacheLine) Atomic<bool> accepting_spawns_{true};  // read by every spawn: not on refs_' line
  Atomic<std::uint64_t> dead_letters_{0};
  Atomic<std::uint64_t> refused_{0};
  Atomic<std::uint64_t> expired_{0};
  std::array<Shard, kShards> shards_;
  NameRegistry names_;
  MeteredTables metered_;
  ShutdownHooks hooks_;
  ::tact::detail::Mutex shutdown_mutex_;
  bool shut_down_ = false;  // guarded by shutdown_mutex_
  RuntimeCore* home_ = nullptr;  // counted; set once, before the core is shared
  mutable ::tact::detail::Mutex detached_mutex_;
  std::vector<RuntimeCore*> detached_;  // guarded by detached_mutex_; one reference each
  bool detached_closed_ = false;       // guarded by detached_mutex_: shutdown took the list
  RuntimeStats reaped_{};              // guarded by detached_mutex_: counts of cores let go
  bool detached_ready_ = false;        // a detached core's; guarded by its home's detached_mutex_
  TimerService timers_;     // its thread delivers through the scheduler
  BlockingPool blocking_pool_;  // its jobs answer Replies that may wake actors
  Scheduler scheduler_;     // last: its workers use the fields above
};

}  // namespace tact::detail
