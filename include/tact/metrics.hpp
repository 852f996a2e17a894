// tact::metrics: what a runtime has been doing, per actor class and per worker
// (docs/metrics.md). On by default (Config::metrics); cheap enough to leave on.
//
//   tact::metrics::Snapshot s = rt.metrics();          // plain structs, any thread
//   for (const auto& c : s.classes)
//     std::printf("%s %llu msgs, p99 handler %.0f ns\n", c.name.c_str(),
//                 (unsigned long long)c.messages, c.handler_ns.quantile(0.99));
//   std::string text = tact::metrics::prometheus_text(rt);  // for a host's own /metrics
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tact/fwd.hpp"

namespace tact::metrics {

// A distribution of sampled durations, in nanoseconds. Buckets are log-linear:
// each power of two split in 16, so a quantile (read as its bucket's midpoint)
// is within 1/32 of the true sampled value, plus the sampling error for rare
// quantiles (docs/metrics.md: 1 message in 256 is timed).
struct Histogram {
  struct Bucket {
    double lower_ns;      // its samples are at least this
    double upper_ns;      // and below this
    std::uint64_t count;  // samples in this bucket (not cumulative)
  };
  std::vector<Bucket> buckets;  // non-empty buckets only, ascending
  std::uint64_t count = 0;      // samples
  double sum_ns = 0;

  // The q-quantile (0 <= q <= 1) of the samples, in ns; 0 without samples.
  double quantile(double q) const noexcept;
  double mean_ns() const noexcept { return count == 0 ? 0 : sum_ns / static_cast<double>(count); }
};

// One actor class (ActorVTable name: its type, or its `static constexpr name`),
// or one metered actor of it (Runtime::spawn_metered; counted in its class too).
struct ActorClassMetrics {
  std::string name;   // the class
  std::string actor;  // a metered actor's name; empty for a class
  std::uint64_t messages = 0;  // handled: user messages and system ones (start, stop, Down, timer ticks)
  std::uint64_t turns = 0;     // turns its actors ran (messages / turns: batch size)
  Histogram handler_ns;        // sampled: a handler's run
  Histogram mailbox_wait_ns;   // sampled: tell/ask to the handler's start
  std::uint64_t dead_letters = 0;  // messages to its stopped actors (by type: Snapshot::dead_letters)
  std::uint64_t refused = 0;       // user messages a full bounded mailbox refused
  std::uint64_t failures = 0;      // actors stopped by a handler's exception
  std::uint64_t restarts = 0;      // supervised restarts
  std::uint64_t mutes = 0;         // its actors paused by backpressure
  std::uint64_t mailbox_depth = 0;      // messages queued in its bounded mailboxes now (exact)
  std::uint64_t mailbox_depth_max = 0;  // the fullest of its bounded mailboxes now (exact)
  // Any mailbox, bounded or not, sampled (docs/metrics.md, "Mailbox depth"):
  // the messages queued behind a timed message when its handler started (at
  // most every 250 ms; 0 once all its actors are idle), and the most seen so
  // far (or the exact bounded depth now, if more). Capped at 1024.
  std::uint64_t mailbox_depth_sampled = 0;
  std::uint64_t mailbox_depth_high_water = 0;
  std::uint64_t live_actors = 0;        // a metered actor: 1 while it lives, else 0
};

struct DeadLetterMetrics {
  std::string target_class;
  std::string message_type;
  std::uint64_t count = 0;
};

// One worker thread; the Driver guests (host threads lent to the runtime) are
// summed into one last entry with guest = true (their time is not split: the
// host thread does its own work between run_ready() calls).
struct WorkerMetrics {
  std::size_t index = 0;
  bool guest = false;
  double busy_ns = 0;      // taking and running tasks
  double spinning_ns = 0;  // looking for work before sleeping
  double parked_ns = 0;    // asleep
  std::uint64_t turns = 0;
  std::uint64_t steals = 0;          // tasks taken from another worker
  std::uint64_t injector_takes = 0;  // tasks taken from the global queue
  std::uint64_t kept_takes = 0;      // tasks taken from its kept queue (backpressure)
  std::uint64_t pipelines_shared = 0;  // consumers it offered to an idle worker, pipeline and all
};

struct Snapshot {
  std::vector<ActorClassMetrics> classes;       // by name
  std::vector<ActorClassMetrics> named_actors;  // metered actors, by (class, actor name)
  std::vector<WorkerMetrics> workers;
  std::vector<DeadLetterMetrics> dead_letters;  // by (target class, message type)
  std::uint32_t sample_period = 0;  // 1 message in this many is timed; 0: metrics off
  std::uint64_t slow_handlers = 0;  // reports of Config::slow_handler
};

// The Prometheus text exposition format 0.0.4 of rt.metrics() (names start
// with tact_; docs/metrics.md lists them). Any thread.
std::string prometheus_text(const Runtime& rt);
std::string prometheus_text(const Snapshot& snapshot);

}  // namespace tact::metrics
