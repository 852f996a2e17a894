// ask_ext: a plain OS thread, not part of the runtime (here: main), asks an
// actor 200,000 times, one blocking ask at a time: the embedded-service case of
// a network thread querying an actor. Figures: p50_ns, p99_ns, p999_ns of one ask.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "ask_ext";

struct Query {
  std::int64_t n;
};
struct Handled {};

class Service {
 public:
  std::int64_t handle(Query q) {
    ++handled_;
    return q.n + 1;
  }
  std::int64_t handle(Handled) const { return handled_; }

 private:
  std::int64_t handled_ = 0;
};

}  // namespace

void run_ask_ext(const Options& opts) {
  const std::int64_t asks = scaled(200'000, opts);
  const std::int64_t warmup = std::min<std::int64_t>(asks / 100, 1'000);  // not measured
  tact::Runtime rt(runtime_config(opts));
  auto service = rt.spawn<Service>();
  const auto until = deadline(opts);

  std::vector<std::int64_t> latencies_ns;
  latencies_ns.reserve(static_cast<std::size_t>(asks));
  for (std::int64_t i = -warmup; i < asks; ++i) {
    const auto t0 = Clock::now();
    const std::int64_t answer = service.ask(Query{i}).get();
    const auto t1 = Clock::now();
    if (answer != i + 1) {
      fail(kName, "Query(" + std::to_string(i) + ") answered " + std::to_string(answer));
    }
    if (i >= 0) {
      latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    }
    if ((i & 1023) == 0 && Clock::now() > until) fail(kName, "did not finish in time");
  }
  auto handled = service.ask(Handled{});
  const std::int64_t count = wait_for(handled, until, kName, "the handled count");
  rt.shutdown();

  check_eq(count, warmup + asks, kName, "queries the actor handled");
  check_eq(static_cast<std::int64_t>(latencies_ns.size()), asks, kName, "latency samples");
  report_latency_percentiles(kName, latencies_ns);
}

}  // namespace workloads
