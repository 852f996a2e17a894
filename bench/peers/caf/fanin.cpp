// fanin on CAF: 4 producer actors each send 2,500,000 (inc, 1) to one counter
// actor (plain asynchronous sends, no replies); done when the counter has counted
// 10,000,000. Figures: rate (msgs/s), peak_rss_mb (VmHWM of the process: run it
// in a fresh one; the counter's mailbox grows when the producers outrun it, CAF
// has no back-pressure on plain sends).
//
// A producer sends in chunks, as tact's does: it handles (produce, n) by sending
// one chunk, then sending itself (produce, n - chunk). So it never holds a worker
// for millions of sends; the counter and the other producers get their turns in
// between.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "fanin";
constexpr int kProducers = 4;
constexpr std::int64_t kChunk = 1'000;

using inc_atom = caf::atom_constant<caf::atom("inc")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using reached_atom = caf::atom_constant<caf::atom("reached")>;
using produce_atom = caf::atom_constant<caf::atom("produce")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;

struct CounterState {
  std::int64_t count = 0;
};

caf::behavior counter(caf::stateful_actor<CounterState>* self, std::int64_t target,
                      caf::actor report_to) {
  return {
      [self, target, report_to](inc_atom, std::int64_t amount) {
        self->state.count += amount;
        if (self->state.count == target) self->send(report_to, reached_atom::value, self->state.count);
      },
      [self](count_atom) { return self->state.count; },
  };
}

struct ProducerState {
  std::int64_t sent = 0;
};

caf::behavior producer(caf::stateful_actor<ProducerState>* self, caf::actor counter,
                       caf::actor report_to) {
  return {[self, counter, report_to](produce_atom, std::int64_t remaining) {
    const std::int64_t chunk = std::min(remaining, kChunk);
    for (std::int64_t i = 0; i < chunk; ++i) {
      self->send(counter, inc_atom::value, std::int64_t{1});
      ++self->state.sent;
    }
    if (remaining > chunk) {
      self->send(self, produce_atom::value, remaining - chunk);
    } else {
      self->send(report_to, finished_atom::value, self->state.sent);
    }
  }};
}

}  // namespace

void run_fanin(const Options& opts) {
  const std::int64_t per_producer = scaled(2'500'000, opts);
  const std::int64_t total = per_producer * kProducers;
  caf::actor_system_config cfg;
  configure(cfg, opts);
  caf::actor_system sys{cfg};
  caf::scoped_actor main_actor{sys};

  auto count_actor = sys.spawn(counter, total, caf::actor{main_actor});
  std::vector<caf::actor> producers;
  for (int i = 0; i < kProducers; ++i) {
    producers.push_back(sys.spawn(producer, count_actor, caf::actor{main_actor}));
  }
  const auto stuck = [&] {
    std::int64_t now = -1;
    main_actor->request(count_actor, std::chrono::seconds(5), count_atom::value)
        .receive([&](std::int64_t c) { now = c; }, [](caf::error&) {});
    fail(kName, "timed out: the counter is stuck at " + std::to_string(now) + " of " +
                    std::to_string(total));
  };

  // One (reached, count) from the counter and one (finished, sent) per producer,
  // in whatever order they come.
  std::int64_t count = -1;
  std::int64_t sent = 0;
  double seconds = 0;
  const Stopwatch clock;
  for (auto& p : producers) main_actor->send(p, produce_atom::value, per_producer);
  for (int pending = kProducers + 1; pending > 0; --pending) {
    main_actor->receive(
        [&](reached_atom, std::int64_t c) {
          seconds = clock.seconds();
          count = c;
        },
        [&](finished_atom, std::int64_t s) { sent += s; },
        caf::after(timeout(opts)) >> stuck);
  }

  // Nothing more reached the counter after every producer finished.
  std::int64_t settled = -1;
  main_actor->request(count_actor, timeout(opts), count_atom::value)
      .receive([&](std::int64_t c) { settled = c; },
               [&](caf::error& err) { fail_with(kName, "the final count", err); });
  const Rss rss = read_rss();
  for (auto& p : producers) main_actor->send_exit(p, caf::exit_reason::user_shutdown);
  main_actor->send_exit(count_actor, caf::exit_reason::user_shutdown);

  check_eq(count, total, kName, "count when the counter reached its target");
  check_eq(sent, total, kName, "inc messages the producers sent");
  check_eq(settled, total, kName, "count after every producer finished");
  result(kName, "rate", static_cast<double>(total) / seconds, "msgs/s");
  result(kName, "peak_rss_mb", static_cast<double>(rss.peak_kb) / 1024.0, "MB");
}

}  // namespace workloads
