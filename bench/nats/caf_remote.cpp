// caf-remote-bench: CAF 0.17's remote actors (caf::io, BASP over TCP) for
// tact-nats-bench's third column, two processes on loopback:
//   caf-remote-bench serve PORT                 publishes an actor on 127.0.0.1:PORT
//                                               (echoes a string; counts tells, answers count)
//   caf-remote-bench ask PORT N PAYLOAD_BYTES   N request(...).receive(...) round trips
//   caf-remote-bench tell PORT N PAYLOAD_BYTES  N anon_send, then a count request
// The clients print RESULT lines as tact-nats-bench does.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

namespace {

using count_atom = caf::atom_constant<caf::atom("count")>;
using tell_atom = caf::atom_constant<caf::atom("tell")>;
using Clock = std::chrono::steady_clock;

struct CountState {
  std::uint64_t count = 0;
};

caf::behavior peer(caf::stateful_actor<CountState>* self) {
  return {
      [](const std::string& payload) { return payload; },                // an ask: echoed
      [self](tell_atom, const std::string&) { ++self->state.count; },   // a tell: counted
      [self](count_atom) { return self->state.count; },
  };
}

double at(std::vector<double>& ns, double q) {
  return ns[std::min(ns.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ns.size())))];
}

long max_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int serve(caf::actor_system& system, std::uint16_t port) {
  auto actor = system.spawn(peer);
  auto published = system.middleman().publish(actor, port, "127.0.0.1");
  if (!published) {
    std::fprintf(stderr, "caf serve: %s\n", system.render(published.error()).c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

caf::actor connect(caf::actor_system& system, std::uint16_t port) {
  for (int i = 0; i < 200; ++i) {
    auto remote = system.middleman().remote_actor("127.0.0.1", port);
    if (remote) return *remote;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::fprintf(stderr, "caf: cannot reach 127.0.0.1:%u\n", port);
  std::exit(1);
}

int ask(caf::actor_system& system, std::uint16_t port, int n, std::size_t bytes) {
  caf::actor remote = connect(system, port);
  caf::scoped_actor self{system};
  const std::string payload(bytes, 'x');
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(n));
  bool failed = false;
  for (int i = 0; i < n + n / 10; ++i) {
    const auto start = Clock::now();
    self->request(remote, std::chrono::seconds(5), payload)
        .receive([&](const std::string& back) { failed |= back.size() != bytes; },
                 [&](caf::error&) { failed = true; });
    const auto took = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    if (i >= n / 10) ns.push_back(took);  // the first tenth warms up
  }
  if (failed) {
    std::fprintf(stderr, "caf ask: a request failed\n");
    return 1;
  }
  std::sort(ns.begin(), ns.end());
  std::printf("RESULT ask caf p50 value=%.1f unit=ns\n", at(ns, 0.50));
  std::printf("RESULT ask caf p99 value=%.1f unit=ns\n", at(ns, 0.99));
  std::printf("RESULT ask caf p999 value=%.1f unit=ns\n", at(ns, 0.999));
  return 0;
}

int tell(caf::actor_system& system, std::uint16_t port, int n, std::size_t bytes) {
  caf::actor remote = connect(system, port);
  caf::scoped_actor self{system};
  const std::string payload(bytes, 'x');
  std::uint64_t before = 0;
  self->request(remote, std::chrono::seconds(5), count_atom::value)
      .receive([&](std::uint64_t c) { before = c; }, [&](caf::error&) {});
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) caf::anon_send(remote, tell_atom::value, payload);
  // Every tell was handled once the count says so (CAF has no backpressure: the
  // sends above queue in this process until the middleman has written them).
  std::uint64_t seen = 0;
  while (seen < before + static_cast<std::uint64_t>(n)) {
    if (Clock::now() - start > std::chrono::seconds(120)) {
      std::fprintf(stderr, "caf tell: only %llu of %d arrived\n",
                   static_cast<unsigned long long>(seen - before), n);
      return 1;
    }
    self->request(remote, std::chrono::seconds(30), count_atom::value)
        .receive([&](std::uint64_t c) { seen = c; }, [&](caf::error&) {});
    if (seen < before + static_cast<std::uint64_t>(n)) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("RESULT tell caf value=%.1f unit=msgs/s\n", n / secs);
  std::printf("RESULT tell caf sender-rss value=%ld unit=KB\n", max_rss_kb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 2 ? argv[1] : "";
  if (!(mode == "serve" && argc == 3) && !((mode == "ask" || mode == "tell") && argc == 5)) {
    std::fprintf(stderr, "usage: caf-remote-bench serve PORT | ask|tell PORT N PAYLOAD_BYTES\n");
    return 2;
  }
  caf::actor_system_config config;
  config.load<caf::io::middleman>();
  caf::actor_system system{config};
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  if (mode == "serve") return serve(system, port);
  const int n = std::atoi(argv[3]);
  const auto bytes = static_cast<std::size_t>(std::atoi(argv[4]));
  return mode == "ask" ? ask(system, port, n, bytes) : tell(system, port, n, bytes);
}
