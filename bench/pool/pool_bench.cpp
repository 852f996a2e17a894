// tact-pool-bench: what a tact::Pool buys (docs/performance.md, "Pools").
//
//   tact-pool-bench [--workers 2] [--messages 20000] [--window 32] [--slow-us 100] [--rounds 5]
//
// A plain thread asks M messages through the pool, keeping W in flight.
// 1. scaling: a handler that burns 10 us of CPU, a pool of 1 member and of 4
//    (round-robin); throughput ratio 4-member / 1-member.
// 2. one slow member: 4 members, member 0's handler burns --slow-us (100 us,
//    10x the others); throughput, round-robin vs least-loaded, and the share
//    of the messages the slow member got.
// Rounds are interleaved (a, b, a, b, ...); min / median / max are printed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <tact/tact.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Work {};
struct Count {};

void burn(std::chrono::microseconds d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
  }
}

class Member {
 public:
  explicit Member(std::chrono::microseconds cost) : cost_(cost) {}
  void handle(Work) {
    burn(cost_);
    ++handled_;
  }
  long handle(Count) const { return handled_; }

 private:
  std::chrono::microseconds cost_;
  long handled_ = 0;
};

struct Args {
  std::size_t workers = 2;
  long messages = 20000;
  long window = 32;
  long slow_us = 100;
  int rounds = 5;
};

struct Outcome {
  double seconds;
  double slow_share;  // percent of the messages member 0 (the slow one, if any) handled
};

// Seconds to have `messages` handled, the sender keeping `window` asks in
// flight (a closed loop, as clients of a service do): a routing rule that
// avoids a slow member shows in the throughput; a burst sent all at once would
// leave every member a queue of the same length whatever the rule.
Outcome run(const Args& args, std::size_t size, tact::Routing routing, bool one_slow) {
  tact::Config config;
  config.workers = args.workers;
  tact::Runtime rt(config);
  int next = 0;
  const long slow_us = args.slow_us;
  tact::Pool<Member> pool(rt, {.size = size, .routing = routing}, [&next, one_slow, slow_us] {
    const bool slow = one_slow && next++ == 0;
    return Member(std::chrono::microseconds(slow ? slow_us : 10));
  });
  std::atomic<long> in_flight{0};
  const auto start = Clock::now();
  for (long i = 0; i < args.messages; ++i) {
    while (in_flight.load(std::memory_order_acquire) >= args.window) std::this_thread::yield();
    in_flight.fetch_add(1, std::memory_order_relaxed);
    pool.ask(Work{}).then([&in_flight](tact::Outcome<void>) { in_flight.fetch_sub(1, std::memory_order_release); });
  }
  while (in_flight.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const long first = pool.members()[0].ask(Count{}).get();
  return {seconds, 100.0 * static_cast<double>(first) / static_cast<double>(args.messages)};
}

struct Series {
  std::vector<double> values;
  double min() const { return *std::min_element(values.begin(), values.end()); }
  double max() const { return *std::max_element(values.begin(), values.end()); }
  double median() const {
    std::vector<double> v = values;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
};

void print(const char* what, const Series& s, const char* unit) {
  std::printf("%-36s min %10.1f  median %10.1f  max %10.1f %s\n", what, s.min(), s.median(), s.max(), unit);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--workers") == 0) {
      args.workers = std::strtoul(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--messages") == 0) {
      args.messages = std::strtol(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--slow-us") == 0) {
      args.slow_us = std::strtol(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--window") == 0) {
      args.window = std::strtol(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--rounds") == 0) {
      args.rounds = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--workers N] [--messages M] [--window W] [--slow-us U] [--rounds R]\n", argv[0]);
      return 2;
    }
  }
  std::printf("tact-pool-bench: %zu workers, %ld messages, %ld asks in flight, %d rounds\n", args.workers,
              args.messages, args.window, args.rounds);
  const auto rate = [&](const Outcome& o) { return static_cast<double>(args.messages) / o.seconds; };

  Series one, four, ratio;
  for (int r = 0; r < args.rounds; ++r) {
    const double a = rate(run(args, 1, tact::Routing::round_robin, false));
    const double b = rate(run(args, 4, tact::Routing::round_robin, false));
    one.values.push_back(a);
    four.values.push_back(b);
    ratio.values.push_back(100.0 * b / a);
  }
  std::printf("-- scaling: 10 us handler, round-robin\n");
  print("1 member (msg/s)", one, "");
  print("4 members (msg/s)", four, "");
  print("4 / 1 (percent)", ratio, "%");

  Series rr, ll, gain, rr_share, ll_share;
  for (int r = 0; r < args.rounds; ++r) {
    const Outcome a = run(args, 4, tact::Routing::round_robin, true);
    const Outcome b = run(args, 4, tact::Routing::least_loaded, true);
    rr.values.push_back(rate(a));
    ll.values.push_back(rate(b));
    gain.values.push_back(100.0 * rate(b) / rate(a));
    rr_share.values.push_back(a.slow_share);
    ll_share.values.push_back(b.slow_share);
  }
  std::printf("-- one slow member (%ld us, the others 10 us), 4 members\n", args.slow_us);
  print("round-robin (msg/s)", rr, "");
  print("least-loaded (msg/s)", ll, "");
  print("least-loaded / round-robin", gain, "%");
  print("slow member's share, round-robin", rr_share, "%");
  print("slow member's share, least-loaded", ll_share, "%");
  return 0;
}
