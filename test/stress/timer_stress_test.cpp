// Timers under concurrency, bounded and counted (STYLE.md practice 8):
//   - TimerService: threads scheduling and cancelling thousands of one-shot and
//     periodic timers at once (cancels from the scheduling thread, from another
//     thread, and racing the firing): every timer is disposed exactly once, a
//     one-shot fires at most once (never when its cancel returned true), and no
//     timer fires after its cancel() returned;
//   - the runtime: actors starting send_after/send_every timers to each other,
//     cancelling some, stopping at random, then shutdown with timers pending:
//     every message copy is destroyed (nothing leaks), shutdown completes.
// A test that would hang is failed by a Watchdog. TACT_STRESS_SEED=<n> replays
// the same choices (not the same interleaving).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <tact/tact.hpp>

#include "support/concurrency.hpp"
#include "support/random.hpp"
#include "support/watchdog.hpp"
#include "timer/timer_service.hpp"

namespace {

using tact::test::Atomic;
using tact::test::Clock;
using tact::test::Thread;

using namespace std::chrono_literals;
using tact::TimerHandle;
using tact::detail::TimerCallbacks;
using tact::detail::TimerService;
using tact::test::Rng;
using tact::test::scaled;
using tact::test::Watchdog;

constexpr auto kWatchdogLimit = std::chrono::seconds(150);

std::uint64_t seed() {
  static const std::uint64_t value = tact::test::stress_seed(0x71AE'5EEDull);
  return value;
}

Rng stream(std::uint64_t n) { return Rng(seed(), n); }

// ===== the service alone ===================================================================

struct Record {
  Atomic<int> fired{0};
  Atomic<int> disposed{0};
  Atomic<bool> cancel_returned{false};
  Atomic<int> fired_after_cancel{0};
  bool periodic = false;
  Atomic<bool> cancel_prevented{false};  // some cancel() returned true
  TimerHandle handle;

  static bool fire(void* ctx) noexcept {
    auto* r = static_cast<Record*>(ctx);
    // acquire: pairs with the release store after cancel() returned.
    if (r->cancel_returned.load(std::memory_order_acquire)) r->fired_after_cancel.fetch_add(1);
    r->fired.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  static void dispose(void* ctx) noexcept { static_cast<Record*>(ctx)->disposed.fetch_add(1); }
  static constexpr TimerCallbacks kCallbacks{&fire, &dispose};

  void cancel() {
    if (handle.cancel()) cancel_prevented = true;
    cancel_returned.store(true, std::memory_order_release);  // release: see fire()
  }
};

TEST(TimerStress, ConcurrentScheduleAndCancelDisposeEveryTimerOnce) {
  const int threads = 4;
  const long per_thread = scaled(50'000);
  std::vector<std::vector<std::unique_ptr<Record>>> records(threads);
  Atomic<long> scheduled{0};
  auto dump = [&] {
    std::ostringstream out;
    out << "TACT_STRESS_SEED=" << seed() << " scheduled=" << scheduled.load();
    return out.str();
  };
  Watchdog watchdog("timer service stress", kWatchdogLimit, dump);
  TimerService service;
  // Cancels from a thread that did not schedule: handed over through a slot.
  Atomic<Record*> handover[threads] = {};
  std::vector<Thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Rng rng = stream(static_cast<std::uint64_t>(t));
      auto& mine = records[static_cast<std::size_t>(t)];
      mine.reserve(static_cast<std::size_t>(per_thread));
      for (long i = 0; i < per_thread; ++i) {
        auto record = std::make_unique<Record>();
        Record* r = record.get();
        r->periodic = rng.below(10) == 0;
        const auto delay = std::chrono::microseconds(rng.below(3000));
        const auto period = r->periodic ? std::chrono::microseconds(100 + rng.below(900))
                                        : std::chrono::microseconds(0);
        r->handle = service.schedule(Clock::now() + delay, period, &Record::kCallbacks, r);
        mine.push_back(std::move(record));
        scheduled.fetch_add(1, std::memory_order_relaxed);
        switch (rng.below(4)) {
          case 0: r->cancel(); break;  // at once: usually still pending
          case 1:
            if (i > 50) mine[static_cast<std::size_t>(i - 1 - static_cast<long>(rng.below(50)))]->cancel();
            break;
          case 2: {
            // Give one to the next thread; cancel whatever it gave us.
            Record* theirs = handover[t].exchange(nullptr);
            if (theirs != nullptr) theirs->cancel();
            Record* previous = handover[(t + 1) % threads].exchange(r);
            if (previous != nullptr) previous->cancel();
            break;
          }
          default: break;  // left to fire (periodic ones run until shutdown)
        }
        if (rng.below(64) == 0) tact::test::sleep_for(std::chrono::microseconds(rng.below(500)));
      }
    });
  }
  for (auto& w : workers) w.join();
  // Records handed over and not yet cancelled get cancelled twice at most: the
  // second cancel must return false.
  tact::test::sleep_for(10ms);
  service.shutdown();
  long fired = 0, prevented = 0;
  for (const auto& mine : records) {
    for (const auto& r : mine) {
      ASSERT_EQ(r->disposed.load(), 1) << dump();
      ASSERT_EQ(r->fired_after_cancel.load(), 0) << "fired after cancel() returned; " << dump();
      if (!r->periodic) {
        ASSERT_LE(r->fired.load(), 1) << dump();
        if (r->cancel_prevented) {
          ASSERT_EQ(r->fired.load(), 0) << dump();
        }
      }
      fired += r->fired;
      prevented += r->cancel_prevented ? 1 : 0;
    }
  }
  EXPECT_EQ(service.pending(), 0u);
  std::printf("%ld timers, %ld firings, %ld cancels that prevented a firing\n", scheduled.load(),
              fired, prevented);
}

// ===== timers in a runtime ===================================================================

struct Census {
  Atomic<long> live{0};
  Atomic<long> handled{0};
};
struct Tick {
  explicit Tick(Census* c) : census(c) { census->live.fetch_add(1); }
  Tick(const Tick& other) : census(other.census) { census->live.fetch_add(1); }
  Tick& operator=(const Tick&) = delete;
  ~Tick() { census->live.fetch_sub(1); }
  Census* census;
};

class Peer;
struct Meet {
  std::vector<tact::ActorRef<Peer>> peers;
};
struct Go {
  std::uint64_t stream;
};

class Peer {
 public:
  void handle(Meet msg) { peers_ = std::move(msg.peers); }
  void handle(Tick tick) { tick.census->handled.fetch_add(1, std::memory_order_relaxed); }
  void handle(Go go, tact::Context<Peer>& ctx) {
    Rng rng = stream(go.stream);
    if (peers_.empty()) return;
    const auto& target = peers_[rng.below(peers_.size())];
    Census* census = census_;
    switch (rng.below(6)) {
      case 0: handles_.push_back(ctx.send_every(std::chrono::microseconds(200 + rng.below(2000)), target, Tick(census))); break;
      case 1: (void)ctx.send_after(std::chrono::microseconds(rng.below(5000)), target, Tick(census)); break;
      case 2: handles_.push_back(ctx.send_after(std::chrono::milliseconds(1 + rng.below(50)), target, Tick(census))); break;
      case 3:
        if (!handles_.empty()) {
          (void)handles_.back().cancel();
          handles_.pop_back();
        }
        break;
      case 4: (void)ctx.send_after(1h, target, Tick(census)); break;  // pending until stop or shutdown
      default:
        if (rng.below(20) == 0) ctx.stop();
        break;
    }
  }
  explicit Peer(Census* census) : census_(census) {}

 private:
  Census* census_;
  std::vector<tact::ActorRef<Peer>> peers_;
  std::vector<TimerHandle> handles_;
};

TEST(TimerStress, ActorsStartCancelAndStopWithTimersThenShutdown) {
  Census census;
  Watchdog watchdog("runtime timers stress", kWatchdogLimit, [&] {
    return "TACT_STRESS_SEED=" + std::to_string(seed()) + " live=" + std::to_string(census.live.load());
  });
  const int rounds = static_cast<int>(scaled(60));
  for (int round = 0; round < rounds; ++round) {
    tact::Config config;
    config.workers = 2;
    tact::Runtime rt(config);
    const int actors = tact::test::kSimulated ? 16 : 64;
    std::vector<tact::ActorRef<Peer>> peers;
    for (int i = 0; i < actors; ++i) peers.push_back(rt.spawn<Peer>(&census));
    for (auto& p : peers) p.tell(Meet{peers});
    std::vector<Thread> senders;
    for (int s = 0; s < 2; ++s) {
      senders.emplace_back([&, s] {
        Rng rng = stream(static_cast<std::uint64_t>(round * 10 + s));
        // Under the simulation a twentieth: its spins and clock reads cost virtual
        // time, so 2000 Go's periodic timers keep two workers busy past its step limit.
        for (int i = 0; i < (tact::test::kSimulated ? 100 : 2000); ++i) {
          peers[rng.below(peers.size())].tell(Go{rng.next()});
          if (i % 256 == 0) tact::test::sleep_for(std::chrono::microseconds(rng.below(1000)));
        }
      });
    }
    for (auto& t : senders) t.join();
    tact::test::sleep_for(std::chrono::milliseconds(round % 5));
    // Break the peers' reference cycle at shutdown: the actors' objects go when they stop.
    peers.clear();
    rt.shutdown();
  }
  EXPECT_EQ(census.live.load(), 0) << "a timer's message leaked";
  std::printf("%d rounds, %ld ticks handled\n", rounds, census.handled.load());
}

}  // namespace
