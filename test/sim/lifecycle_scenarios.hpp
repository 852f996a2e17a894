// Lifecycle races for the simulation, beside runtime_scenarios.hpp: a linked failure
// spreading while clients ask the actors it takes down, and an awaited ask's reply
// racing a graceful stop (the kill is in runtime_scenarios.hpp). Sim bodies: each
// returns whether its invariants held.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime_scenarios.hpp"
#include "sim/sim.hpp"
#include "sync/thread.hpp"
#include "tact/detail/atomic.hpp"
#include "tact/tact.hpp"

namespace tact::simtest::rt {

// ---- a linked failure under load (Link.AFailureTravelsAlongAChain, with traffic) ------

struct Ping {};
struct Fail {};
class ChainNode;
struct LinkWith {
  ActorRef<ChainNode> other;
};
class ChainNode {
 public:
  int handle(Ping) const { return 1; }
  void handle(Fail) { throw std::runtime_error("chain node failed"); }
  void handle(LinkWith m, Context<ChainNode>& ctx) { ctx.link(m.other); }
};

struct WatchThis {
  ActorAddress who;
};
class DownCounter {
 public:
  DownCounter(Atomic<int>* downs, Atomic<int>* failed) : downs_(downs), failed_(failed) {}
  void handle(WatchThis m, Context<DownCounter>& ctx) { ctx.watch(m.who); }
  void handle(Down d) {
    if (d.reason == ExitReason::failed) failed_->fetch_add(1);
    downs_->fetch_add(1);
  }

 private:
  Atomic<int>* downs_;
  Atomic<int>* failed_;
};

// a - b - c linked; two threads ask all three while a third makes b fail at a moment
// the seed picks. Every ask resolves once (1, or ActorStopped once its node went);
// each node stops exactly once, failed (b by its throw, a and c by LinkedExit).
inline bool a_linked_failure_under_load_takes_the_chain_down() {
  Atomic<int> downs{0};
  Atomic<int> failed{0};
  Atomic<int> answered{0};
  Atomic<int> stopped{0};
  Atomic<int> other{0};
  Runtime rt(small_config(2));
  auto counter = rt.spawn<DownCounter>(&downs, &failed);
  std::vector<ActorRef<ChainNode>> chain;
  for (int i = 0; i < 3; ++i) chain.push_back(rt.spawn<ChainNode>());
  for (auto& n : chain) (void)counter.ask(WatchThis{n}).get();
  (void)chain[0].ask(LinkWith{chain[1]}).get();
  (void)chain[1].ask(LinkWith{chain[2]}).get();
  constexpr int kAsksPerClient = 6;
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.push_back(sim::spawn([&] {
      for (int i = 0; i < kAsksPerClient; ++i) {
        try {
          if (chain[static_cast<std::size_t>(i) % 3].ask(Ping{}).get() == 1) {
            answered.fetch_add(1);
          } else {
            other.fetch_add(1);
          }
        } catch (const ActorStopped&) {
          stopped.fetch_add(1);
        } catch (...) {
          other.fetch_add(1);
        }
      }
    }));
  }
  std::thread failer = sim::spawn([&] {
    for (std::uint64_t i = 0, n = sim::choose(200); i < n; ++i) sim::spin_point();
    (void)chain[1].tell(Fail{});
  });
  for (auto& c : clients) sim::join(c);
  sim::join(failer);
  const bool all_down = eventually([&] { return downs.load() == 3; });
  rt.shutdown();
  const RuntimeStats s = rt.stats();
  return SIM_EXPECT(all_down) && SIM_EXPECT(failed.load() == 3) &&
         SIM_EXPECT(answered.load() + stopped.load() == 2 * kAsksPerClient) &&
         SIM_EXPECT(other.load() == 0) && SIM_EXPECT(s.actors_failed >= 1) &&
         SIM_EXPECT(s.actors_spawned == s.actors_stopped);
}

// ---- an awaited ask's reply racing a graceful stop ------------------------------------

// As a_reply_racing_a_kill_resolves_the_ask_once, with ref.stop(): the stop is
// queued behind the suspended handler's resumption or ahead of it, as the seed has it.
// The ask resolves once (3, or ActorStopped, or BrokenPromise when the stop dropped the
// holder's promise first); the coroutine frame is destroyed once.
inline bool a_reply_racing_a_stop_resolves_the_ask_once(bool interleaved_await) {
  Atomic<int> frames_destroyed{0};
  auto box = std::make_shared<PromiseBox>();
  bool ok = true;
  int outcome = -1;  // 0 value, 1 ActorStopped, 2 BrokenPromise
  {
    Runtime rt(small_config(2));
    auto holder = rt.spawn<Holder>(box);
    auto parent = rt.spawn<Parent>(holder, &frames_destroyed);
    Reply<std::int64_t> awaited =
        interleaved_await ? parent.ask(AwaitHoldInterleaved{}) : parent.ask(AwaitHold{});
    ok = eventually([&] { return box->size() == 1; });
    std::thread answer = sim::spawn([&] {
      for (std::uint64_t i = 0, n = sim::choose(64); i < n; ++i) sim::spin_point();
      box->answer_all(3);
    });
    parent.stop();
    sim::join(answer);
    try {
      ok = ok && awaited.get() == 3;
      outcome = 0;
    } catch (const ActorStopped&) {
      outcome = 1;
    } catch (const BrokenPromise&) {
      outcome = 2;
    } catch (...) {
      ok = false;
    }
    ok = ok && eventually([&] { return frames_destroyed.load() == 1; });
    rt.shutdown();
  }
  return SIM_EXPECT(ok) && SIM_EXPECT(outcome >= 0) && SIM_EXPECT(frames_destroyed.load() == 1);
}

}  // namespace tact::simtest::rt
