#include "tact/detail/clock.hpp"
#include "actor/runtime_core.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <cstdint>
#include <thread>
#include <utility>

#include "actor/cell_extras.hpp"
#include "metrics/ticks.hpp"
#include "scheduler/worker.hpp"
#include "sync/blocking.hpp"
#include "sync/mutex.hpp"
#include "sync/thread.hpp"

namespace tact::detail {

RuntimeCore::RuntimeCore(const Config& config)
    : blocking_pool_(config.blocking_threads, config.blocking_queue, config.blocking_shutdown_wait),
      scheduler_(config, run_cell_for(config), this) {
  spare_refs_ = std::make_unique<SpareRefs[]>(scheduler_.worker_count());
  scheduler_.start();
}

RuntimeCore::~RuntimeCore() {
  if (home_ != nullptr) home_->drop_ref();
}

void RuntimeCore::add_ref() noexcept {
  // relaxed: a new reference from an existing one (see cell_retain).
  refs_.fetch_add(1, relaxed);
}

void RuntimeCore::drop_ref() noexcept {
  // acq_rel: as cell_release.
  if (refs_.fetch_sub(1, acq_rel) == 1) delete this;
}

RuntimeCore::SpareRefs* RuntimeCore::spare_refs_here() noexcept {
  const Worker* worker = scheduler_.current_worker();
  // A Driver's guest is not one of the workers (and has no index among them).
  if (worker == nullptr || worker->is_guest()) return nullptr;
  return &spare_refs_[worker->index()];
}

void RuntimeCore::take_cell_ref() noexcept {
  SpareRefs* spare = spare_refs_here();
  if (spare == nullptr) return add_ref();
  if (spare->count == 0) {
    // relaxed: new references from an existing one (this worker runs inside
    // the runtime, whose own reference outlives the workers), as add_ref.
    refs_.fetch_add(kRefBatch, relaxed);
    spare->count = kRefBatch;
  }
  --spare->count;
}

void RuntimeCore::put_cell_ref() noexcept {
  SpareRefs* spare = spare_refs_here();
  if (spare == nullptr) return drop_ref();
  if (++spare->count < 2 * kRefBatch) return;
  spare->count -= kRefBatch;
  // acq_rel: as drop_ref. Never the last: the Runtime holds one until the
  // workers are joined, and this worker keeps kRefBatch in hand.
  refs_.fetch_sub(kRefBatch, acq_rel);
}

namespace {
// One writer at a time (the shard's lock): a load and a store, not an RMW.
void bump(Atomic<std::uint64_t>& counter) noexcept {
  counter.store(counter.load(relaxed) + 1, relaxed);
}
}  // namespace

bool RuntimeCore::register_live(Cell* cell) {
  // Before publication (the cell is not shared yet): read-only from now on.
  const Worker* worker = scheduler_.current_worker();
  const std::size_t index = worker != nullptr ? worker->index() % kShards : address_shard(cell);
  cell->registry_shard = static_cast<unsigned char>(index) & 0x3Fu;  // kShards fits 6 bits
  Shard& shard = shards_[index];
  std::lock_guard<SpinLock> lock(shard.mutex);
  // Checked under the shard's lock: shutdown() clears the flag before it takes
  // each shard's lock to collect the live cells, so a spawn either registers
  // before that collection (and is stopped by it) or sees the flag cleared here.
  // relaxed: the mutex orders it (see shutdown()).
  if (!accepting_spawns_.load(relaxed)) return false;
  cell->registry_prev = nullptr;
  cell->registry_next = shard.head;
  if (shard.head != nullptr) shard.head->registry_prev = cell;
  shard.head = cell;
  ++shard.live;
  bump(shard.spawned);
  return true;
}

void RuntimeCore::unregister_live(Cell* cell, StopReason reason) {
  Shard& shard = shards_[cell->registry_shard];
  std::lock_guard<SpinLock> lock(shard.mutex);
  if (cell->registry_prev != nullptr) {
    cell->registry_prev->registry_next = cell->registry_next;
  } else {
    shard.head = cell->registry_next;
  }
  if (cell->registry_next != nullptr) cell->registry_next->registry_prev = cell->registry_prev;
  cell->registry_prev = cell->registry_next = nullptr;
  --shard.live;
  bump(shard.stopped);
  if (reason == StopReason::kFailed) bump(shard.failed);
}

void RuntimeCore::count_dead_letter(const ActorVTable* vtable, std::string_view message_type) noexcept {
  dead_letters_.fetch_add(1, relaxed);  // relaxed: a statistic
  const Config& config = scheduler_.config();
  if (!config.metrics && !config.on_dead_letter) return;
  const std::string_view actor_class = vtable->name;
  try {
    if (config.metrics) scheduler_.metrics().count_dead_letter(actor_class, vtable->actor_name, message_type);
    if (config.on_dead_letter) config.on_dead_letter(actor_class, message_type);
  } catch (...) {
    // Out of memory, or a hook that threw: the message is counted all the same.
  }
}

void RuntimeCore::count_refused(const ActorVTable* vtable) noexcept {
  refused_.fetch_add(1, relaxed);  // relaxed: a statistic
  if (!scheduler_.config().metrics) return;
  try {
    scheduler_.metrics().count_refused(vtable->name, vtable->actor_name);
  } catch (...) {
    // Out of memory: counted in stats() only.
  }
}

void RuntimeCore::count_failure(const ActorVTable* vtable, const std::exception_ptr& error) noexcept {
  const Config& config = scheduler_.config();
  try {
    if (config.metrics) scheduler_.metrics().count_failure(vtable->name, vtable->actor_name);
    if (config.on_failure) config.on_failure(vtable->name, error);
  } catch (...) {
    // Out of memory, or a hook that threw: the actor fails all the same.
  }
}

metrics::Snapshot RuntimeCore::metrics() const {
  metrics::Snapshot snapshot = scheduler_.metrics().snapshot(tick_rate());
  if (!scheduler_.config().metrics) return snapshot;
  // Live actors and bounded mailboxes' depths, class by class (and metered
  // actor by metered actor), walking the registry.
  struct Live {
    std::uint64_t actors = 0, depth = 0, largest = 0;
    bool any_queued = false;  // some mailbox not idle: a sampled depth may still hold
    void add(std::uint64_t queued, bool idle) {
      ++actors;
      depth += queued;
      if (queued > largest) largest = queued;
      any_queued = any_queued || !idle;
    }
  };
  using Series = std::pair<std::string_view, std::string_view>;  // (class, metered actor or empty)
  std::map<Series, Live> live;
  for (const Shard& shard : shards_) {
    std::lock_guard<SpinLock> lock(const_cast<Shard&>(shard).mutex);
    for (Cell* cell = shard.head; cell != nullptr; cell = cell->registry_next) {
      // relaxed: a statistic. A bounded cell's extras exist from its spawn.
      const std::uint64_t queued = cell->bounded ? extras_known(cell).bound.queued.load(relaxed) : 0;
      const bool idle = cell->mailbox.idle_hint();
      live[{cell->vtable->name, {}}].add(queued, idle);
      if (!cell->vtable->actor_name.empty()) {
        live[{cell->vtable->name, cell->vtable->actor_name}].add(queued, idle);
      }
    }
  }
  for (auto& [series, entry] : live) {
    auto& list = series.second.empty() ? snapshot.classes : snapshot.named_actors;
    auto found = std::find_if(list.begin(), list.end(), [&series = series](const metrics::ActorClassMetrics& c) {
      return c.name == series.first && c.actor == series.second;
    });
    if (found == list.end()) {
      list.push_back({});
      found = list.end() - 1;
      found->name = std::string(series.first);
      found->actor = std::string(series.second);
    }
    found->live_actors = entry.actors;
    found->mailbox_depth = entry.depth;
    found->mailbox_depth_max = entry.largest;
    found->mailbox_depth_high_water = std::max(found->mailbox_depth_high_water, entry.largest);
  }
  // A sampled depth is the latest timed message's: stale once every mailbox
  // of the series is idle (or its actors are gone), when it is 0 for sure.
  for (auto* list : {&snapshot.classes, &snapshot.named_actors}) {
    for (metrics::ActorClassMetrics& c : *list) {
      auto found = live.find(Series(c.name, c.actor));
      if (found == live.end() || !found->second.any_queued) c.mailbox_depth_sampled = 0;
    }
  }
  const auto by_series = [](const auto& a, const auto& b) {
    return a.name != b.name ? a.name < b.name : a.actor < b.actor;
  };
  std::sort(snapshot.classes.begin(), snapshot.classes.end(), by_series);
  std::sort(snapshot.named_actors.begin(), snapshot.named_actors.end(), by_series);
  return snapshot;
}

RuntimeStats RuntimeCore::stats() const noexcept {
  RuntimeStats s;
  {
    // The detached actors' counts are part of their home's.
    std::lock_guard<::tact::detail::Mutex> lock(detached_mutex_);
    s = reaped_;
    for (const RuntimeCore* detached : detached_) add_stats(s, detached->stats());
  }
  // relaxed: a snapshot of independent counters.
  for (const Shard& shard : shards_) {
    s.actors_spawned += shard.spawned.load(relaxed);
    s.actors_stopped += shard.stopped.load(relaxed);
    s.actors_failed += shard.failed.load(relaxed);
  }
  s.dead_letters += dead_letters_.load(relaxed);
  s.messages_refused += refused_.load(relaxed);
  s.requests_expired += expired_.load(relaxed);
  return s;
}

std::size_t RuntimeCore::live_count() {
  std::size_t live = 0;
  for (Shard& shard : shards_) {
    std::lock_guard<SpinLock> lock(shard.mutex);
    live += shard.live;
  }
  return live;
}

void RuntimeCore::drain_until_quiet() {
  const auto deadline = ::tact::detail::steady_now() + scheduler_.config().shutdown_drain;
  // Quiescent twice in a row, a little apart: a single snapshot can fall between
  // a worker going to sleep and the message that wakes the next one.
  int quiet_in_a_row = 0;
  while (::tact::detail::steady_now() < deadline) {
    // Blocking work in flight is not quiet: its Reply may wake an actor.
    quiet_in_a_row = scheduler_.quiescent() && blocking_pool_.idle() ? quiet_in_a_row + 1 : 0;
    if (quiet_in_a_row >= 2) return;
    // A Driver's thread may have queued work and gone off (or be us).
    scheduler_.notify_if_work_visible();
    detail::sleep_for(std::chrono::microseconds(200));
  }
}

std::size_t RuntimeCore::send_stops() {
  // Collect under the locks (with a reference each), deliver outside them: a
  // delivery may stop a cell inline, which takes its shard's lock.
  std::vector<Cell*> targets;
  std::size_t live = 0;
  for (Shard& shard : shards_) {
    std::lock_guard<SpinLock> lock(shard.mutex);
    live += shard.live;
    for (Cell* cell = shard.head; cell != nullptr; cell = cell->registry_next) {
      if (cell->stop_sent) continue;
      cell->stop_sent = true;
      cell_retain(cell);
      targets.push_back(cell);
    }
  }
  for (Cell* cell : targets) {
    // A kill: the actor stops before its next turn (a handler parked on an
    // await that will never come is dropped); its queue becomes dead letters.
    cell_kill(cell, StopReason::kShutdown);
    cell_release(cell);
  }
  return live;
}

void RuntimeCore::shutdown() {
  if (blocking_forbidden()) throw WouldBlockWorker();
  std::lock_guard<::tact::detail::Mutex> lock(shutdown_mutex_);
  if (shut_down_) return;
  shut_down_ = true;
  hooks_.run_all();  // before the drain: what they resolve is handled in it
  run_before_blocking();  // a Driver's host: its deferred sends are part of the drain
  drain_until_quiet();
  // release: pairs with the acquire in accepting_spawns() (the early check in
  // cell_allocate). A spawn past that check is decided in register_live(), under
  // the shard lock that send_stops() takes after this store: it registers before
  // the collection (and gets its Stop) or is refused.
  accepting_spawns_.store(false, release);
  shutdown_detached_cores();
  // Stop every live actor, then wait until each has handled its Stop.
  while (send_stops() != 0) {
    if (live_count() == 0) break;
    scheduler_.notify_if_work_visible();  // our kills, sent as a Driver's thread maybe
    detail::sleep_for(std::chrono::microseconds(100));
  }
  blocking_pool_.shutdown();
  timers_.shutdown();
  scheduler_.stop();
  // The workers are joined: the spare references they kept go back. acq_rel:
  // as drop_ref; never the last (the Runtime still holds its own).
  std::uint32_t spare = 0;
  for (std::size_t i = 0; i < scheduler_.worker_count(); ++i) {
    spare += std::exchange(spare_refs_[i].count, 0);
  }
  if (spare != 0) refs_.fetch_sub(spare, acq_rel);
  release_detached_cores();
}

}  // namespace tact::detail
