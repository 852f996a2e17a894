// rt.metrics(): exact counts per actor class in deterministic scenarios, dead
// letters by class and message type, refusals, failures, the hooks, worker
// time, sampled timings, and Config::metrics = false.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::eventually;
using tact::test::Watchdog;
using tact::test::workers;

struct Inc {
  std::int64_t amount;
};
struct Get {};
struct Boom {};
struct Nap {
  std::chrono::microseconds length;
};

class Counter {
 public:
  static constexpr std::string_view name = "test.counter";
  void handle(Inc msg) { count_ += msg.amount; }
  std::int64_t handle(Get) { return count_; }
  void handle(Boom) { throw std::runtime_error("boom"); }
  void handle(Nap msg) { std::this_thread::sleep_for(msg.length); }

 private:
  std::int64_t count_ = 0;
};

// Named by its type: the compiler's spelling of it.
class Echo {
 public:
  std::int64_t handle(Inc msg) { return msg.amount; }
};

const tact::metrics::ActorClassMetrics* find_class(const tact::metrics::Snapshot& s, std::string_view name) {
  for (const auto& c : s.classes) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::uint64_t messages_of(const tact::Runtime& rt, std::string_view name) {
  const auto s = rt.metrics();
  const auto* c = find_class(s, name);
  return c == nullptr ? 0 : c->messages;
}

TEST(Metrics, CountsMessagesPerClassExactly) {
  Watchdog watchdog("CountsMessagesPerClassExactly", 60s);
  tact::Runtime rt(workers(2));
  auto counter = rt.spawn<Counter>();
  auto echo_a = rt.spawn<Echo>();
  auto echo_b = rt.spawn<Echo>();
  for (int i = 0; i < 1000; ++i) counter.tell(Inc{1});
  EXPECT_EQ(counter.ask(Get{}).get(), 1000);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(echo_a.ask(Inc{i}).get(), i);
    EXPECT_EQ(echo_b.ask(Inc{i}).get(), i);
  }
  // Counted at the end of each turn, just after the last reply was published.
  const std::string echo_name(tact::detail::type_name<Echo>());
  EXPECT_NE(echo_name.find("Echo"), std::string::npos) << echo_name;
  EXPECT_TRUE(eventually([&] { return messages_of(rt, "test.counter") == 1001; }))
      << messages_of(rt, "test.counter");
  EXPECT_TRUE(eventually([&] { return messages_of(rt, echo_name) == 600; })) << messages_of(rt, echo_name);
  const auto s = rt.metrics();
  const auto* c = find_class(s, "test.counter");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->live_actors, 1u);
  EXPECT_GE(c->turns, 1u);
  EXPECT_LE(c->turns, c->messages);
  EXPECT_EQ(find_class(s, echo_name)->live_actors, 2u);
  std::uint64_t worker_turns = 0;
  for (const auto& w : s.workers) worker_turns += w.turns;
  std::uint64_t class_turns = 0;
  for (const auto& k : s.classes) class_turns += k.turns;
  EXPECT_EQ(worker_turns, class_turns);
  EXPECT_EQ(s.workers.size(), 2u);
  EXPECT_EQ(s.sample_period, 256u);
  rt.shutdown();
}

TEST(Metrics, DeadLettersByClassAndMessageTypeAndTheHook) {
  Watchdog watchdog("DeadLettersByClassAndMessageTypeAndTheHook", 60s);
  std::mutex mutex;
  std::vector<std::string> seen;
  tact::Config config = workers(2);
  config.on_dead_letter = [&](std::string_view actor_class, std::string_view message_type) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(std::string(actor_class) + "/" + std::string(message_type));
  };
  tact::Runtime rt(config);
  auto counter = rt.spawn<Counter>();
  counter.stop();
  ASSERT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(counter.tell(Inc{1}));
  EXPECT_THROW(counter.ask(Get{}).get(), tact::ActorStopped);
  const auto s = rt.metrics();
  ASSERT_EQ(s.dead_letters.size(), 2u);
  std::uint64_t inc = 0, get = 0;
  for (const auto& d : s.dead_letters) {
    EXPECT_EQ(d.target_class, "test.counter");
    if (d.message_type.find("Inc") != std::string::npos) inc = d.count;
    if (d.message_type.find("Get") != std::string::npos) get = d.count;
  }
  EXPECT_EQ(inc, 3u);
  EXPECT_EQ(get, 1u);
  EXPECT_EQ(find_class(s, "test.counter")->dead_letters, 4u);
  EXPECT_EQ(rt.stats().dead_letters, 4u);
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].rfind("test.counter/", 0), 0u);
  EXPECT_NE(seen[0].find("Inc"), std::string::npos);
}

TEST(Metrics, FailuresByClassAndTheFailureHook) {
  Watchdog watchdog("FailuresByClassAndTheFailureHook", 60s);
  std::mutex mutex;
  std::string failed_class, what;
  tact::Config config = workers(2);
  config.on_failure = [&](std::string_view actor_class, std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex);
    failed_class = actor_class;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    }
  };
  tact::Runtime rt(config);
  auto counter = rt.spawn<Counter>();
  EXPECT_THROW(counter.ask(Boom{}).get(), tact::HandlerFailed);
  const auto s = rt.metrics();
  EXPECT_EQ(find_class(s, "test.counter")->failures, 1u);
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(failed_class, "test.counter");
  EXPECT_EQ(what, "boom");
}

class Bounded {
 public:
  static constexpr std::size_t mailbox_bound = 4;
  void handle(Nap msg) { std::this_thread::sleep_for(msg.length); }
};

TEST(Metrics, RefusalsAndBoundedMailboxDepth) {
  Watchdog watchdog("RefusalsAndBoundedMailboxDepth", 60s);
  tact::Runtime rt(workers(2));
  auto bounded = rt.spawn<Bounded>();
  ASSERT_TRUE(bounded.tell(Nap{300ms}));  // keeps it busy while the mailbox fills
  const std::string name(tact::detail::type_name<Bounded>());
  std::this_thread::sleep_for(50ms);  // the first Nap is being handled: out of the mailbox
  int accepted = 0, refused = 0;
  for (int i = 0; i < 10; ++i) (bounded.tell(Nap{0us}) ? accepted : refused)++;
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(refused, 6);
  const auto s = rt.metrics();
  const auto* c = find_class(s, name);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->refused, 6u);
  EXPECT_EQ(c->mailbox_depth, 4u);
  EXPECT_EQ(c->mailbox_depth_max, 4u);
  EXPECT_TRUE(eventually([&] { return messages_of(rt, name) == 5; }));
  EXPECT_EQ(find_class(rt.metrics(), name)->mailbox_depth, 0u);
}

TEST(Metrics, SampledHandlerTimesAreTheHandlersOwn) {
  Watchdog watchdog("SampledHandlerTimesAreTheHandlersOwn", 60s);
  tact::Runtime rt(workers(2));
  auto counter = rt.spawn<Counter>();
  auto echo = rt.spawn<Echo>();
  // 1 send in 256 of this thread is sampled: 2560 sends of each kind sample 10.
  for (int i = 0; i < 2560; ++i) counter.tell(Nap{200us});
  for (int i = 0; i < 2560; ++i) echo.tell(Inc{i});
  EXPECT_EQ(counter.ask(Get{}).get(), 0);
  const std::string echo_name(tact::detail::type_name<Echo>());
  ASSERT_TRUE(eventually([&] { return messages_of(rt, echo_name) == 2560; }));
  const auto s = rt.metrics();
  const auto& slow = find_class(s, "test.counter")->handler_ns;
  const auto& fast = find_class(s, echo_name)->handler_ns;
  EXPECT_GE(slow.count, 10u);
  EXPECT_LE(slow.count, 11u);  // (the Get may be sampled too)
  EXPECT_EQ(fast.count, 10u);
  // A sleep of 200 us lasts at least that; the bucket error is 1/32.
  EXPECT_GE(slow.quantile(0.5), 200e3 * (1 - 1.0 / 32));
  EXPECT_LT(slow.quantile(0.5), 50e6);
  // Returning an int: far below the sleeps. The median of the 10 samples, not
  // the top one: a single handler preempted on a loaded machine (TSan, a busy
  // VM) can outlast a 200 us sleep.
  EXPECT_LT(fast.quantile(0.5), 200e3);
  // The Naps queued behind each other: the later ones waited for the earlier.
  EXPECT_GT(find_class(s, "test.counter")->mailbox_wait_ns.quantile(0.99), 1e6);
}

TEST(Metrics, WorkerTimeIsSplitBetweenBusySpinningAndParked) {
  Watchdog watchdog("WorkerTimeIsSplitBetweenBusySpinningAndParked", 60s);
  tact::Runtime rt(workers(2));
  auto counter = rt.spawn<Counter>();
  counter.ask(Nap{20ms}).get();
  std::this_thread::sleep_for(100ms);  // idle: the workers park
  const auto s = rt.metrics();
  double busy = 0, parked = 0, spinning = 0;
  for (const auto& w : s.workers) {
    busy += w.busy_ns;
    parked += w.parked_ns;
    spinning += w.spinning_ns;
    EXPECT_GE(w.spinning_ns, 0);
  }
  EXPECT_GE(busy, 20e6);      // the 20 ms nap ran on one of them
  // The worker that ran the nap spun (Config::spin_before_park, 50 us) before it
  // parked: it was the only searcher then. (A worker that finds the searchers'
  // quota taken parks without spinning.) The spin's first clock read comes after
  // its first look, so allow a little less.
  EXPECT_GE(spinning, 40e3);
  EXPECT_GE(parked, 100e6);   // both slept through most of the 100 ms
  EXPECT_LT(busy + parked, 2 * 60e9);
}

TEST(Metrics, OffCountsNothing) {
  tact::Config config = workers(2);
  config.metrics = false;
  tact::Runtime rt(config);
  auto counter = rt.spawn<Counter>();
  for (int i = 0; i < 100; ++i) counter.tell(Inc{1});
  EXPECT_EQ(counter.ask(Get{}).get(), 100);
  const auto s = rt.metrics();
  EXPECT_TRUE(s.classes.empty());
  EXPECT_TRUE(s.workers.empty());
  EXPECT_EQ(s.sample_period, 0u);
  EXPECT_EQ(rt.stats().dead_letters, 0u);
}

}  // namespace

namespace {

class Sleeper {
 public:
  static constexpr std::string_view name = "test.sleeper";
  void handle(Nap msg) { std::this_thread::sleep_for(msg.length); }
  void handle(Inc) {}
};

struct SlowReports {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::chrono::nanoseconds>> seen;
  std::atomic<bool> handler_done{false};
  bool reported_while_running = false;
};

tact::Config watched(SlowReports& reports) {
  tact::Config config = workers(2);
  config.slow_handler = 50ms;
  config.on_slow_handler = [&reports](std::string_view actor_class, std::chrono::nanoseconds running) {
    std::lock_guard<std::mutex> lock(reports.mutex);
    reports.seen.emplace_back(std::string(actor_class), running);
    if (!reports.handler_done.load()) reports.reported_while_running = true;
  };
  return config;
}

TEST(SlowHandler, ReportedWhileItStillRuns) {
  Watchdog watchdog("SlowHandler.ReportedWhileItStillRuns", 60s);
  SlowReports reports;
  tact::Runtime rt(watched(reports));
  auto sleeper = rt.spawn<Sleeper>();
  sleeper.ask(Nap{400ms}).get();
  reports.handler_done = true;
  const auto s = rt.metrics();
  std::lock_guard<std::mutex> lock(reports.mutex);
  ASSERT_EQ(reports.seen.size(), 1u);  // once per turn
  EXPECT_EQ(reports.seen[0].first, "test.sleeper");
  EXPECT_GE(reports.seen[0].second, 50ms);
  EXPECT_LT(reports.seen[0].second, 400ms);
  EXPECT_TRUE(reports.reported_while_running);
  EXPECT_EQ(s.slow_handlers, 1u);
}

TEST(SlowHandler, NotForFastHandlers) {
  Watchdog watchdog("SlowHandler.NotForFastHandlers", 60s);
  SlowReports reports;
  tact::Runtime rt(watched(reports));
  std::vector<tact::ActorRef<Sleeper>> sleepers;
  for (int i = 0; i < 8; ++i) sleepers.push_back(rt.spawn<Sleeper>());
  // ~300 ms of steady traffic of quick handlers (and a few 5 ms ones), longer
  // than the limit in total but never in one turn.
  const auto until = std::chrono::steady_clock::now() + 300ms;
  int round = 0;
  while (std::chrono::steady_clock::now() < until) {
    for (auto& s : sleepers) s.tell(Inc{1});
    if (++round % 50 == 0) sleepers[0].tell(Nap{5ms});
    sleepers[static_cast<std::size_t>(round % 8)].ask(Inc{1}).get();
  }
  std::this_thread::sleep_for(100ms);  // the watchdog looks a few more times
  std::lock_guard<std::mutex> lock(reports.mutex);
  EXPECT_TRUE(reports.seen.empty()) << reports.seen.size() << " reports, first: " << reports.seen[0].first;
  EXPECT_EQ(rt.metrics().slow_handlers, 0u);
}

}  // namespace
