// tact-pool-bench: what a tact::Pool buys (docs/performance.md, "Pools").
//
//   tact-pool-bench [--workers 2] [--messages 20000] [--window 32] [--rounds 5]
//
// A plain thread asks M messages through the pool, keeping W in flight.
// 1. scaling: a handler that burns 10 us of CPU, a pool of 1 member and of 4
//    (round-robin); throughput ratio 4-member / 1-member.
// 2. one slow member: 4 members, member 0's handler burns 10x as long (100 us);
//    throughput, round-robin vs least-loaded.
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

void burn(std::chrono::microseconds d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
  }
}

class Member {
 public:
  explicit Member(std::chrono::microseconds cost) : cost_(cost) {}
  void handle(Work) { burn(cost_); }

 private:
  std::chrono::microseconds cost_;
};

struct Args {
  std::size_t workers = 2;
  long messages = 20000;
  long window = 32;
  int rounds = 5;
};

// Seconds to have `messages` handled, the sender keeping `window` asks in
// flight (a closed loop, as clients of a service do): a routing rule that
// avoids a slow member shows in the throughput; a burst sent all at once would
// leave every member a queue of the same length whatever the rule.
double run(const Args& args, std::size_t size, tact::Routing routing, bool one_slow) {
  tact::Config config;
  config.workers = args.workers;
  tact::Runtime rt(config);
  int next = 0;
  tact::Pool<Member> pool(rt, {.size = size, .routing = routing}, [&next, one_slow] {
    const bool slow = one_slow && next++ == 0;
    return Member(std::chrono::microseconds(slow ? 100 : 10));
  });
  std::atomic<long> in_flight{0};
  const auto start = Clock::now();
  for (long i = 0; i < args.messages; ++i) {
    while (in_flight.load(std::memory_order_acquire) >= args.window) std::this_thread::yield();
    in_flight.fetch_add(1, std::memory_order_relaxed);
    pool.ask(Work{}).then([&in_flight](tact::Outcome<void>) { in_flight.fetch_sub(1, std::memory_order_release); });
  }
  while (in_flight.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  return std::chrono::duration<double>(Clock::now() - start).count();
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
  std::printf("%-34s min %10.0f  median %10.0f  max %10.0f %s\n", what, s.min(), s.median(), s.max(), unit);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--workers") == 0) {
      args.workers = std::strtoul(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--messages") == 0) {
      args.messages = std::strtol(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--window") == 0) {
      args.window = std::strtol(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--rounds") == 0) {
      args.rounds = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--workers N] [--messages M] [--window W] [--rounds R]\n", argv[0]);
      return 2;
    }
  }
  std::printf("tact-pool-bench: %zu workers, %ld messages, %ld asks in flight, %d rounds\n", args.workers,
              args.messages, args.window, args.rounds);
  const auto rate = [&](double seconds) { return static_cast<double>(args.messages) / seconds; };

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

  Series rr, ll, gain;
  for (int r = 0; r < args.rounds; ++r) {
    const double a = rate(run(args, 4, tact::Routing::round_robin, true));
    const double b = rate(run(args, 4, tact::Routing::least_loaded, true));
    rr.values.push_back(a);
    ll.values.push_back(b);
    gain.values.push_back(100.0 * b / a);
  }
  std::printf("-- one slow member (100 us, the others 10 us), 4 members\n");
  print("round-robin (msg/s)", rr, "");
  print("least-loaded (msg/s)", ll, "");
  print("least-loaded / round-robin", gain, "%");
  return 0;
}
