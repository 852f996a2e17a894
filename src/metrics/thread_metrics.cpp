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

std::uint64_t ThreadMetrics::activity_ticks(WorkerActivity activity) const noexcept {
  const auto index = static_cast<std::size_t>(activity);
  std::uint64_t ticks = stat_read(activity_ticks_[index]);
  if (stat_read(activity_) == static_cast<std::uint64_t>(activity)) {
    const std::uint64_t since = stat_read(activity_since_);
    const std::uint64_t now = read_ticks();
    if (now > since) ticks += now - since;  // the stretch in progress
  }
  return ticks;
}

}  // namespace tact::detail
