// Detached actors (rt.spawn_detached<A>): an actor on a thread of its own, so
// it may block (a legacy client library, a synchronous driver) without
// stalling a worker; CAF's detached actors.
//
// How: the actor lives in a RuntimeCore of its own with one worker — its
// thread — made by its home runtime (make_detached_core). Everything a cell
// does through its runtime works unchanged: tell/ask/stop/kill wake that worker
// from any thread (the scheduler's injector), timers use that core's timer
// thread, watches and links are ties between cells whatever their core. What
// must be the home's is redirected: names (RuntimeCore::names), the actors it
// spawns (cell_spawn_runtime: they run on the home's workers), and statistics
// (the home's stats() adds its detached cores').
//
// Its core differs from the home's config in: one worker, not pinned, never
// busy-polling, and no muting of senders (backpressure.hpp: muting hands a
// muted sender to the receiver's scheduler to release; across cores that would
// move the sender onto the detached thread). A detached actor's mailbox is
// bounded only by a mailbox_bound.
//
// Blocking: its worker allows Reply::get() (the worker rule exists because a
// worker waiting could hold up the very message it waits for; this thread runs
// only this actor). Cleared by a first message, so from the first handler on
// (on_start runs before it: no get() there).
//
// Lifetime: the home keeps one reference to each detached core. When its
// actor has stopped, the core (its idle thread) is shut down and let go by the
// next spawn_detached from a plain thread (reap_detached_cores), or by the
// home's shutdown (shutdown_detached_cores, between its steps 2 and 3).
#include <mutex>
#include <utility>
#include <vector>

#include "actor/cell.hpp"
#include "actor/runtime_core.hpp"
#include "sync/blocking.hpp"
#include "tact/detail/envelope.hpp"
#include "tact/errors.hpp"

namespace tact::detail {
namespace {

// The first message of a detached actor: lets its thread block on replies.
struct AllowBlockingEnvelope final : Envelope {
  AllowBlockingEnvelope() noexcept : Envelope(&run) {}
  static void run(Envelope* self, CellBase*, void*, EnvelopeOp op) noexcept {
    if (is_handle(op)) set_blocking_forbidden(false);
    if (op == EnvelopeOp::kFree) delete static_cast<AllowBlockingEnvelope*>(self);
  }
};

}  // namespace

void add_stats(RuntimeStats& to, const RuntimeStats& s) noexcept {
  to.actors_spawned += s.actors_spawned;
  to.actors_stopped += s.actors_stopped;
  to.actors_failed += s.actors_failed;
  to.dead_letters += s.dead_letters;
  to.messages_refused += s.messages_refused;
  to.requests_expired += s.requests_expired;
}

namespace {

Config detached_config(Config config) {
  config.workers = 1;
  config.pin_workers = false;
  config.busy_poll = false;
  config.mute_senders = false;
  return config;
}

}  // namespace

RuntimeCore* RuntimeCore::make_detached_core() {
  if (home_ != nullptr) return home_->make_detached_core();  // spawned by a detached actor
  if (!blocking_forbidden()) reap_detached_cores();
  if (!accepting_spawns()) throw Error("tact: spawn after Runtime::shutdown() began");
  auto* core = new RuntimeCore(detached_config(scheduler_.config()));
  add_ref();  // the detached core's, on its home (dropped by its destructor)
  core->home_ = this;
  bool refused;
  {
    std::lock_guard<::tact::detail::Mutex> lock(detached_mutex_);
    refused = detached_closed_;
    if (!refused) {
      core->add_ref();  // the list's; the caller gets the first
      detached_.push_back(core);
    }
  }
  if (refused) {
    core->shutdown();
    core->drop_ref();
    throw Error("tact: spawn after Runtime::shutdown() began");
  }
  return core;
}

void RuntimeCore::reap_detached_cores() {
  std::vector<RuntimeCore*> done;
  {
    std::lock_guard<::tact::detail::Mutex> lock(detached_mutex_);
    std::erase_if(detached_, [&](RuntimeCore* core) {
      // Spawned (a ready core) and stopped: no live actor left. The flag is
      // set under this lock after the spawn registered its actor.
      if (!core->detached_ready_ || core->live_count() != 0) return false;
      done.push_back(core);
      return true;
    });
  }
  for (RuntimeCore* core : done) {
    core->shutdown();  // joins its idle worker
    const RuntimeStats s = core->stats();
    {
      std::lock_guard<::tact::detail::Mutex> lock(detached_mutex_);
      add_stats(reaped_, s);  // the home's counts never go down
    }
    core->drop_ref();
  }
}

void RuntimeCore::detached_spawned(RuntimeCore* detached) noexcept {
  std::lock_guard<::tact::detail::Mutex> lock(detached_mutex_);
  detached->detached_ready_ = true;
}

void RuntimeCore::release_detached_cores() noexcept {
  std::vector<RuntimeCore*> cores;
  {
    std::lock_guard<::tact::detail::Mutex> lock(detached_mutex_);
    cores.swap(detached_);
  }
  for (RuntimeCore* core : cores) {
    const RuntimeStats s = core->stats();
    {
      std::lock_guard<::tact::detail::Mutex> lock(detached_mutex_);
      add_stats(reaped_, s);
    }
    core->drop_ref();  // each holds its home: the cycle ends here
  }
}

void RuntimeCore::shutdown_detached_cores() {
  std::vector<RuntimeCore*> cores;
  {
    std::lock_guard<::tact::detail::Mutex> lock(detached_mutex_);
    detached_closed_ = true;
    cores = detached_;  // they stay listed (their counts are part of stats()) until ~RuntimeCore
  }
  for (RuntimeCore* core : cores) core->shutdown();
}

// ===== the boundary (runtime_abi.hpp) ========================================================

RuntimeCore* runtime_detached_core(RuntimeCore* runtime) { return runtime->make_detached_core(); }

void runtime_detached_spawned(RuntimeCore* detached, CellBase* cell) noexcept {
  if (cell != nullptr) {
    try {
      (void)cell_deliver(cell, new AllowBlockingEnvelope());
    } catch (...) {  // no memory: Reply::get() stays forbidden there, nothing worse
    }
  }
  detached->home()->detached_spawned(detached);
  detached->drop_ref();  // the caller's reference (its cell holds its own)
}

RuntimeCore* cell_spawn_runtime(CellBase* cell) noexcept {
  RuntimeCore* runtime = Cell::from(cell)->runtime();
  return runtime->home() != nullptr ? runtime->home() : runtime;
}

}  // namespace tact::detail
