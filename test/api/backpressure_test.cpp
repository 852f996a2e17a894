// Backpressure on unbounded mailboxes (Config::mute_senders, src/actor/
// backpressure.hpp): producers inside the runtime that outrun their consumer are
// paused, so the consumer's backlog stays near one handler's worth per producer;
// a consumer that parks or stops lets them go; cycles of actors flooding each
// other still finish.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::scaled;
using tact::test::Watchdog;

constexpr std::uint32_t kProducers = 4;
constexpr std::uint64_t kChunk = 512;  // tells per producer handler
// Muted producers each add at most about one chunk before they pause; a
// generous multiple of that, far below what the runs below send in all.
constexpr std::uint64_t kBacklogBound = kProducers * kChunk * 4;

// What the producers and the consumer count, to see the backlog.
struct Flow {
  std::atomic<std::uint64_t> sent{0};      // bumped before each tell
  std::atomic<std::uint64_t> received{0};  // bumped by the consumer
  std::atomic<std::uint64_t> max_backlog{0};
  std::string describe() const {
    return "sent=" + std::to_string(sent.load()) + " received=" + std::to_string(received.load()) +
           " max_backlog=" + std::to_string(max_backlog.load());
  }
};

void spin_for(std::chrono::nanoseconds work) {
  const auto until = std::chrono::steady_clock::now() + work;
  while (std::chrono::steady_clock::now() < until) {
  }
}

struct Item {};
struct Wait {};

// Slower per message than a producer: without backpressure its mailbox grows.
// Optionally awaits the gate (parks) or stops itself at message `event_at`.
class Gate;
class Consumer {
 public:
  enum class Event { kNone, kPark, kStop };
  Consumer(std::shared_ptr<Flow> flow, std::uint64_t event_at, Event event,
           std::optional<tact::ActorRef<Gate>> gate)
      : flow_(std::move(flow)), event_at_(event_at), event_(event), gate_(std::move(gate)) {}

  tact::Task<void> handle(Item, tact::Context<Consumer>& ctx);

 private:
  std::shared_ptr<Flow> flow_;
  std::uint64_t event_at_;
  Event event_;
  std::optional<tact::ActorRef<Gate>> gate_;
  std::uint64_t handled_ = 0;
};

// Answers Wait once every producer said Done.
struct Done {};
class Gate {
 public:
  explicit Gate(std::uint32_t producers) : left_(producers) {}
  tact::Delegated<void> handle(Wait, tact::Context<Gate>& ctx) {
    waiter_ = ctx.promise<void>();
    answer_if_open();
    return {};
  }
  void handle(Done) {
    --left_;
    answer_if_open();
  }

 private:
  void answer_if_open() {
    if (left_ == 0 && waiter_) {
      waiter_->set_value();
      waiter_.reset();
    }
  }
  std::uint32_t left_;
  std::optional<tact::Promise<void>> waiter_;
};

tact::Task<void> Consumer::handle(Item, tact::Context<Consumer>& ctx) {
  spin_for(1us);
  const std::uint64_t received = flow_->received.fetch_add(1) + 1;
  const std::uint64_t backlog = flow_->sent.load() - received;
  // Only this actor writes max_backlog.
  if (backlog > flow_->max_backlog.load()) flow_->max_backlog.store(backlog);
  if (++handled_ == event_at_) {
    if (event_ == Event::kPark) co_await gate_->ask(Wait{});  // returns once producers finished
    if (event_ == Event::kStop) ctx.stop();
  }
}

// Sends `total` Items in chunks, re-telling itself between chunks; tells the
// gate (if any) and sets `done` at the end.
struct Chunk {};
class Producer {
 public:
  Producer(tact::ActorRef<Consumer> to, std::shared_ptr<Flow> flow, std::uint64_t total,
           std::optional<tact::ActorRef<Gate>> gate, tact::Promise<void> done)
      : to_(std::move(to)),
        flow_(std::move(flow)),
        total_(total),
        gate_(std::move(gate)),
        done_(std::move(done)) {}

  void handle(Chunk, tact::Context<Producer>& ctx) {
    for (std::uint64_t k = 0; k < kChunk && sent_ < total_; ++k, ++sent_) {
      flow_->sent.fetch_add(1);
      (void)to_.tell(Item{});  // false once a stopped consumer refuses it
    }
    if (sent_ < total_) {
      ctx.self().tell(Chunk{});
      return;
    }
    if (gate_) gate_->tell(Done{});
    done_.set_value();
  }

 private:
  tact::ActorRef<Consumer> to_;
  std::shared_ptr<Flow> flow_;
  std::uint64_t total_;
  std::uint64_t sent_ = 0;
  std::optional<tact::ActorRef<Gate>> gate_;
  tact::Promise<void> done_;
};

struct FanIn {
  std::size_t workers = 2;
  std::uint32_t budget = tact::Config{}.budget;
  bool mute = true;
  // Not scaled down for sanitizers: the consumer's 1 µs per message dominates,
  // and the control below needs a run long enough to pass the bound.
  std::uint64_t per_producer = 50'000;
  std::uint64_t event_at = 0;  // 0: no event
  Consumer::Event event = Consumer::Event::kNone;
};

// Runs kProducers producers into one consumer; returns the flow once every
// producer finished and (unless the consumer stopped) everything was received.
std::shared_ptr<Flow> run_fan_in(const FanIn& run) {
  tact::Config config = tact::test::workers(run.workers);
  config.mute_senders = run.mute;
  config.budget = run.budget;
  tact::Runtime rt(config);
  auto flow = std::make_shared<Flow>();
  Watchdog watchdog("fan-in with muting", 60s, [flow] { return flow->describe(); });
  std::optional<tact::ActorRef<Gate>> gate;
  if (run.event == Consumer::Event::kPark) gate = rt.spawn<Gate>(kProducers);
  auto consumer = rt.spawn<Consumer>(flow, run.event_at, run.event, gate);
  std::vector<tact::Reply<void>> done;
  std::vector<tact::ActorRef<Producer>> producers;
  for (std::uint32_t p = 0; p < kProducers; ++p) {
    auto [promise, reply] = tact::Promise<void>::make();
    producers.push_back(
        rt.spawn<Producer>(consumer, flow, run.per_producer, gate, std::move(promise)));
    done.push_back(std::move(reply));
  }
  for (auto& producer : producers) producer.tell(Chunk{});
  for (auto& reply : done) reply.get();
  const std::uint64_t total = kProducers * run.per_producer;
  EXPECT_EQ(flow->sent.load(), total);
  if (run.event != Consumer::Event::kStop) {
    // All sent: an ask queued now is answered after every Item.
    EXPECT_TRUE(tact::test::eventually([&] { return flow->received.load() == total; }, 30s))
        << flow->describe();
    EXPECT_EQ(rt.stats().dead_letters, 0u);
  }
  rt.shutdown();
  return flow;
}

class BackpressureWorkers : public ::testing::TestWithParam<std::size_t> {};

TEST(Backpressure, MutedProducersKeepTheBacklogNearOneChunkEach) {
  // One worker: the schedule is the runtime's alone (with two, the OS may stall
  // the consumer's thread mid-turn while producers run on, which no runtime
  // rule can see). Unpaused, the same run's backlog reaches most of what is sent
  // (the control below).
  FanIn run;
  run.workers = 1;
  const auto flow = run_fan_in(run);
  EXPECT_LE(flow->max_backlog.load(), kBacklogBound) << flow->describe();
}

TEST(Backpressure, MutedProducersOnTwoWorkersDeliverEverything) {
  FanIn run;
  run.workers = 2;
  const auto flow = run_fan_in(run);  // checks every Item arrived, within the watchdog
  EXPECT_EQ(flow->received.load(), kProducers * run.per_producer);
}

// A fan-in whose consumer parks or stops once it has handled two chunks (by
// then it has been overloaded and muted producers).
FanIn with_consumer_event(std::size_t workers, Consumer::Event event) {
  FanIn run;
  run.workers = workers;
  run.event_at = kChunk * 2;
  run.event = event;
  return run;
}

TEST_P(BackpressureWorkers, AConsumerThatParksLetsItsMutedProducersFinish) {
  // It awaits the gate, which opens only once every producer sent everything:
  // were they still muted on it, nothing would move (the watchdog fails the test).
  const FanIn run = with_consumer_event(GetParam(), Consumer::Event::kPark);
  EXPECT_EQ(run_fan_in(run)->received.load(), kProducers * run.per_producer);
}

TEST_P(BackpressureWorkers, AConsumerThatStopsLetsItsMutedProducersFinish) {
  const FanIn run = with_consumer_event(GetParam(), Consumer::Event::kStop);
  EXPECT_EQ(run_fan_in(run)->received.load(), run.event_at);
}

TEST_P(BackpressureWorkers, ShutdownWithProducersMutedStopsEveryActor) {
  // Producers that never finish, muted on a consumer that is behind when the
  // runtime shuts down: their Stops wait in muted mailboxes until the consumer
  // catches up or stops, and then every actor must still stop (no hang, no leak
  // under ASan).
  tact::Config config = tact::test::workers(GetParam());
  config.mute_senders = true;
  config.shutdown_drain = 20ms;  // the producers never quiesce: stop them soon after
  auto flow = std::make_shared<Flow>();
  Watchdog watchdog("shutdown with muted producers", 60s, [flow] { return flow->describe(); });
  std::uint64_t spawned = 0;
  std::uint64_t stopped = 0;
  {
    tact::Runtime rt(config);
    auto consumer = rt.spawn<Consumer>(flow, std::uint64_t{0}, Consumer::Event::kNone,
                                       std::nullopt);
    std::vector<tact::Reply<void>> never;  // broken at the stop
    for (std::uint32_t p = 0; p < kProducers; ++p) {
      auto [promise, reply] = tact::Promise<void>::make();
      rt.spawn<Producer>(consumer, flow, std::numeric_limits<std::uint64_t>::max(), std::nullopt,
                         std::move(promise))
          .tell(Chunk{});
      never.push_back(std::move(reply));
    }
    ASSERT_TRUE(tact::test::eventually([&] { return flow->received.load() >= 4 * kChunk; }, 30s))
        << flow->describe();
    rt.shutdown();
    spawned = rt.stats().actors_spawned;
    stopped = rt.stats().actors_stopped;
  }
  EXPECT_EQ(stopped, spawned);
}

INSTANTIATE_TEST_SUITE_P(Workers, BackpressureWorkers, ::testing::Values(1, 2),
                         [](const auto& param_info) {
                           return "Workers" + std::to_string(param_info.param);
                         });

TEST_P(BackpressureWorkers, ABudgetOfOneStillReleasesTheMutedProducers) {
  // Each turn then ends exactly at its budget, often with the mailbox just
  // emptied: the consumer must see that it caught up before it goes idle.
  FanIn run;
  run.workers = GetParam();
  run.budget = 1;
  run.per_producer = static_cast<std::uint64_t>(scaled(5'000));
  const auto flow = run_fan_in(run);
  EXPECT_EQ(flow->received.load(), kProducers * run.per_producer);
}

TEST(Backpressure, WithMutingOffTheSameFanInBacklogGrowsPastTheBound) {
  // The control for the bound above: one worker runs each producer's chunk of
  // 512 tells, then the consumer's turn of `budget` messages, so unpaused the
  // backlog grows by most of a chunk per producer per round.
  FanIn run;
  run.workers = 1;
  run.mute = false;
  const auto flow = run_fan_in(run);
  EXPECT_GT(flow->max_backlog.load(), kBacklogBound) << flow->describe();
}

// A ring of actors each forwarding every token it gets: all are behind at once
// (a small budget), each tells the next; an actor that is behind is never
// muted, so the ring cannot stall.
struct Token {
  std::uint32_t hops_left;
};
class Hop {
 public:
  explicit Hop(std::shared_ptr<std::atomic<std::uint64_t>> finished)
      : finished_(std::move(finished)) {}
  void handle(tact::ActorRef<Hop> next) { next_ = std::move(next); }
  void handle(Token token) {
    if (token.hops_left == 0) {
      finished_->fetch_add(1);
      return;
    }
    next_->tell(Token{token.hops_left - 1});
  }

 private:
  std::shared_ptr<std::atomic<std::uint64_t>> finished_;
  std::optional<tact::ActorRef<Hop>> next_;
};

TEST(Backpressure, ARingOfOverloadedActorsFloodingEachOtherFinishes) {
  tact::Config config = tact::test::workers(2);
  config.mute_senders = true;
  config.budget = 4;
  tact::Runtime rt(config);
  auto finished = std::make_shared<std::atomic<std::uint64_t>>(0);
  Watchdog watchdog("ring under muting", 60s,
                    [finished] { return "finished=" + std::to_string(finished->load()); });
  constexpr std::size_t kActors = 8;
  const auto tokens = static_cast<std::uint64_t>(scaled(20'000));
  constexpr std::uint32_t kHops = 50;
  std::vector<tact::ActorRef<Hop>> ring;
  for (std::size_t a = 0; a < kActors; ++a) ring.push_back(rt.spawn<Hop>(finished));
  for (std::size_t a = 0; a < kActors; ++a) ring[a].tell(ring[(a + 1) % kActors]);
  for (std::uint64_t t = 0; t < tokens; ++t) ring[t % kActors].tell(Token{kHops});
  EXPECT_TRUE(tact::test::eventually([&] { return finished->load() == tokens; }, 50s))
      << "finished=" << finished->load() << " of " << tokens;
  EXPECT_EQ(rt.stats().dead_letters, 0u);
  rt.shutdown();
}

}  // namespace
