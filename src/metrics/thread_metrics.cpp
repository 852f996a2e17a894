#include "metrics/thread_metrics.hpp"

namespace tact::detail {

ClassMetrics* ThreadMetrics::find_or_add(const ActorVTable* vtable) {
  const void* key = vtable;
  auto found = index_.find(key);
  ClassMetrics* slot;
  if (found != index_.end()) {
    slot = found->second;
  } else {
    auto made = std::make_unique<ClassMetrics>(key, vtable->name, vtable->actor_name);
    slot = made.get();
    {
      std::lock_guard<Mutex> lock(classes_mutex_);
      classes_.push_back(std::move(made));
    }
    index_.emplace(key, slot);
  }
  last_key_ = key;
  last_ = slot;
  return slot;
}

void ThreadMetrics::switch_tally(const ActorVTable* vtable) {
  flush_turns();
  tally_.slot = class_slot(vtable);
  tally_.vtable = vtable;
}

std::uint64_t ThreadMetrics::turns_finished() const {
  std::uint64_t turns = 0;
  for_each_class([&turns](const ClassMetrics& c) { turns += stat_read(c.turns); });
  return turns;
}

void ThreadMetrics::count_spin(const SpinTiming& timing) noexcept {
  if (timing.first_batch.count() > 0) {
    // A running average over the last ~8 first batches (no yield in them: the
    // pure spin outlasts a batch).
    const double per_look = static_cast<double>(timing.first_batch.count()) / kSpinChecksEvery;
    ns_per_look_ = ns_per_look_ == 0 ? per_look : ns_per_look_ + (per_look - ns_per_look_) / 8;
  }
  const double spun = static_cast<double>(timing.measured.count()) + timing.looks_after * ns_per_look_;
  stat_add(spinning_ns_, static_cast<std::uint64_t>(spun));
}

void ThreadMetrics::begin_park() noexcept {
  // relaxed: a statistic; only the owner writes it.
  parked_since_ns_.store(static_cast<std::uint64_t>(steady_now().time_since_epoch().count()),
                         std::memory_order_relaxed);
  set_activity(WorkerActivity::kParked);
}

void ThreadMetrics::end_park() noexcept {
  const auto now = static_cast<std::uint64_t>(steady_now().time_since_epoch().count());
  const std::uint64_t since = stat_read(parked_since_ns_);
  if (now > since) stat_add(parked_ns_, now - since);
  set_activity(WorkerActivity::kBusy);
}

ThreadMetrics::TimeSplit ThreadMetrics::time_split() const noexcept {
  const std::int64_t now = steady_now().time_since_epoch().count();
  double parked = static_cast<double>(stat_read(parked_ns_));
  if (activity() == WorkerActivity::kParked) {  // the sleep in progress
    const auto since = static_cast<std::int64_t>(stat_read(parked_since_ns_));
    if (now > since) parked += static_cast<double>(now - since);
  }
  const double spinning = static_cast<double>(stat_read(spinning_ns_));
  const double wall = static_cast<double>(now - started_ns_);
  const double busy = wall - parked - spinning;
  return {busy > 0 ? busy : 0, spinning, parked};
}

}  // namespace tact::detail
