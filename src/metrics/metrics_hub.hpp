// MetricsHub: one runtime's metrics: every scheduler thread's ThreadMetrics
// (summed at snapshot time), what threads that are gone counted, and the rare
// events (dead letters, refusals, failures, restarts, slow handlers), which are
// counted under a mutex since they are off the hot path by nature.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/thread_metrics.hpp"
#include "sync/mutex.hpp"
#include "tact/metrics.hpp"

namespace tact::detail {

class MetricsHub {
 public:
  explicit MetricsHub(bool enabled) noexcept : enabled_(enabled) {}
  MetricsHub(const MetricsHub&) = delete;
  MetricsHub& operator=(const MetricsHub&) = delete;

  bool enabled() const noexcept { return enabled_; }

  // A scheduler thread's counters join (at its creation) and leave (at its
  // destruction: what they counted is kept). index: the worker's; guest: a Driver's.
  void add_thread(const ThreadMetrics* thread, std::size_t index, bool guest);
  void remove_thread(const ThreadMetrics* thread);

  // Rare events, by the actor class's name (ActorVTable::name), and for a
  // metered actor by its name too (ActorVTable::actor_name; empty: none). Any thread.
  void count_dead_letter(std::string_view target_class, std::string_view actor, std::string_view message_type);
  void count_refused(std::string_view actor_class, std::string_view actor);
  void count_failure(std::string_view actor_class, std::string_view actor);
  void count_restart(std::string_view actor_class, std::string_view actor);
  void count_slow_handler();

  // Any thread: fn(const ThreadMetrics&, index) for each worker (not the guests).
  template <class Fn>
  void for_each_worker(Fn&& fn) const {
    std::lock_guard<Mutex> lock(mutex_);
    for (const ThreadEntry& entry : threads_) {
      if (!entry.guest) fn(*entry.thread, entry.index);
    }
  }

  // Any thread: the counters summed. `ticks_per_ns` converts the sampled
  // durations. Live actors and mailbox depths are the runtime's to add.
  metrics::Snapshot snapshot(double ticks_per_ns) const;

 private:
  struct Rare {
    std::uint64_t dead_letters = 0;
    std::uint64_t refused = 0;
    std::uint64_t failures = 0;
    std::uint64_t restarts = 0;
  };
  struct ThreadEntry {
    const ThreadMetrics* thread;
    std::size_t index;
    bool guest;
  };
  // A series: (class, metered actor's name), the name empty for the class's own.
  using SeriesKey = std::pair<std::string, std::string>;
  // The sums of one series over threads, in ticks, before conversion.
  struct ClassSum {
    std::uint64_t messages = 0, turns = 0, mutes = 0;
    std::vector<std::uint64_t> wait, handler;
    std::uint64_t wait_sum = 0, handler_sum = 0;
    std::uint64_t depth_sampled = 0, depth_sampled_at = 0, depth_high_water = 0;  // the latest sample wins
  };
  // Adds `c` to its class's sums (and a metered actor's to its own too).
  // Returns the turns it read, so that a worker's turns are the sum of the
  // very values its classes show (a flush may land between two reads).
  static std::uint64_t add_class(std::map<SeriesKey, ClassSum>& sums, const ClassMetrics& c);
  // ++(rare_[class].*field), and the metered actor's too.
  void count_rare(std::string_view actor_class, std::string_view actor, std::uint64_t Rare::*field);
  static metrics::WorkerMetrics worker_of(const ThreadMetrics& thread, std::size_t index, bool guest,
                                          std::uint64_t turns);

  const bool enabled_;
  mutable Mutex mutex_;
  std::vector<ThreadEntry> threads_;                     // guarded by mutex_
  std::map<SeriesKey, ClassSum> gone_classes_;            // of removed threads; guarded
  metrics::WorkerMetrics gone_guests_{};                  // guests that left, summed; guarded
  std::map<SeriesKey, Rare> rare_;                        // guarded
  std::map<std::pair<std::string, std::string>, std::uint64_t> dead_letters_;  // guarded
  std::uint64_t slow_handlers_ = 0;                       // guarded
};

}  // namespace tact::detail
