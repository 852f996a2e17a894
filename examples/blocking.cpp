// Blocking work without stalling the workers (docs/blocking.md): ctx.blocking
// for one call now and then, spawn_detached for an actor that always blocks.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <tact/tact.hpp>

using namespace std::chrono_literals;

// Stands for a synchronous client library: every call blocks.
std::string slow_lookup(int id) {
  std::this_thread::sleep_for(20ms);
  return "row " + std::to_string(id);
}

struct Load {
  int id;
};

// Stays on the workers; the one blocking call goes to the blocking pool.
class Store {
 public:
  tact::Task<std::string> handle(Load q, tact::Context<Store>& ctx) {
    // Captures copies only: f runs on another thread.
    co_return co_await ctx.blocking([id = q.id] { return slow_lookup(id); });
  }
};

// Blocks in every handler: a thread of its own.
class LegacyClient {
 public:
  std::string handle(Load q) { return slow_lookup(q.id); }
};

struct Ping {};
struct Pinger {
  int handle(Ping) { return 1; }
};

int main() {
  tact::Config config;
  config.workers = 1;  // one worker: a blocking handler on it would stop everything
  tact::Runtime rt(config);
  auto store = rt.spawn<Store>();
  auto legacy = rt.spawn_detached<LegacyClient>();
  auto pinger = rt.spawn<Pinger>();

  auto a = store.ask(Load{1});
  auto b = legacy.ask(Load{2});
  // Meanwhile the worker is free: a thousand pings while both lookups block.
  int pings = 0;
  for (int i = 0; i < 1000; ++i) pings += pinger.ask(Ping{}).get();
  const std::string ra = a.get();
  const std::string rb = b.get();
  std::printf("%s, %s, %d pings meanwhile\n", ra.c_str(), rb.c_str(), pings);
  rt.shutdown();
  return (ra == "row 1" && rb == "row 2" && pings == 1000) ? 0 : 1;
}
