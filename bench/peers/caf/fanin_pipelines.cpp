// Fan-in pipelines on CAF (fanin_pipelines.hpp): the counter and producer actors,
// and the run that spawns, times and verifies any number of independent fan-ins.
//
// A producer sends in chunks, as tact's does: it handles (produce, n) by sending
// one chunk, then sending itself (produce, n - chunk). So it never holds a worker
// for its whole share; its counter and the other producers get their turns in
// between. CAF has no back-pressure on plain sends: a counter's mailbox grows
// when its producers outrun it.
#include "harness/fanin_pipelines.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::int64_t kChunk = 1'000;

using inc_atom = caf::atom_constant<caf::atom("inc")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using reached_atom = caf::atom_constant<caf::atom("reached")>;
using produce_atom = caf::atom_constant<caf::atom("produce")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;

struct CounterState {
  std::int64_t count = 0;
};

// Tells report_to (reached, pipeline, count) once it has counted `target`.
caf::behavior counter(caf::stateful_actor<CounterState>* self, std::int64_t pipeline,
                      std::int64_t target, caf::actor report_to) {
  return {
      [self, pipeline, target, report_to](inc_atom, std::int64_t amount) {
        self->state.count += amount;
        if (self->state.count == target) {
          self->send(report_to, reached_atom::value, pipeline, self->state.count);
        }
      },
      [self](count_atom) { return self->state.count; },
  };
}

struct ProducerState {
  std::int64_t sent = 0;
};

// Tells report_to (finished, pipeline, producer, sent) after its last chunk.
caf::behavior producer(caf::stateful_actor<ProducerState>* self, std::int64_t pipeline,
                       std::int64_t index, caf::actor counter, caf::actor report_to) {
  return {[self, pipeline, index, counter, report_to](produce_atom, std::int64_t remaining) {
    const std::int64_t chunk = std::min(remaining, kChunk);
    for (std::int64_t i = 0; i < chunk; ++i) {
      self->send(counter, inc_atom::value, std::int64_t{1});
      ++self->state.sent;
    }
    if (remaining > chunk) {
      self->send(self, produce_atom::value, remaining - chunk);
    } else {
      self->send(report_to, finished_atom::value, pipeline, index, self->state.sent);
    }
  }};
}

// One fan-in: its counter and producers.
struct Pipeline {
  caf::actor counter;
  std::vector<caf::actor> producers;
};

std::string pipeline_name(std::size_t i, std::size_t count) {
  return "pipeline " + std::to_string(i + 1) + " of " + std::to_string(count);
}

}  // namespace

void run_fanin_pipelines(const Options& opts, const FanInPipelines& shape) {
  const std::int64_t share = shape.per_producer * shape.producers;  // each counter's
  const std::int64_t total = share * shape.pipelines;
  const auto n = static_cast<std::size_t>(shape.pipelines);
  caf::actor_system_config cfg;
  configure(cfg, opts);
  caf::actor_system sys{cfg};
  caf::scoped_actor main_actor{sys};

  std::vector<Pipeline> pipelines(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::int64_t>(i);
    pipelines[i].counter = sys.spawn(counter, id, share, caf::actor{main_actor});
    for (int k = 0; k < shape.producers; ++k) {
      pipelines[i].producers.push_back(
          sys.spawn(producer, id, std::int64_t{k}, pipelines[i].counter, caf::actor{main_actor}));
    }
  }
  // A counter missed the deadline: names every pipeline still short of its share.
  // Asks every counter first, then takes the answers (the requests share one 5 s
  // timeout: a count waits behind the incs queued before it).
  const auto stuck = [&] {
    using Answer =
        decltype(main_actor->request(caf::actor{}, std::chrono::seconds(5), count_atom::value));
    std::vector<Answer> answers;
    for (auto& p : pipelines) {
      answers.push_back(main_actor->request(p.counter, std::chrono::seconds(5), count_atom::value));
    }
    const std::string full = std::to_string(share);
    std::string what;
    for (std::size_t i = 0; i < n; ++i) {
      std::string count = "? (no answer)";
      answers[i].receive([&](std::int64_t v) { count = std::to_string(v); },
                         [&](caf::error& err) { count = "? (" + caf::to_string(err) + ")"; });
      if (count == full) continue;
      if (!what.empty()) what += "; ";
      what += pipeline_name(i, n) + "'s counter is stuck at " + count + " of " + full;
    }
    if (what.empty()) what = "every counter reached its share, but a report was lost";
    fail(shape.name, "timed out: " + what);
  };
  // --timeout bounds the whole wait, not each receive: the reports come one by one.
  const auto until = Clock::now() + timeout(opts);
  const auto time_left = [&] {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    return std::max(left, std::chrono::milliseconds(1));
  };

  // One (reached, pipeline, count) per counter and one (finished, pipeline,
  // producer, sent) per producer, in whatever order they come; the time is the
  // last counter's.
  std::vector<std::int64_t> counts(n, -1);
  std::vector<std::vector<std::int64_t>> sent(
      n, std::vector<std::int64_t>(static_cast<std::size_t>(shape.producers), -1));
  double seconds = 0;
  const Stopwatch clock;
  for (auto& p : pipelines) {
    for (auto& prod : p.producers) main_actor->send(prod, produce_atom::value, shape.per_producer);
  }
  const std::size_t replies = n * (static_cast<std::size_t>(shape.producers) + 1);
  for (std::size_t pending = replies; pending > 0; --pending) {
    main_actor->receive(
        [&](reached_atom, std::int64_t pipeline, std::int64_t c) {
          seconds = clock.seconds();
          counts.at(static_cast<std::size_t>(pipeline)) = c;
        },
        [&](finished_atom, std::int64_t pipeline, std::int64_t index, std::int64_t s) {
          sent.at(static_cast<std::size_t>(pipeline)).at(static_cast<std::size_t>(index)) = s;
        },
        caf::after(time_left()) >> stuck);
  }

  // Every counter reached exactly its share, every producer sent all of its share
  // (-1: its report never came), and nothing more reached a counter afterwards.
  for (std::size_t i = 0; i < n; ++i) {
    const std::string name = pipeline_name(i, n);
    check_eq(counts[i], share, shape.name, name + ": count when its counter reached its share");
    for (std::size_t k = 0; k < sent[i].size(); ++k) {
      check_eq(sent[i][k], shape.per_producer, shape.name,
               name + ", producer " + std::to_string(k + 1) + ": (inc, 1) messages it sent");
    }
    std::int64_t settled = -1;
    main_actor->request(pipelines[i].counter, timeout(opts), count_atom::value)
        .receive([&](std::int64_t c) { settled = c; },
                 [&](caf::error& err) { fail_with(shape.name, name + "'s final count", err); });
    check_eq(settled, share, shape.name, name + ": count after its producers finished");
  }
  const Rss rss = read_rss();
  for (auto& p : pipelines) {
    for (auto& prod : p.producers) main_actor->send_exit(prod, caf::exit_reason::user_shutdown);
    main_actor->send_exit(p.counter, caf::exit_reason::user_shutdown);
  }

  result(shape.name, "rate", static_cast<double>(total) / seconds, "msgs/s");
  result(shape.name, "peak_rss_mb", static_cast<double>(rss.peak_kb) / 1024.0, "MB");
}

}  // namespace workloads
