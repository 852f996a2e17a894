// Runtime-level scenarios for the simulation: a whole tact::Runtime (workers, timer
// thread, Driver) under the deterministic scheduler, after the api/stress tests
// named at each. Sim bodies: each returns whether its invariants held. Waits use
// virtual time (sleep_for), and every lock is the sim's (tact::detail::Mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/sim.hpp"
#include "sync/mutex.hpp"
#include "sync/thread.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/detail/clock.hpp"
#include "tact/tact.hpp"

namespace tact::simtest::rt {

using namespace std::chrono_literals;
using detail::Atomic;

inline Config small_config(std::size_t workers, std::chrono::microseconds spin = 5us) {
  Config config;
  config.workers = workers;
  config.spin_before_park = spin;
  // shutdown_drain: the default 2 s (virtual)
  return config;
}

// A failed check prints what failed (in the seed's child process) and is false.
inline bool check(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "sim scenario: check failed: %s\n", what);
  return ok;
}
#define SIM_EXPECT(cond) ::tact::simtest::rt::check((cond), #cond)

template <class F>
bool eventually(F&& f, std::chrono::microseconds limit = 1s) {
  const auto deadline = detail::steady_now() + limit;
  while (!f()) {
    if (detail::steady_now() > deadline) return false;
    detail::sleep_for(20us);
  }
  return true;
}

// ---- tell / ask / shutdown ------------------------------------------------------------

struct Add {
  std::int64_t amount;
};
struct Get {};
class Counter {
 public:
  std::int64_t handle(Add m) { return count_ += m.amount; }
  std::int64_t handle(Get) const { return count_; }

 private:
  std::int64_t count_ = 0;
};

// Two plain threads tell and ask one counter while the main thread asks too; then
// shutdown. Every tell counted once, every ask answered, no dead letter.
inline bool tell_ask_from_threads_then_shutdown() {
  Runtime rt(small_config(2));
  auto counter = rt.spawn<Counter>();
  std::vector<std::thread> clients;
  Atomic<int> bad{0};
  for (int t = 0; t < 2; ++t) {
    clients.push_back(sim::spawn([&] {
      for (int i = 0; i < 3; ++i) {
        if (!counter.tell(Add{1})) bad.fetch_add(1);
      }
      if (counter.ask(Add{10}).get() < 10) bad.fetch_add(1);
    }));
  }
  for (auto& c : clients) sim::join(c);
  const std::int64_t total = counter.ask(Get{}).get();
  rt.shutdown();
  return SIM_EXPECT(bad.load() == 0) && SIM_EXPECT(total == 2 * (3 + 10)) &&
         SIM_EXPECT(rt.stats().dead_letters == 0);
}

// ---- a tell right before shutdown (Lifecycle.ATellRightBeforeShutdownIsHandled) --------

struct Note {};
class Recorder {
 public:
  explicit Recorder(Atomic<std::int64_t>* handled) : handled_(handled) {}
  void handle(Note) { handled_->fetch_add(1); }

 private:
  Atomic<std::int64_t>* handled_;
};

inline bool a_tell_right_before_shutdown_is_handled() {
  Atomic<std::int64_t> handled{0};
  Runtime rt(small_config(2));
  auto recorder = rt.spawn<Recorder>(&handled);
  detail::sleep_for(200us);  // the workers park
  const bool sent = recorder.tell(Note{});
  rt.shutdown();
  return SIM_EXPECT(sent) && SIM_EXPECT(handled.load() == 1) &&
         SIM_EXPECT(rt.stats().dead_letters == 0);
}

// ---- a Driver's running turn and shutdown
//      (Driver.ShutdownFromAnotherThreadWaitsForTheTurnTheDriverIsRunning) -----------------

struct Pass {};
class SlowRelay {
 public:
  SlowRelay(ActorRef<Recorder> to, Atomic<bool>* entered, Atomic<bool>* shutting_down)
      : to_(std::move(to)), entered_(entered), shutting_down_(shutting_down) {}
  void handle(Pass) {
    entered_->store(true);
    while (!shutting_down_->load()) detail::yield_thread();
    detail::sleep_for(5ms);  // longer than shutdown's look for quiet (2 x 200 us)
    to_.tell(Note{});
  }

 private:
  ActorRef<Recorder> to_;
  Atomic<bool>* entered_;
  Atomic<bool>* shutting_down_;
};

inline bool shutdown_waits_for_the_turn_a_driver_is_running() {
  Atomic<std::int64_t> handled{0};
  Atomic<bool> entered{false};
  Atomic<bool> shutting_down{false};
  Atomic<int> turns{-1};
  Runtime rt(small_config(1, 0us));
  auto recorder = rt.spawn<Recorder>(&handled);
  auto relay = rt.spawn<SlowRelay>(recorder, &entered, &shutting_down);
  // The worker parks, usually: the api test then expects run_ready() == 2 (the
  // relay's turn and the recorder's). A seed may keep the worker off the CPU past
  // this sleep (a time jump), and it then takes the relay from the injector itself
  // (seed 7 of the control did): not a bug, so only <= 2 is checked here.
  detail::sleep_for(200us);
  std::thread host = sim::spawn([&] {
    Driver driver(rt);
    (void)relay.tell(Pass{});
    turns.store(static_cast<int>(driver.run_ready()));
  });
  const bool got_in = eventually([&] { return entered.load(); });
  shutting_down.store(true);
  rt.shutdown();
  sim::join(host);
  return SIM_EXPECT(got_in) && SIM_EXPECT(handled.load() == 1) &&
         SIM_EXPECT(rt.stats().dead_letters == 0) && SIM_EXPECT(turns.load() <= 2);
}

// ---- an interleaved await's reply racing a kill
//      (Coroutine.ARaceBetweenTheReplyAndAKillResolvesEveryAskOnce) ------------------------

struct Hold {};
struct PromiseBox {
  detail::Mutex mutex;
  std::vector<Promise<std::int64_t>> promises;
  std::size_t size() {
    std::lock_guard<detail::Mutex> lock(mutex);
    return promises.size();
  }
  void answer_all(std::int64_t value) {
    std::vector<Promise<std::int64_t>> taken;
    {
      std::lock_guard<detail::Mutex> lock(mutex);
      taken.swap(promises);
    }
    for (auto& p : taken) p.set_value(value);
  }
};

class Holder {
 public:
  explicit Holder(std::shared_ptr<PromiseBox> box) : box_(std::move(box)) {}
  Delegated<std::int64_t> handle(Hold, Context<Holder>& ctx) {
    Promise<std::int64_t> p = ctx.promise<std::int64_t>();
    std::lock_guard<detail::Mutex> lock(box_->mutex);
    box_->promises.push_back(std::move(p));
    return {};
  }

 private:
  std::shared_ptr<PromiseBox> box_;
};

struct FrameProbe {
  explicit FrameProbe(Atomic<int>* d) : destroyed(d) {}
  FrameProbe(const FrameProbe&) = delete;
  FrameProbe& operator=(const FrameProbe&) = delete;
  ~FrameProbe() { destroyed->fetch_add(1); }
  Atomic<int>* destroyed;
};

struct AwaitHold {};
struct AwaitHoldInterleaved {};
class Parent {
 public:
  Parent(ActorRef<Holder> holder, Atomic<int>* frames_destroyed)
      : holder_(std::move(holder)), frames_destroyed_(frames_destroyed) {}
  Task<std::int64_t> handle(AwaitHold) {
    FrameProbe probe(frames_destroyed_);
    std::int64_t v = co_await holder_.ask(Hold{});
    co_return v;
  }
  Task<std::int64_t> handle(AwaitHoldInterleaved) {
    FrameProbe probe(frames_destroyed_);
    std::int64_t v = co_await interleaved(holder_.ask(Hold{}));
    co_return v;
  }

 private:
  ActorRef<Holder> holder_;
  Atomic<int>* frames_destroyed_;
};

// One round: an awaited ask (interleaved or not) whose reply arrives from another
// thread while the actor is killed. The ask resolves once (3 or ActorStopped), the
// coroutine frame is destroyed once; ASan (preset sim) checks the slot's memory.
inline bool a_reply_racing_a_kill_resolves_the_ask_once(bool interleaved_await) {
  Atomic<int> frames_destroyed{0};
  auto box = std::make_shared<PromiseBox>();
  bool ok = true;
  {
    Runtime rt(small_config(2));
    auto holder = rt.spawn<Holder>(box);
    auto parent = rt.spawn<Parent>(holder, &frames_destroyed);
    Reply<std::int64_t> awaited =
        interleaved_await ? parent.ask(AwaitHoldInterleaved{}) : parent.ask(AwaitHold{});
    ok = eventually([&] { return box->size() == 1; });
    std::thread answer = sim::spawn([&] {
      // Jitter from the seed, so the reply lands anywhere in the kill's handling.
      for (std::uint64_t i = 0, n = sim::choose(64); i < n; ++i) sim::spin_point();
      box->answer_all(3);
    });
    parent.kill();
    sim::join(answer);
    try {
      ok = ok && awaited.get() == 3;
    } catch (const ActorStopped&) {
    }
    ok = ok && eventually([&] { return frames_destroyed.load() == 1; });
    rt.shutdown();
  }
  return SIM_EXPECT(ok) && SIM_EXPECT(frames_destroyed.load() == 1);
}

// ---- fan-in pipelines under backpressure, moving between workers
//      (Worker::keep_local; the fanin_many workload in miniature) --------------------

struct Tally {};
class Sink {
 public:
  void handle(Tally) { ++count_; }
  std::int64_t handle(Get) const { return count_; }

 private:
  std::int64_t count_ = 0;
};
struct Emit {
  int bursts;
};
class Source {
 public:
  explicit Source(ActorRef<Sink> sink) : sink_(std::move(sink)) {}
  void handle(Emit e, Context<Source>& ctx) {
    for (int i = 0; i < kBurst; ++i) sink_.tell(Tally{});
    if (e.bursts > 1) ctx.self().tell(Emit{e.bursts - 1});
  }
  static constexpr int kBurst = 6;

 private:
  ActorRef<Sink> sink_;
};

// Three fan-ins of two sources each, with a budget of 2: sinks fall behind,
// sources are muted and released, consumers are kept and, when a worker idles,
// offered to it with their pipelines. Every sink counts exactly its share.
inline bool fan_in_pipelines_count_every_message_as_they_move() {
  constexpr int kPipelines = 4, kSources = 2;
  constexpr int kBursts[kPipelines] = {1, 2, 12, 12};  // short ones end first: a worker idles
  Config config = small_config(2);
  config.budget = 2;
  Runtime rt(config);
  std::vector<ActorRef<Sink>> sinks;
  std::vector<ActorRef<Source>> sources;
  for (int p = 0; p < kPipelines; ++p) {
    sinks.push_back(rt.spawn<Sink>());
    for (int s = 0; s < kSources; ++s) sources.push_back(rt.spawn<Source>(sinks.back()));
  }
  for (std::size_t i = 0; i < sources.size(); ++i) sources[i].tell(Emit{kBursts[i / kSources]});
  auto share = [&](std::size_t p) { return std::int64_t{kSources} * kBursts[p] * Source::kBurst; };
  bool ok = true;
  for (std::size_t p = 0; p < sinks.size(); ++p) {
    ok = ok && eventually([&] { return sinks[p].ask(Get{}).get() == share(p); });
  }
  // Nothing more arrives after each reached its share.
  for (std::size_t p = 0; p < sinks.size(); ++p) ok = ok && sinks[p].ask(Get{}).get() == share(p);
  rt.shutdown();
  return SIM_EXPECT(ok) && SIM_EXPECT(rt.stats().dead_letters == 0);
}

}  // namespace tact::simtest::rt
