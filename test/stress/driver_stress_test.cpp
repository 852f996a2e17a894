// Drivers under load (STYLE.md §3): host threads with a tact::Driver and the
// workers share actors. Each host sends asks (with then() continuations) and
// tells, runs run_ready() with random bounds, sometimes not at all for a while,
// sometimes blocks on a get(); actors forward to each other. Every ask answered
// exactly once, every tell handled exactly once, whatever ran where.
// TACT_STRESS_SEED=<n> replays the same choices (not the interleaving).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <tact/tact.hpp>

#include "support/concurrency.hpp"
#include "support/random.hpp"
#include "support/watchdog.hpp"

namespace {

using tact::test::Atomic;
using tact::test::Clock;
using tact::test::Thread;

using namespace std::chrono_literals;
using tact::test::scaled;
using tact::test::Watchdog;

std::uint64_t seed() {
  static const std::uint64_t value = tact::test::stress_seed(0xD1'7E75ull);
  return value;
}

struct Add {
  std::int64_t x;
};
struct Bump {};
struct Total {};

// Answers x+1; every third ask is forwarded to the next actor (when it has one),
// so chains cross drivers and workers.
class Adder {
 public:
  explicit Adder(Atomic<std::int64_t>* bumps) : bumps_(bumps) {}
  tact::Task<std::int64_t> handle(Add a) {
    if (next_ && a.x % 3 == 0) co_return co_await next_.ask(Add{a.x + 1});
    co_return a.x + 1;
  }
  void handle(Bump) {
    ++bumps_seen_;
    bumps_->fetch_add(1, std::memory_order_relaxed);
  }
  std::int64_t handle(Total) const { return bumps_seen_; }
  void handle(tact::ActorRef<Adder> next) { next_ = std::move(next); }

 private:
  Atomic<std::int64_t>* bumps_;
  tact::ActorRef<Adder> next_;
  std::int64_t bumps_seen_ = 0;
};

// Forwarded once at most: x+1 is not divisible by 3 when x is. The last actor
// has no next and answers at once.
std::int64_t expected_answer(std::int64_t x, bool has_next) {
  return x % 3 == 0 && has_next ? x + 2 : x + 1;
}

TEST(DriverStress, HostsAndWorkersShareActorsAndLoseNothing) {
  constexpr int kHosts = 2;
  constexpr int kActors = 8;
  const std::int64_t asks_per_host = scaled(20'000);
  const std::int64_t bumps_per_host = scaled(20'000);
  Atomic<std::int64_t> answered{0};
  Atomic<std::int64_t> wrong{0};
  Atomic<std::int64_t> bumps{0};
  Watchdog watchdog("driver stress", 150s, [&] {
    return "seed " + std::to_string(seed()) + ": answered " + std::to_string(answered.load()) +
           ", bumps " + std::to_string(bumps.load());
  });

  tact::Config config;
  config.workers = 2;
  config.spin_before_park = std::chrono::microseconds(0);  // workers sleep often: wake-ups matter
  tact::Runtime rt(config);
  std::vector<tact::ActorRef<Adder>> actors;
  for (int i = 0; i < kActors; ++i) actors.push_back(rt.spawn<Adder>(&bumps));
  for (std::size_t i = 0; i + 1 < actors.size(); ++i) actors[i].tell(actors[i + 1]);

  std::vector<Thread> hosts;
  for (int h = 0; h < kHosts; ++h) {
    hosts.emplace_back([&, h] {
      tact::test::Rng rng(seed(), static_cast<std::uint64_t>(h));
      tact::Driver driver(rt);
      std::int64_t asks = 0;
      std::int64_t bumps_sent = 0;
      while (asks < asks_per_host || bumps_sent < bumps_per_host) {
        const std::size_t index = static_cast<std::size_t>(rng.below(kActors));
        const auto& target = actors[index];
        const bool has_next = index + 1 < kActors;
        const std::uint64_t choice = rng.below(100);
        if (choice < 45 && asks < asks_per_host) {
          const std::int64_t x = static_cast<std::int64_t>(rng.below(1'000'000));
          target.ask(Add{x}).then([&, x, has_next](tact::Outcome<std::int64_t> o) {
            if (!o.has_value() || o.value() != expected_answer(x, has_next)) wrong.fetch_add(1);
            answered.fetch_add(1, std::memory_order_relaxed);
          });
          ++asks;
        } else if (choice < 90 && bumps_sent < bumps_per_host) {
          target.tell(Bump{});
          ++bumps_sent;
        } else if (choice < 92 && asks < asks_per_host) {
          const std::int64_t x = static_cast<std::int64_t>(rng.below(1'000'000));
          if (target.ask(Add{x}).get_for(30s) != expected_answer(x, has_next)) wrong.fetch_add(1);
          answered.fetch_add(1, std::memory_order_relaxed);
          ++asks;
        } else if (choice < 99) {
          driver.run_ready(1 + rng.below(8));
        } else {
          driver.run_ready();
          tact::test::sleep_for(std::chrono::microseconds(rng.below(200)));
        }
      }
      // Leaving with work maybe unrun: ~Driver hands it to the workers.
    });
  }
  for (auto& t : hosts) t.join();

  const std::int64_t total_asks = asks_per_host * kHosts;
  const auto deadline = Clock::now() + 60s;
  while (answered.load() < total_asks && Clock::now() < deadline) {
    tact::test::sleep_for(1ms);
  }
  EXPECT_EQ(answered.load(), total_asks) << "seed " << seed();
  EXPECT_EQ(wrong.load(), 0) << "seed " << seed();
  std::int64_t seen = 0;
  for (auto& a : actors) seen += a.ask(Total{}).get_for(30s);
  EXPECT_EQ(seen, bumps_per_host * kHosts) << "seed " << seed();
  EXPECT_EQ(bumps.load(), bumps_per_host * kHosts);
  EXPECT_EQ(rt.stats().dead_letters, 0u);
}

}  // namespace
