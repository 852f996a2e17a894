// pingpong: actor A asks actor B Ping(i) and awaits the answer (a coroutine
// handler: `co_await ponger.ask(...)`, as the tokio pattern awaits its oneshot);
// B replies i+1; A checks it and asks the next. 1,000,000 round trips.
// Figures: rtt_ns, rate.
//
// While A awaits, A's actor is parked (it handles nothing else) and its worker
// runs B; B's reply wakes A, which resumes where it awaited.
#include <cstdint>
#include <string>
#include <utility>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "pingpong";

struct Ping {
  std::int64_t n;
};

class Ponger {
 public:
  std::int64_t handle(Ping ping) { return ping.n + 1; }
};

struct Start {
  tact::ActorRef<Ponger> ponger;
  std::int64_t rounds;
};

class Pinger {
 public:
  // Answers with the final counter; a wrong answer fails the ask.
  tact::Task<std::int64_t> handle(Start start, tact::Context<Pinger>&) {
    std::int64_t counter = 0;  // the last answer: after k round trips, k
    while (counter < start.rounds) {
      const std::int64_t n = co_await start.ponger.ask(Ping{counter});
      if (n != counter + 1) {
        throw tact::Error("Ping(" + std::to_string(counter) + ") answered " + std::to_string(n));
      }
      counter = n;
    }
    co_return counter;
  }
};

}  // namespace

void run_pingpong(const Options& opts) {
  const std::int64_t rounds = scaled(1'000'000, opts);
  tact::Runtime rt(runtime_config(opts));
  auto ponger = rt.spawn<Ponger>();
  auto pinger = rt.spawn<Pinger>();

  const Stopwatch clock;
  auto finished = pinger.ask(Start{ponger, rounds});
  const std::int64_t counter = wait_for(finished, deadline(opts), kName, "the last round trip");
  const double ns = clock.ns();
  rt.shutdown();

  check_eq(counter, rounds, kName, "final counter (one increment per round trip)");
  result(kName, "rtt_ns", ns / static_cast<double>(rounds), "ns");
  result(kName, "rate", static_cast<double>(rounds) / (ns / 1e9), "roundtrips/s");
}

}  // namespace workloads
