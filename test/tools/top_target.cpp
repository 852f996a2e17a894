// A running runtime for tact-top's test: three actor classes, kept busy at very
// different rates, and one metered actor (shard-7, of top.medium), behind a
// /metrics endpoint. Prints "port N" and runs until
// its stdin closes (or 120 s pass).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <tact/metrics_http.hpp>
#include <tact/tact.hpp>

namespace {
struct Work {
  int n;
};
struct Busy {
  static constexpr std::string_view name = "top.busy";
  int handle(Work w) { return w.n; }
};
struct Medium {
  static constexpr std::string_view name = "top.medium";
  int handle(Work w) { return w.n; }
};
struct Quiet {
  static constexpr std::string_view name = "top.quiet";
  int handle(Work w) { return w.n; }
};
}  // namespace

int main() {
  tact::Config config;
  config.workers = 2;
  tact::Runtime rt(config);
  auto busy = rt.spawn<Busy>();
  auto medium = rt.spawn<Medium>();
  auto quiet = rt.spawn<Quiet>();
  auto shard = rt.spawn_metered<Medium>("shard-7");
  tact::metrics::HttpEndpoint endpoint(rt);
  std::printf("port %u\n", static_cast<unsigned>(endpoint.port()));
  std::fflush(stdout);
  std::atomic<bool> done{false};
  std::thread stdin_watch([&] {
    while (std::fgetc(stdin) != EOF) {
    }
    done = true;
  });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (int i = 0; !done && std::chrono::steady_clock::now() < until; ++i) {
    for (int k = 0; k < 100; ++k) busy.tell(Work{k});  // ~100:10:1, and shard-7 30
    for (int k = 0; k < 30; ++k) shard.tell(Work{k});
    if (i % 10 == 0) medium.tell(Work{i});
    if (i % 100 == 0) quiet.tell(Work{i});
    busy.ask(Work{i}).get();  // paces the loop
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  done = true;
  stdin_watch.detach();
  return 0;
}
