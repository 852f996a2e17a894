// tact::metrics::prometheus_text: a Snapshot in the Prometheus text exposition
// format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
// Checked by `promtool check metrics` in test/unit/metrics_prometheus_test.
//
// Durations are histograms in seconds with fixed `le` bounds (1-2.5-5 per
// decade, 100 ns to 10 s: a bound must not move between scrapes, and the
// runtime's own buckets are in ticks), each sample counted under the first
// bound at or above its bucket's midpoint; the exact quantiles (within 1/32)
// are the summaries tact_actor_*_quantiles_seconds.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "tact/metrics.hpp"
#include "tact/runtime.hpp"

namespace tact::metrics {
namespace {

constexpr double kBounds[] = {1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5,
                              1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2,
                              0.1,  0.25,   0.5,  1,    2.5,    5,    10};
constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999};

// A label value: backslash, double quote and newline escaped (0.0.4).
std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}
std::string number(std::uint64_t value) { return std::to_string(value); }

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, const std::string& value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// A class's series: class="..."; a metered actor's: class="...",actor="...".
std::string class_label(const ActorClassMetrics& c) {
  std::string label = "class=\"" + escaped(c.name) + "\"";
  if (!c.actor.empty()) label += ",actor=\"" + escaped(c.actor) + "\"";
  return label;
}

using Series = std::vector<ActorClassMetrics>;

void histogram(Writer& w, const std::string& name, std::string_view help, const Series& series,
               const Histogram ActorClassMetrics::*member) {
  w.family(name, "histogram", help);
  const std::string bucket = name + "_bucket";
  for (const ActorClassMetrics& c : series) {
    const Histogram& h = c.*member;
    const std::string labels = class_label(c);
    std::uint64_t cumulative = 0;
    std::size_t next = 0;  // h.buckets[next]: the first not yet counted
    for (double bound : kBounds) {
      while (next < h.buckets.size() &&
             (h.buckets[next].lower_ns + h.buckets[next].upper_ns) / 2 <= bound * 1e9) {
        cumulative += h.buckets[next++].count;
      }
      w.sample(bucket, labels + ",le=\"" + number(bound) + "\"", number(cumulative));
    }
    w.sample(bucket, labels + ",le=\"+Inf\"", number(h.count));
    w.sample(std::string(name) + "_sum", labels, number(h.sum_ns / 1e9));
    w.sample(std::string(name) + "_count", labels, number(h.count));
  }
}

void quantiles(Writer& w, const std::string& name, std::string_view help, const Series& series,
               const Histogram ActorClassMetrics::*member) {
  w.family(name, "summary", help);
  for (const ActorClassMetrics& c : series) {
    const Histogram& h = c.*member;
    const std::string labels = class_label(c);
    if (h.count > 0) {
      for (double q : kQuantiles) {
        w.sample(name, labels + ",quantile=\"" + number(q) + "\"", number(h.quantile(q) / 1e9));
      }
    }
    w.sample(std::string(name) + "_sum", labels, number(h.sum_ns / 1e9));
    w.sample(std::string(name) + "_count", labels, number(h.count));
  }
}

void per_class(Writer& w, const std::string& name, std::string_view type, std::string_view help,
               const Series& series, std::uint64_t ActorClassMetrics::*member) {
  w.family(name, type, help);
  for (const ActorClassMetrics& c : series) w.sample(name, class_label(c), number(c.*member));
}

// The actor series: per class (prefix tact_actor_), or per metered actor
// (tact_named_actor_: families of their own, since a metered actor is also
// counted in its class, and a sum over one family must not count it twice).
void actor_series(Writer& w, const std::string& p, const Series& s) {
  per_class(w, p + "messages_total", "counter", "Messages handled.", s, &ActorClassMetrics::messages);
  per_class(w, p + "turns_total", "counter", "Turns run (up to Config::budget messages each).", s,
            &ActorClassMetrics::turns);
  histogram(w, p + "handler_seconds", "Handler run time (1 message in sample_period timed).", s,
            &ActorClassMetrics::handler_ns);
  histogram(w, p + "mailbox_wait_seconds", "Send to handler start (1 message in sample_period timed).", s,
            &ActorClassMetrics::mailbox_wait_ns);
  quantiles(w, p + "handler_quantiles_seconds", "Handler run time quantiles (within 1/32).", s,
            &ActorClassMetrics::handler_ns);
  quantiles(w, p + "mailbox_wait_quantiles_seconds", "Mailbox wait quantiles (within 1/32).", s,
            &ActorClassMetrics::mailbox_wait_ns);
  per_class(w, p + "live", "gauge", "Actors alive now.", s, &ActorClassMetrics::live_actors);
  per_class(w, p + "mailbox_depth", "gauge", "Messages queued in bounded mailboxes now.", s,
            &ActorClassMetrics::mailbox_depth);
  per_class(w, p + "mailbox_depth_largest", "gauge", "The fullest bounded mailbox's depth now.", s,
            &ActorClassMetrics::mailbox_depth_max);
  per_class(w, p + "mailbox_depth_sampled", "gauge",
            "Messages queued behind a timed message (sampled, any mailbox; 0 once idle; at most 1024).", s,
            &ActorClassMetrics::mailbox_depth_sampled);
  per_class(w, p + "mailbox_depth_high_water", "gauge", "The most messages seen queued (sampled; at most 1024).",
            s, &ActorClassMetrics::mailbox_depth_high_water);
  per_class(w, p + "refused_total", "counter", "User messages refused by a full bounded mailbox.", s,
            &ActorClassMetrics::refused);
  per_class(w, p + "failures_total", "counter", "Handlers that threw (the actor failed).", s,
            &ActorClassMetrics::failures);
  per_class(w, p + "restarts_total", "counter", "Supervised restarts.", s, &ActorClassMetrics::restarts);
  per_class(w, p + "mutes_total", "counter", "Times paused by backpressure.", s, &ActorClassMetrics::mutes);
  per_class(w, p + "dead_letters_total", "counter", "Messages that reached a stopped actor.", s,
            &ActorClassMetrics::dead_letters);
}

void per_worker(Writer& w, std::string_view name, std::string_view type, std::string_view help,
                const Snapshot& s, auto member, double scale = 1) {
  w.family(name, type, help);
  for (const WorkerMetrics& worker : s.workers) {
    const std::string labels =
        worker.guest ? std::string("worker=\"guest\"") : "worker=\"" + std::to_string(worker.index) + "\"";
    if constexpr (std::is_same_v<decltype(worker.*member), const double&>) {
      w.sample(name, labels, number(worker.*member * scale));
    } else {
      w.sample(name, labels, number(worker.*member));
    }
  }
}

}  // namespace

std::string prometheus_text(const Snapshot& s) {
  Writer w;
  actor_series(w, "tact_actor_", s.classes);
  if (!s.named_actors.empty()) actor_series(w, "tact_named_actor_", s.named_actors);
  w.family("tact_dead_letters_total", "counter", "Messages that reached a stopped actor.");
  for (const DeadLetterMetrics& d : s.dead_letters) {
    w.sample("tact_dead_letters_total",
             "class=\"" + escaped(d.target_class) + "\",message=\"" + escaped(d.message_type) + "\"",
             number(d.count));
  }
  per_worker(w, "tact_worker_busy_seconds_total", "counter", "Time taking and running tasks.", s,
             &WorkerMetrics::busy_ns, 1e-9);
  per_worker(w, "tact_worker_spinning_seconds_total", "counter", "Time looking for work before sleeping.", s,
             &WorkerMetrics::spinning_ns, 1e-9);
  per_worker(w, "tact_worker_parked_seconds_total", "counter", "Time asleep.", s, &WorkerMetrics::parked_ns,
             1e-9);
  per_worker(w, "tact_worker_turns_total", "counter", "Actor turns run.", s, &WorkerMetrics::turns);
  per_worker(w, "tact_worker_steals_total", "counter", "Tasks stolen from other workers.", s,
             &WorkerMetrics::steals);
  per_worker(w, "tact_worker_injector_takes_total", "counter", "Tasks taken from the global queue.", s,
             &WorkerMetrics::injector_takes);
  per_worker(w, "tact_worker_kept_takes_total", "counter", "Tasks taken from the kept queue.", s,
             &WorkerMetrics::kept_takes);
  per_worker(w, "tact_worker_pipelines_shared_total", "counter",
             "Consumers, with their pipelines, offered to an idle worker.", s, &WorkerMetrics::pipelines_shared);
  w.family("tact_slow_handlers_total", "counter", "Handlers reported running longer than Config::slow_handler.");
  w.sample("tact_slow_handlers_total", "", number(s.slow_handlers));
  w.family("tact_metrics_sample_period", "gauge", "One message in this many is timed (0: metrics off).");
  w.sample("tact_metrics_sample_period", "", number(std::uint64_t{s.sample_period}));
  return w.take();
}

std::string prometheus_text(const Runtime& rt) { return prometheus_text(rt.metrics()); }

}  // namespace tact::metrics
