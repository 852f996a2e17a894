// tact-soak: mixed workloads with random stops, kills, timeouts, restarts and
// shutdowns, round after round, for a given time, with invariants checked after
// every round (scripts/soak.sh; not in CI). Each round is decided by its seed, which
// a failure prints (the threads' timing is the machine's, so a failure is not always
// reproduced by its seed: rerun the round's seed to try).
//
//   tact-soak [--seconds N] [--seed S] [--round-limit-seconds L]
//
// A round: a Runtime with a random Config (1-4 workers, muting on or off, bounded
// mailboxes or not); counters told and asked by client threads (one of them a
// Driver's host), a supervisor whose children throw at random (restarts), coroutine
// parents awaiting a holder that answers late or never, asks with short timeouts,
// timers, random stop()/kill() of the victims; then shutdown at a random moment,
// sometimes while the clients still send. Invariants:
//   - every ask resolves exactly once (value, ActorStopped, Timeout, HandlerFailed,
//     BrokenPromise, RestartLimitExceeded...), counted per round;
//   - a counter nobody stops ends with exactly the tells it accepted;
//   - the supervisor restarted each failure once, and saw no fewer failures than its
//     children's askers got HandlerFailed, nor more than that plus their timeouts;
//   - after shutdown every spawned actor has stopped (stats);
//   - the round ends within --round-limit-seconds (else: a hang; abort with the seed).
// Every minute and at the end it prints the run's figures (rounds, invariant checks,
// asks, tells, timers, stops, kills, restarts, dead letters). Exit status 0 when every
// round passed.
#include <tact/tact.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Add {
  std::int64_t n;
};
struct Get {};
class Counter {
 public:
  std::int64_t handle(Add a) { return count_ += a.n; }
  std::int64_t handle(Get) const { return count_; }

 private:
  std::int64_t count_ = 0;
};

struct Work {
  int fail_one_in;
  int salt;
};
class Flaky {
 public:
  int handle(Work w) {
    if (w.fail_one_in > 0 && (w.salt % w.fail_one_in) == 0) throw std::runtime_error("flaky");
    return ++handled_;
  }

 private:
  int handled_ = 0;
};

struct Hold {};
struct PromiseBox {
  std::mutex mutex;
  std::vector<tact::Promise<std::int64_t>> promises;
  // Answers 3 in 4 of the held promises and drops the rest (BrokenPromise).
  void answer_some(std::mt19937_64& rng, std::atomic<std::uint64_t>& answered,
                   std::atomic<std::uint64_t>& dropped) {
    std::vector<tact::Promise<std::int64_t>> taken;
    {
      std::lock_guard<std::mutex> lock(mutex);
      taken.swap(promises);
    }
    for (auto& p : taken) {
      if (rng() % 4 != 0) {
        p.set_value(7);
        answered.fetch_add(1);
      } else {
        dropped.fetch_add(1);
      }
    }
  }
};
class Holder {
 public:
  explicit Holder(std::shared_ptr<PromiseBox> box) : box_(std::move(box)) {}
  tact::Delegated<std::int64_t> handle(Hold, tact::Context<Holder>& ctx) {
    auto p = ctx.promise<std::int64_t>();
    std::lock_guard<std::mutex> lock(box_->mutex);
    box_->promises.push_back(std::move(p));
    return {};
  }

 private:
  std::shared_ptr<PromiseBox> box_;
};
struct Await {
  bool interleaved;
};
class Parent {
 public:
  explicit Parent(tact::ActorRef<Holder> h) : holder_(std::move(h)) {}
  tact::Task<std::int64_t> handle(Await a) {
    std::int64_t v = a.interleaved ? co_await tact::interleaved(holder_.ask(Hold{}))
                                   : co_await holder_.ask(Hold{});
    co_return v + 1;
  }

 private:
  tact::ActorRef<Holder> holder_;
};

// What a round did, for the final figures (and the asks for the exactly-once check).
struct Tally {
  std::atomic<std::uint64_t> asks{0};
  std::atomic<std::uint64_t> resolved{0};
  std::atomic<std::uint64_t> values{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> handler_failed{0};  // a Flaky child threw: the supervisor restarts it
  std::atomic<std::uint64_t> flaky_timeouts{0};
  std::atomic<std::uint64_t> tells{0};
  std::atomic<std::uint64_t> awaits{0};           // asks to a coroutine parent
  std::atomic<std::uint64_t> timers{0};
  std::atomic<std::uint64_t> stops{0};
  std::atomic<std::uint64_t> kills{0};
  std::atomic<std::uint64_t> promises_answered{0};
  std::atomic<std::uint64_t> promises_dropped{0};
};

// Returns true when the ask answered a value. `flaky`: an ask to a supervised child,
// whose HandlerFailed and timeouts the supervisor check counts (a Parent whose await
// broke also answers HandlerFailed, and stops: not a restart).
template <class R>
bool settle(tact::Reply<R>& reply, Tally& t, std::chrono::microseconds timeout, bool flaky = false) {
  try {
    if (timeout.count() > 0) {
      (void)reply.get_for(timeout);
    } else {
      (void)reply.get();
    }
    t.values.fetch_add(1);
    t.resolved.fetch_add(1);
    return true;
  } catch (const tact::HandlerFailed&) {
    if (flaky) t.handler_failed.fetch_add(1);
    t.errors.fetch_add(1);
    t.resolved.fetch_add(1);
  } catch (const tact::Timeout&) {
    // Still ours: a Timeout from get_for leaves the Reply pending; drop it (abandon).
    if (flaky) t.flaky_timeouts.fetch_add(1);
    t.timeouts.fetch_add(1);
    t.resolved.fetch_add(1);
  } catch (const std::exception&) {
    t.errors.fetch_add(1);
    t.resolved.fetch_add(1);
  }
  return false;
}

struct RoundResult {
  bool ok = true;
  std::string why;
  Tally tally;
  tact::RuntimeStats stats;
  tact::SupervisorStats supervisor;  // read before shutdown (rounds that do not shut down early)
  bool shutdown_early = false;
  bool driver = false;
  std::size_t workers = 0;
  std::uint64_t checks = 0;  // invariants checked this round
};

void fail(RoundResult& r, const std::string& why) {
  if (r.ok) r.why = why;
  r.ok = false;
}

void run_round(std::uint64_t seed, RoundResult& result) {
  std::mt19937_64 rng(seed);
  tact::Config config;
  config.workers = 1 + static_cast<unsigned>(rng() % 4);
  config.mute_senders = rng() % 2 == 0;
  config.mailbox_bound = rng() % 3 == 0 ? 16 : 0;
  config.spin_before_park = std::chrono::microseconds(rng() % 60);
  auto rt = std::make_unique<tact::Runtime>(config);
  Tally& t = result.tally;

  // Counters nobody stops (checked exactly) and victims (stopped or killed at random).
  std::vector<tact::ActorRef<Counter>> counters;
  for (int i = 0; i < 3; ++i) counters.push_back(rt->spawn<Counter>());
  std::vector<tact::ActorRef<Counter>> victims;
  for (int i = 0; i < 3; ++i) victims.push_back(rt->spawn<Counter>());
  auto sup = rt->spawn<tact::Supervisor>(tact::SupervisorSpec{
      tact::Restart::one_for_one, 1000, std::chrono::milliseconds(60000), {}});
  std::vector<tact::ActorRef<Flaky>> flaky;
  for (int i = 0; i < 2; ++i) {
    flaky.push_back(sup.ask(tact::StartChild{[] { return Flaky(); }}).get());
  }
  auto box = std::make_shared<PromiseBox>();
  auto holder = rt->spawn<Holder>(box);
  auto parent = rt->spawn<Parent>(holder);

  const int clients = 2 + static_cast<int>(rng() % 3);
  const int per_client = 200 + static_cast<int>(rng() % 800);
  const bool shutdown_early = rng() % 3 == 0;  // while the clients still send
  result.shutdown_early = shutdown_early;
  result.workers = config.workers;
  std::atomic<std::int64_t> accepted[3] = {0, 0, 0};
  std::atomic<bool> stop_clients{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    const std::uint64_t cseed = rng();
    const bool driver = c == 0 && rng() % 2 == 0;
    if (driver) result.driver = true;
    threads.emplace_back([&, cseed, driver] {
      std::mt19937_64 r(cseed);
      std::unique_ptr<tact::Driver> d;
      if (driver) d = std::make_unique<tact::Driver>(*rt);
      for (int i = 0; i < per_client && !stop_clients.load(); ++i) {
        const auto k = r() % 100;
        const std::size_t which = r() % 3;
        if (k < 40) {
          t.tells.fetch_add(1);
          if (counters[which].tell(Add{1})) accepted[which].fetch_add(1);
        } else if (k < 55) {
          t.tells.fetch_add(1);
          (void)victims[which].tell(Add{1});
        } else if (k < 65) {
          t.asks.fetch_add(1);
          auto reply = counters[which].ask(Add{1});
          if (d) d->run_ready();
          // An ask that answered was counted once too (a full bounded mailbox may
          // refuse it instead).
          if (settle(reply, t, std::chrono::microseconds(0))) accepted[which].fetch_add(1);
        } else if (k < 75) {
          t.asks.fetch_add(1);
          auto reply = flaky[r() % 2].ask(Work{5, static_cast<int>(r() % 1000)});
          if (d) d->run_ready();
          (void)settle(reply, t, std::chrono::microseconds(r() % 2 == 0 ? 0 : 50 + r() % 500), true);
        } else if (k < 82) {
          t.asks.fetch_add(1);
          t.awaits.fetch_add(1);
          auto reply = parent.ask(Await{r() % 2 == 0});
          if (d) d->run_ready();
          // Answered later by answer_some, dropped, or never: a short wait.
          (void)settle(reply, t, std::chrono::microseconds(100 + r() % 2000));
        } else if (k < 88) {
          box->answer_some(r, t.promises_answered, t.promises_dropped);
        } else if (k < 92) {
          t.timers.fetch_add(1);
          (void)rt->send_after(std::chrono::microseconds(r() % 500), victims[which], Add{1});
        } else if (k < 94) {
          if (r() % 2 == 0) {
            t.stops.fetch_add(1);
            victims[which].stop();
          } else {
            t.kills.fetch_add(1);
            victims[which].kill();
          }
        } else {
          t.asks.fetch_add(1);
          auto reply = victims[which].ask(Get{});
          if (d) d->run_ready();
          (void)settle(reply, t, std::chrono::microseconds(r() % 2 == 0 ? 0 : 200));
        }
        if (d && r() % 8 == 0) d->run_ready();
      }
    });
  }
  if (shutdown_early) {
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    stop_clients.store(true);
    for (auto& th : threads) th.join();
  } else {
    for (auto& th : threads) th.join();
    box->answer_some(rng, t.promises_answered, t.promises_dropped);
    for (std::size_t i = 0; i < counters.size(); ++i) {
      const std::int64_t v = counters[i].ask(Get{}).get();
      ++result.checks;
      if (v != accepted[i].load()) {
        fail(result, "counter " + std::to_string(i) + " = " + std::to_string(v) + ", accepted " +
                         std::to_string(accepted[i].load()));
      }
    }
    // A last ask to each child comes after every earlier one in its mailbox, and a
    // failed child handles nothing until its restart: once both answer, the
    // supervisor has seen every failure. Each throw was an ask that answered
    // HandlerFailed, unless its asker had timed out first.
    for (auto& f : flaky) (void)f.ask(Work{0, 1}).get();
    result.supervisor = sup.ask(tact::GetSupervisorStats{}).get();
    const auto& sv = result.supervisor;
    result.checks += 2;
    if (sv.restarts != sv.failures || sv.failures < t.handler_failed.load() ||
        sv.failures > t.handler_failed.load() + t.flaky_timeouts.load()) {
      fail(result, "supervisor: " + std::to_string(sv.failures) + " failures, " +
                       std::to_string(sv.restarts) + " restarts; clients saw " +
                       std::to_string(t.handler_failed.load()) + " HandlerFailed, " +
                       std::to_string(t.flaky_timeouts.load()) + " timeouts");
    }
  }
  rt->shutdown();
  const tact::RuntimeStats s = rt->stats();
  result.stats = s;
  ++result.checks;
  if (s.actors_spawned != s.actors_stopped) {
    fail(result, "after shutdown: spawned " + std::to_string(s.actors_spawned) + ", stopped " +
                     std::to_string(s.actors_stopped));
  }
  rt.reset();
  box->answer_some(rng, t.promises_answered, t.promises_dropped);  // late answers go nowhere, harmlessly
  ++result.checks;
  if (t.asks.load() != t.resolved.load()) {
    fail(result, "asks " + std::to_string(t.asks.load()) + ", resolved " +
                     std::to_string(t.resolved.load()));
  }
}

// The whole run's figures: printed every minute and at the end.
struct Totals {
  std::uint64_t rounds = 0, failed = 0, checks = 0, early_shutdowns = 0, driver_rounds = 0;
  std::uint64_t asks = 0, values = 0, errors = 0, timeouts = 0, awaits = 0, tells = 0, timers = 0;
  std::uint64_t stops = 0, kills = 0, failures = 0, restarts = 0, handler_failed = 0;
  std::uint64_t promises_answered = 0, promises_dropped = 0;
  std::uint64_t spawned = 0, dead_letters = 0, refused = 0, workers = 0;

  void add(const RoundResult& r) {
    const Tally& t = r.tally;
    ++rounds;
    failed += r.ok ? 0 : 1;
    checks += r.checks;
    early_shutdowns += r.shutdown_early ? 1 : 0;
    driver_rounds += r.driver ? 1 : 0;
    workers += r.workers;
    asks += t.asks.load();
    values += t.values.load();
    errors += t.errors.load();
    timeouts += t.timeouts.load();
    awaits += t.awaits.load();
    tells += t.tells.load();
    timers += t.timers.load();
    stops += t.stops.load();
    kills += t.kills.load();
    handler_failed += t.handler_failed.load();
    promises_answered += t.promises_answered.load();
    promises_dropped += t.promises_dropped.load();
    failures += r.supervisor.failures;
    restarts += r.supervisor.restarts;
    spawned += r.stats.actors_spawned;
    dead_letters += r.stats.dead_letters;
    refused += r.stats.messages_refused;
  }

  void print(double seconds) const {
    auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::printf(
        "tact-soak: %.0f s: %llu rounds, %llu failed, %llu invariant checks; %llu early shutdowns, "
        "%llu with a Driver, %.2f workers on average\n"
        "  %llu asks (%llu values, %llu errors, %llu HandlerFailed from a child, %llu timeouts), "
        "%llu of them to a coroutine awaiting a promise (%llu promises answered, %llu dropped)\n"
        "  %llu tells, %llu timers, %llu stops, %llu kills; %llu supervised failures, %llu restarts "
        "(rounds not shut down early); %llu actors spawned, %llu dead letters, %llu refused by a "
        "full mailbox\n",
        seconds, u(rounds), u(failed), u(checks), u(early_shutdowns), u(driver_rounds),
        rounds ? static_cast<double>(workers) / static_cast<double>(rounds) : 0.0, u(asks), u(values),
        u(errors), u(handler_failed), u(timeouts), u(awaits), u(promises_answered),
        u(promises_dropped), u(tells), u(timers), u(stops), u(kills), u(failures), u(restarts),
        u(spawned), u(dead_letters), u(refused));
    std::fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 60;
  std::uint64_t seed = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
  double round_limit = 120;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seed") == 0) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--round-limit-seconds") == 0) round_limit = std::atof(argv[i + 1]);
  }
  std::printf("tact-soak: %.0f s, first seed %llu\n", seconds, static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  const auto start = Clock::now();
  Totals totals;
  std::atomic<std::uint64_t> current_seed{seed};
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> round_started_ms{0};
  std::thread watchdog([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(200ms);
      const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              Clock::now() - start).count();
      if (now_ms - round_started_ms.load() > static_cast<std::int64_t>(round_limit * 1000)) {
        std::fprintf(stderr, "tact-soak: round with seed %llu hung (> %.0f s): abort\n",
                     static_cast<unsigned long long>(current_seed.load()), round_limit);
        std::abort();
      }
    }
  });
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  double next_progress = 60;
  for (std::uint64_t s = seed; elapsed() < seconds; ++s) {
    current_seed.store(s);
    round_started_ms.store(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
    RoundResult r;
    run_round(s, r);
    totals.add(r);
    if (!r.ok) {
      std::printf("tact-soak: round seed %llu FAILED: %s\n", static_cast<unsigned long long>(s),
                  r.why.c_str());
      std::fflush(stdout);
    }
    if (elapsed() >= next_progress) {
      totals.print(elapsed());
      next_progress += 60;
    }
  }
  done.store(true);
  watchdog.join();
  std::printf("tact-soak: done.\n");
  totals.print(elapsed());
  return totals.failed == 0 ? 0 : 1;
}
