// ask_ext on CAF: a plain OS thread, not one of CAF's workers (here: main), asks
// an actor 200,000 times, one blocking ask at a time, the CAF way: a
// scoped_actor (a blocking actor living on the calling thread) does
// request(service, timeout, query, i).receive(...). Figures: p50_ns, p99_ns,
// p999_ns of one ask.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "ask_ext";

using query_atom = caf::atom_constant<caf::atom("query")>;
using handled_atom = caf::atom_constant<caf::atom("handled")>;

struct ServiceState {
  std::int64_t handled = 0;
};

caf::behavior service(caf::stateful_actor<ServiceState>* self) {
  return {
      [self](query_atom, std::int64_t n) {
        ++self->state.handled;
        return n + 1;
      },
      [self](handled_atom) { return self->state.handled; },
  };
}


}  // namespace

void run_ask_ext(const Options& opts) {
  const std::int64_t asks = scaled(200'000, opts);
  const std::int64_t warmup = std::min<std::int64_t>(asks / 100, 1'000);  // not measured
  caf::actor_system_config cfg;
  configure(cfg, opts);
  caf::actor_system sys{cfg};
  auto svc = sys.spawn(service);
  caf::scoped_actor self{sys};
  const auto until = Clock::now() + timeout(opts);

  std::vector<std::int64_t> latencies_ns;
  latencies_ns.reserve(static_cast<std::size_t>(asks));
  for (std::int64_t i = -warmup; i < asks; ++i) {
    std::int64_t answer = 0;
    const auto t0 = Clock::now();
    self->request(svc, timeout(opts), query_atom::value, i)
        .receive([&](std::int64_t r) { answer = r; },
                 [&](caf::error& err) { fail_with(kName, "Query(" + std::to_string(i) + ")", err); });
    const auto t1 = Clock::now();
    if (answer != i + 1) {
      fail(kName, "Query(" + std::to_string(i) + ") answered " + std::to_string(answer));
    }
    if (i >= 0) {
      latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    }
    if ((i & 1023) == 0 && Clock::now() > until) fail(kName, "did not finish in time");
  }
  std::int64_t count = -1;
  self->request(svc, timeout(opts), handled_atom::value)
      .receive([&](std::int64_t c) { count = c; },
               [&](caf::error& err) { fail_with(kName, "the handled count", err); });
  self->send_exit(svc, caf::exit_reason::user_shutdown);

  check_eq(count, warmup + asks, kName, "queries the actor handled");
  check_eq(static_cast<std::int64_t>(latencies_ns.size()), asks, kName, "latency samples");
  report_latency_percentiles(kName, latencies_ns);
}

}  // namespace workloads
