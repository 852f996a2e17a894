// Supervision under load (issue 4, "What it must show"): 1,000 supervised
// children fail at random while client threads ask and tell them.
//   - every ask resolves exactly once: a value, HandlerFailed (its handler threw)
//     or ActorStopped (only once shutdown has begun); each is counted;
//   - no message is lost without being counted: sent == handled (ok + threw) +
//     dead letters (rt.stats()), exactly, after shutdown;
//   - restarts happen, and the children keep their addresses: the refs the
//     clients hold keep answering, from new objects;
//   - shutdown completes, with clients still sending.
// The seed is printed on failure; TACT_STRESS_SEED=<n> replays the choices.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tact/tact.hpp>

#include "support/concurrency.hpp"
#include "support/random.hpp"
#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using tact::test::Atomic;
using tact::test::Clock;
using tact::test::Thread;

using namespace std::chrono_literals;
using tact::test::eventually;
using tact::test::mix64;
using tact::test::stress_seed;
using tact::test::scaled;
using tact::test::Watchdog;

constexpr std::uint64_t kSeed = 0x5EED'5CB7ull;

// What the children handled (the runtime's counters cover the rest).
struct Handled {
  Atomic<std::uint64_t> ok{0};
  Atomic<std::uint64_t> threw{0};
};

struct Req {
  std::uint64_t seq;
  bool fail;
};
struct Note {  // a tell
  bool fail;
};
struct WhoAreYou {};

class Child {
 public:
  Child(int index, Handled* handled) : index_(index), handled_(handled) {}
  std::uint64_t handle(Req req) {
    if (req.fail) {
      handled_->threw.fetch_add(1, std::memory_order_relaxed);
      throw std::runtime_error("random failure");
    }
    handled_->ok.fetch_add(1, std::memory_order_relaxed);
    return req.seq;
  }
  void handle(Note note) {
    if (note.fail) {
      handled_->threw.fetch_add(1, std::memory_order_relaxed);
      throw std::runtime_error("random failure (tell)");
    }
    handled_->ok.fetch_add(1, std::memory_order_relaxed);
  }
  int handle(WhoAreYou) {
    handled_->ok.fetch_add(1, std::memory_order_relaxed);
    return index_;
  }

 private:
  int index_;
  Handled* handled_;
};

// Per-client tallies.
struct Tally {
  Atomic<std::uint64_t> asks{0};
  Atomic<std::uint64_t> tells{0};
  Atomic<std::uint64_t> values{0};
  Atomic<std::uint64_t> wrong_values{0};
  Atomic<std::uint64_t> handler_failed{0};
  Atomic<std::uint64_t> actor_stopped{0};
  Atomic<std::uint64_t> other_errors{0};
  Atomic<std::uint64_t> resolved{0};
  Atomic<std::uint64_t> fail_asks{0};  // asks sent with fail = true

  std::uint64_t outcomes() const {
    return values.load() + handler_failed.load() + actor_stopped.load() + other_errors.load();
  }
};

// One ask's outcome, whichever way it came (get() or then()).
void count_outcome(Tally& tally, const tact::Outcome<std::uint64_t>& outcome, std::uint64_t seq) {
  if (outcome.has_value()) {
    tally.values.fetch_add(1);
    if (outcome.value() != seq) tally.wrong_values.fetch_add(1);
    return;
  }
  try {
    std::rethrow_exception(outcome.error());
  } catch (const tact::HandlerFailed&) {
    tally.handler_failed.fetch_add(1);
  } catch (const tact::ActorStopped&) {
    tally.actor_stopped.fetch_add(1);
  } catch (...) {
    tally.other_errors.fetch_add(1);
  }
}

// Waits for each reply of the batch (get()) and counts it.
void drain(std::vector<std::pair<tact::Reply<std::uint64_t>, std::uint64_t>>& batch, Tally& tally) {
  for (auto& [reply, seq] : batch) {
    try {
      count_outcome(tally, tact::Outcome<std::uint64_t>(reply.get()), seq);
    } catch (...) {
      count_outcome(tally, tact::Outcome<std::uint64_t>(std::current_exception()), seq);
    }
    tally.resolved.fetch_add(1);
  }
  batch.clear();
}

// A client thread: asks (half then(), half get()) and tells random children;
// about one message in `fail_one_in` makes its handler throw.
void client(int id, const std::vector<tact::ActorRef<Child>>& children, long messages,
            std::uint64_t fail_one_in, const Atomic<bool>& stop_early, Tally& tally) {
  std::uint64_t rng = mix64(stress_seed(kSeed) ^ mix64(static_cast<std::uint64_t>(id) + 1));
  std::vector<std::pair<tact::Reply<std::uint64_t>, std::uint64_t>> batch;
  for (long i = 0; i < messages && !stop_early.load(std::memory_order_relaxed); ++i) {
    rng = mix64(rng);
    const auto& child = children[rng % children.size()];
    const bool fail = (rng >> 32) % fail_one_in == 0;
    if ((rng >> 20) % 8 == 0) {
      tally.tells.fetch_add(1);
      (void)child.tell(Note{fail});
      continue;
    }
    const std::uint64_t seq = (static_cast<std::uint64_t>(id) << 40) | static_cast<std::uint64_t>(i);
    tally.asks.fetch_add(1);
    if (fail) tally.fail_asks.fetch_add(1);
    auto reply = child.ask(Req{seq, fail});
    if (i % 2 == 0) {
      reply.then([&tally, seq](tact::Outcome<std::uint64_t> outcome) {
        count_outcome(tally, outcome, seq);
        tally.resolved.fetch_add(1);
      });
    } else {
      batch.emplace_back(std::move(reply), seq);
    }
    if (batch.size() >= 64) drain(batch, tally);
  }
  drain(batch, tally);
}

TEST(SupervisionStress, AThousandChildrenFailingAtRandomWhileClientsAskThem) {
  const std::size_t children_count = 1000;  // in every build: only the traffic is scaled
  const long per_client = scaled(60'000);
  constexpr int kClients = 3;
  constexpr std::uint64_t kFailOneIn = 50;
  Handled handled;
  Tally tally;

  std::unique_ptr<tact::Runtime> rt;
  auto dump = [&] {
    std::ostringstream out;
    out << "TACT_STRESS_SEED=" << stress_seed(kSeed) << " asks=" << tally.asks << " resolved=" << tally.resolved
        << " values=" << tally.values << " handler_failed=" << tally.handler_failed
        << " actor_stopped=" << tally.actor_stopped << " handled_ok=" << handled.ok
        << " handled_threw=" << handled.threw;
    return out.str();
  };
  Watchdog watchdog("supervision stress", std::chrono::seconds(200), dump);
  const auto begin = Clock::now();

  tact::Config config;
  config.workers = 2;
  rt = std::make_unique<tact::Runtime>(config);
  auto sup = rt->spawn<tact::Supervisor>(tact::SupervisorSpec{
      .strategy = tact::Restart::one_for_one,
      .max_restarts = 1'000'000'000,  // never give up here: every failure restarts
      .within = 1s,
      .backoff = {1ms, 4ms}});
  std::vector<tact::ActorRef<Child>> children;
  for (std::size_t i = 0; i < children_count; ++i) {
    children.push_back(
        sup.ask(tact::StartChild{[i, h = &handled] { return Child(static_cast<int>(i), h); }}).get());
  }
  Atomic<bool> stop_early{false};

  // Phase 1: clients ask and tell; children fail at random and are restarted.
  {
    std::vector<Thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        client(c, children, per_client, kFailOneIn, stop_early, tally);
      });
    }
    for (auto& t : clients) t.join();
  }
  ASSERT_TRUE(eventually([&] { return tally.resolved.load() == tally.asks.load(); }, 60s)) << dump();
  const tact::SupervisorStats sup_stats = sup.ask(tact::GetSupervisorStats{}).get();
  EXPECT_EQ(tally.outcomes(), tally.asks.load()) << dump();
  EXPECT_EQ(tally.actor_stopped.load(), 0u) << dump();  // restarts, never a stop
  EXPECT_EQ(tally.other_errors.load(), 0u) << dump();
  EXPECT_EQ(tally.wrong_values.load(), 0u) << dump();
  EXPECT_EQ(tally.handler_failed.load(), tally.fail_asks.load()) << dump();
  EXPECT_GT(sup_stats.restarts, 0u);
  EXPECT_EQ(sup_stats.children, children_count);
  // Every message handled (tells and asks alike), none a dead letter.
  const std::uint64_t sent_phase1 = tally.asks.load() + tally.tells.load();
  EXPECT_TRUE(eventually([&] { return handled.ok.load() + handled.threw.load() == sent_phase1; }))
      << dump();
  EXPECT_EQ(rt->stats().dead_letters, 0u);
  EXPECT_EQ(sup_stats.failures, handled.threw.load());
  EXPECT_TRUE(eventually([&] {
    return sup.ask(tact::GetSupervisorStats{}).get().restarts == handled.threw.load();
  })) << "every failure restarted its child";

  // The same refs keep answering, each from its own (restarted) child.
  std::uint64_t who_asks = 0;
  for (std::size_t i = 0; i < children.size(); ++i) {
    ++who_asks;
    ASSERT_EQ(children[i].ask(WhoAreYou{}).get(), static_cast<int>(i));
  }

  // Phase 2: clients keep sending while the runtime shuts down.
  Tally late;
  std::vector<Thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      client(kClients + c, children, per_client, kFailOneIn, stop_early, late);
    });
  }
  tact::test::sleep_for(20ms);
  rt->shutdown();
  stop_early.store(true);
  for (auto& t : clients) t.join();
  ASSERT_TRUE(eventually([&] { return late.resolved.load() == late.asks.load(); }, 60s));
  tact::test::sleep_for(10ms);  // a second resolution would show now
  EXPECT_EQ(late.resolved.load(), late.asks.load());
  EXPECT_EQ(tally.resolved.load(), tally.asks.load());
  EXPECT_EQ(late.outcomes(), late.asks.load());
  EXPECT_EQ(late.other_errors.load(), 0u);
  EXPECT_EQ(late.wrong_values.load(), 0u);

  // Nothing lost without being counted.
  const tact::RuntimeStats s = rt->stats();
  const std::uint64_t sent = sent_phase1 + who_asks + late.asks.load() + late.tells.load();
  EXPECT_EQ(handled.ok.load() + handled.threw.load() + s.dead_letters, sent) << dump();
  EXPECT_GE(s.dead_letters, late.actor_stopped.load());
  rt.reset();

  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  std::printf(
      "supervision stress: children=%zu asks=%llu tells=%llu restarts=%llu (phase 1; handler "
      "failures in all: %llu) asks racing shutdown=%llu (ActorStopped %llu) dead_letters=%llu "
      "duration=%.2f s\n",
      children_count, static_cast<unsigned long long>(tally.asks.load() + late.asks.load()),
      static_cast<unsigned long long>(tally.tells.load() + late.tells.load()),
      static_cast<unsigned long long>(sup_stats.restarts),
      static_cast<unsigned long long>(handled.threw.load()),
      static_cast<unsigned long long>(late.asks.load()),
      static_cast<unsigned long long>(late.actor_stopped.load()),
      static_cast<unsigned long long>(s.dead_letters), seconds);
}

}  // namespace
