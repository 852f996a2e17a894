#include "metrics/metrics_hub.hpp"

#include <algorithm>
#include <mutex>

#include "metrics/sampling.hpp"

namespace tact::detail {
namespace {

void add_buckets(std::vector<std::uint64_t>& into, const LogLinearHistogram& histogram) {
  into.resize(kHistogramBuckets);
  for (std::size_t i = 0; i < kHistogramBuckets; ++i) into[i] += stat_read(histogram.buckets[i]);
}

metrics::Histogram to_histogram(const std::vector<std::uint64_t>& buckets, std::uint64_t sum_ticks,
                                double ticks_per_ns) {
  metrics::Histogram out;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i] == 0) continue;
    const double upper_ticks = i + 1 < kHistogramBuckets
                                   ? static_cast<double>(histogram_bucket_low(i + 1))
                                   : static_cast<double>(histogram_bucket_low(i)) * 2;
    out.buckets.push_back({static_cast<double>(histogram_bucket_low(i)) / ticks_per_ns,
                           upper_ticks / ticks_per_ns, buckets[i]});
    out.count += buckets[i];
  }
  out.sum_ns = static_cast<double>(sum_ticks) / ticks_per_ns;
  return out;
}

void add_worker(metrics::WorkerMetrics& into, const metrics::WorkerMetrics& more) {
  into.busy_ns += more.busy_ns;
  into.spinning_ns += more.spinning_ns;
  into.parked_ns += more.parked_ns;
  into.turns += more.turns;
  into.steals += more.steals;
  into.injector_takes += more.injector_takes;
  into.kept_takes += more.kept_takes;
  into.pipelines_shared += more.pipelines_shared;
}

}  // namespace

void MetricsHub::add_thread(const ThreadMetrics* thread, std::size_t index, bool guest) {
  std::lock_guard<Mutex> lock(mutex_);
  threads_.push_back({thread, index, guest});
}

void MetricsHub::remove_thread(const ThreadMetrics* thread) {
  std::lock_guard<Mutex> lock(mutex_);
  auto entry = std::find_if(threads_.begin(), threads_.end(),
                            [thread](const ThreadEntry& e) { return e.thread == thread; });
  if (entry == threads_.end()) return;
  std::uint64_t turns = 0;
  thread->for_each_class([this, &turns](const ClassMetrics& c) { turns += add_class(gone_classes_, c); });
  if (entry->guest) add_worker(gone_guests_, worker_of(*thread, 0, true, turns));
  threads_.erase(entry);
}

std::uint64_t MetricsHub::add_class(std::map<SeriesKey, ClassSum>& sums, const ClassMetrics& c) {
  // Read once, so that the class and the metered actor show the same values.
  ClassSum read;
  read.messages = stat_read(c.messages);
  read.turns = stat_read(c.turns);
  read.mutes = stat_read(c.mutes);
  add_buckets(read.wait, c.mailbox_wait);
  add_buckets(read.handler, c.handler_time);
  read.wait_sum = stat_read(c.mailbox_wait.sum);
  read.handler_sum = stat_read(c.handler_time.sum);
  read.depth_sampled_at = stat_read(c.depth_sampled_at);
  read.depth_sampled = stat_read(c.depth_sampled);
  read.depth_high_water = stat_read(c.depth_high_water);
  auto add_to = [&sums, &read](SeriesKey key) {
    ClassSum& sum = sums[std::move(key)];
    sum.messages += read.messages;
    sum.turns += read.turns;
    sum.mutes += read.mutes;
    sum.wait.resize(kHistogramBuckets);
    sum.handler.resize(kHistogramBuckets);
    for (std::size_t i = 0; i < kHistogramBuckets; ++i) {
      sum.wait[i] += read.wait[i];
      sum.handler[i] += read.handler[i];
    }
    sum.wait_sum += read.wait_sum;
    sum.handler_sum += read.handler_sum;
    if (read.depth_sampled_at > sum.depth_sampled_at) {
      sum.depth_sampled_at = read.depth_sampled_at;
      sum.depth_sampled = read.depth_sampled;
    }
    sum.depth_high_water = std::max(sum.depth_high_water, read.depth_high_water);
  };
  add_to({std::string(c.name), std::string()});
  if (!c.actor.empty()) add_to({std::string(c.name), std::string(c.actor)});
  return read.turns;
}

metrics::WorkerMetrics MetricsHub::worker_of(const ThreadMetrics& thread, std::size_t index, bool guest,
                                             std::uint64_t turns) {
  metrics::WorkerMetrics w;
  w.index = index;
  w.guest = guest;
  if (!guest) {  // a guest's host thread does its own work between run_ready() calls: not split
    const ThreadMetrics::TimeSplit split = thread.time_split();
    w.busy_ns = split.busy_ns;
    w.spinning_ns = split.spinning_ns;
    w.parked_ns = split.parked_ns;
  }
  w.turns = turns;
  w.steals = stat_read(thread.steals);
  w.injector_takes = stat_read(thread.injector_takes);
  w.kept_takes = stat_read(thread.kept_takes);
  w.pipelines_shared = stat_read(thread.pipelines_shared);
  return w;
}

void MetricsHub::count_rare(std::string_view actor_class, std::string_view actor, std::uint64_t Rare::*field) {
  std::lock_guard<Mutex> lock(mutex_);
  ++(rare_[{std::string(actor_class), std::string()}].*field);
  if (!actor.empty()) ++(rare_[{std::string(actor_class), std::string(actor)}].*field);
}

void MetricsHub::count_dead_letter(std::string_view target_class, std::string_view actor,
                                   std::string_view message_type) {
  count_rare(target_class, actor, &Rare::dead_letters);
  std::lock_guard<Mutex> lock(mutex_);
  ++dead_letters_[{std::string(target_class), std::string(message_type)}];
}
void MetricsHub::count_refused(std::string_view actor_class, std::string_view actor) {
  count_rare(actor_class, actor, &Rare::refused);
}
void MetricsHub::count_failure(std::string_view actor_class, std::string_view actor) {
  count_rare(actor_class, actor, &Rare::failures);
}
void MetricsHub::count_restart(std::string_view actor_class, std::string_view actor) {
  count_rare(actor_class, actor, &Rare::restarts);
}
void MetricsHub::count_slow_handler() {
  std::lock_guard<Mutex> lock(mutex_);
  ++slow_handlers_;
}

metrics::Snapshot MetricsHub::snapshot(double ticks_per_ns) const {
  metrics::Snapshot out;
  if (!enabled_) return out;
  out.sample_period = kSamplePeriod;
  std::lock_guard<Mutex> lock(mutex_);
  std::map<SeriesKey, ClassSum> sums = gone_classes_;
  metrics::WorkerMetrics guests = gone_guests_;
  bool any_guest = guests.turns > 0 || guests.injector_takes > 0;
  for (const ThreadEntry& entry : threads_) {
    std::uint64_t turns = 0;
    entry.thread->for_each_class([&sums, &turns](const ClassMetrics& c) { turns += add_class(sums, c); });
    metrics::WorkerMetrics w = worker_of(*entry.thread, entry.index, entry.guest, turns);
    if (entry.guest) {
      add_worker(guests, w);
      any_guest = true;
    } else {
      out.workers.push_back(w);
    }
  }
  std::sort(out.workers.begin(), out.workers.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  if (any_guest) {
    guests.guest = true;
    guests.index = out.workers.size();
    out.workers.push_back(guests);
  }
  for (const auto& [key, rare] : rare_) (void)sums[key];  // series known only by a rare event
  for (auto& [key, sum] : sums) {
    metrics::ActorClassMetrics c;
    c.name = key.first;
    c.actor = key.second;
    c.messages = sum.messages;
    c.turns = sum.turns;
    c.mutes = sum.mutes;
    c.handler_ns = to_histogram(sum.handler, sum.handler_sum, ticks_per_ns);
    c.mailbox_wait_ns = to_histogram(sum.wait, sum.wait_sum, ticks_per_ns);
    c.mailbox_depth_sampled = sum.depth_sampled;  // (0 once idle: the runtime's to decide)
    c.mailbox_depth_high_water = sum.depth_high_water;
    if (auto rare = rare_.find(key); rare != rare_.end()) {
      c.dead_letters = rare->second.dead_letters;
      c.refused = rare->second.refused;
      c.failures = rare->second.failures;
      c.restarts = rare->second.restarts;
    }
    (c.actor.empty() ? out.classes : out.named_actors).push_back(std::move(c));
  }
  for (const auto& [key, count] : dead_letters_) out.dead_letters.push_back({key.first, key.second, count});
  out.slow_handlers = slow_handlers_;
  return out;
}

}  // namespace tact::detail
