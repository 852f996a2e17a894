// Supervision: children restarted in their own cell (same address, same
// mailbox), strategies, intensity, backoff, escalation.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <tact/tact.hpp>

#include "support/down_log.hpp"
#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::DownLog;
using tact::test::DownRecorder;
using tact::test::eventually;
using tact::test::WatchIt;
using tact::test::workers;
using Clock = std::chrono::steady_clock;

struct Get {};    // which incarnation answers (1, 2, ...)
struct Count {};  // per-object state: restarts from 1 in a fresh object
struct Fail {};
struct StopNow {};

// What the children of one test did, per child index.
struct Probe {
  std::array<std::atomic<int>, 8> builds{};
  std::array<std::atomic<int>, 8> stops{};
  std::mutex mutex;
  std::vector<Clock::time_point> starts;  // on_start times, child 0
};

class Worker {
 public:
  Worker(int index, Probe* probe, bool fail_first_start = false)
      : index_(index), probe_(probe), generation_(++probe->builds[static_cast<std::size_t>(index)]),
        fail_start_(fail_first_start && generation_ == 1) {}
  void on_start() {
    if (index_ == 0) {
      std::lock_guard<std::mutex> lock(probe_->mutex);
      probe_->starts.push_back(Clock::now());
    }
    if (fail_start_) throw std::runtime_error("on_start failed");
  }
  void on_stop() { ++probe_->stops[static_cast<std::size_t>(index_)]; }
  int handle(Get) const { return generation_; }
  int handle(Count) { return ++count_; }
  void handle(Fail) { throw std::runtime_error("worker failed"); }
  void handle(StopNow, tact::Context<Worker>& ctx) { ctx.stop(); }

 private:
  int index_;
  Probe* probe_;
  int generation_;
  bool fail_start_;
  int count_ = 0;
};

tact::ActorRef<Worker> start(const tact::ActorRef<tact::Supervisor>& sup, int index, Probe* probe,
                             bool fail_first_start = false) {
  return sup.ask(tact::StartChild{[=] { return Worker(index, probe, fail_first_start); }}).get();
}

tact::SupervisorStats stats(const tact::ActorRef<tact::Supervisor>& sup) {
  return sup.ask(tact::GetSupervisorStats{}).get();
}

tact::SupervisorSpec one_for_one(int max_restarts = 10) {
  return tact::SupervisorSpec{.strategy = tact::Restart::one_for_one, .max_restarts = max_restarts};
}

TEST(Supervisor, ARestartedChildKeepsItsAddressWithAFreshObject) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  auto sup = rt.spawn<tact::Supervisor>(one_for_one());
  tact::ActorRef<Worker> w = start(sup, 0, &probe);
  EXPECT_EQ(w.ask(Count{}).get(), 1);
  EXPECT_EQ(w.ask(Count{}).get(), 2);
  EXPECT_THROW(w.ask(Fail{}).get(), tact::HandlerFailed);  // the failing ask still resolves
  EXPECT_EQ(w.ask(Count{}).get(), 1);                     // the same ref: a fresh object
  EXPECT_EQ(w.ask(Get{}).get(), 2);
  EXPECT_EQ(probe.stops[0].load(), 1);  // on_stop ran for the failed object
  tact::SupervisorStats s = stats(sup);
  EXPECT_EQ(s.restarts, 1u);
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.children, 1u);
  EXPECT_EQ(rt.stats().actors_failed, 0u);  // a restart is not a stop
}

TEST(Supervisor, MessagesQueuedBehindTheFailureOrSentDuringTheRestartReachTheNewObject) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  tact::SupervisorSpec spec = one_for_one();
  spec.backoff = {50ms, 50ms};
  auto sup = rt.spawn<tact::Supervisor>(spec);
  auto w = start(sup, 0, &probe);
  w.tell(Fail{});
  std::vector<tact::Reply<int>> replies;
  for (int i = 0; i < 100; ++i) replies.push_back(w.ask(Get{}));
  std::this_thread::sleep_for(10ms);  // inside the backoff: more mail for the parked child
  for (int i = 0; i < 100; ++i) replies.push_back(w.ask(Get{}));
  for (auto& reply : replies) EXPECT_EQ(reply.get(), 2);
  EXPECT_EQ(rt.stats().dead_letters, 0u);
}

TEST(Supervisor, BackoffDelaysTheRestart) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  tact::SupervisorSpec spec = one_for_one();
  spec.backoff = {150ms, 1s};
  auto sup = rt.spawn<tact::Supervisor>(spec);
  auto w = start(sup, 0, &probe);
  w.ask(Get{}).get();
  const auto failed_at = Clock::now();
  w.tell(Fail{});
  EXPECT_EQ(w.ask(Get{}).get(), 2);
  std::lock_guard<std::mutex> lock(probe.mutex);
  ASSERT_EQ(probe.starts.size(), 2u);
  const auto waited = probe.starts[1] - failed_at;
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 10s);  // loose: the machine is noisy
}

TEST(Supervisor, BackoffDoublesForRepeatedFailures) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  tact::SupervisorSpec spec = one_for_one();
  spec.backoff = {40ms, 1s};
  auto sup = rt.spawn<tact::Supervisor>(spec);
  auto w = start(sup, 0, &probe);
  for (int i = 0; i < 3; ++i) {
    w.tell(Fail{});
    EXPECT_EQ(w.ask(Get{}).get(), i + 2);
  }
  std::lock_guard<std::mutex> lock(probe.mutex);
  ASSERT_EQ(probe.starts.size(), 4u);
  EXPECT_GE(probe.starts[3] - probe.starts[2], 160ms);  // 40, 80, 160
}

// Three children; the middle one fails. Which were rebuilt?
std::array<int, 3> generations_after_middle_fails(tact::Restart strategy,
                                                  std::uint64_t expected_restarts) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  auto sup = rt.spawn<tact::Supervisor>(
      tact::SupervisorSpec{.strategy = strategy, .max_restarts = 10});
  std::array<tact::ActorRef<Worker>, 3> w{start(sup, 0, &probe), start(sup, 1, &probe),
                                          start(sup, 2, &probe)};
  w[1].tell(Fail{});
  EXPECT_TRUE(eventually([&] { return stats(sup).restarts == expected_restarts; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(stats(sup).restarts, expected_restarts);
  return {w[0].ask(Get{}).get(), w[1].ask(Get{}).get(), w[2].ask(Get{}).get()};
}

TEST(Supervisor, OneForOneRestartsOnlyTheFailedChild) {
  EXPECT_EQ(generations_after_middle_fails(tact::Restart::one_for_one, 1),
            (std::array<int, 3>{1, 2, 1}));
}

TEST(Supervisor, OneForAllRestartsEveryChild) {
  EXPECT_EQ(generations_after_middle_fails(tact::Restart::one_for_all, 3),
            (std::array<int, 3>{2, 2, 2}));
}

TEST(Supervisor, RestForOneRestartsTheFailedChildAndThoseStartedAfterIt) {
  EXPECT_EQ(generations_after_middle_fails(tact::Restart::rest_for_one, 2),
            (std::array<int, 3>{1, 2, 2}));
}

TEST(Supervisor, PassingTheIntensityEscalatesTheSupervisorFailsAndItsChildrenStop) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  DownLog log;
  auto watcher = rt.spawn<DownRecorder>(&log);
  auto sup = rt.spawn<tact::Supervisor>(
      tact::SupervisorSpec{.strategy = tact::Restart::one_for_one, .max_restarts = 2, .within = 10s});
  auto w = start(sup, 0, &probe);
  auto sibling = start(sup, 1, &probe);
  watcher.ask(WatchIt{sup}).get();
  watcher.ask(WatchIt{sibling}).get();
  for (int i = 0; i < 2; ++i) {
    w.tell(Fail{});
    EXPECT_EQ(w.ask(Get{}).get(), i + 2);
  }
  w.tell(Fail{});  // the third within 10 s: too many
  ASSERT_TRUE(eventually([&] { return log.size() == 2; }));
  bool saw_supervisor = false;
  for (std::size_t i = 0; i < 2; ++i) {
    tact::Down down = log.at(i);
    if (down.who == sup) {
      saw_supervisor = true;
      EXPECT_EQ(down.reason, tact::ExitReason::failed);
      EXPECT_THROW(std::rethrow_exception(down.error), tact::RestartLimitExceeded);
    } else {
      EXPECT_TRUE(down.who == sibling);
      EXPECT_EQ(down.reason, tact::ExitReason::shutdown);
    }
  }
  EXPECT_TRUE(saw_supervisor);
  EXPECT_THROW(w.ask(Get{}).get(), tact::ActorStopped);
  EXPECT_THROW(sibling.ask(Get{}).get(), tact::ActorStopped);
}

TEST(Supervisor, AChildThatStopsNormallyIsNotRestartedAndIsForgotten) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  auto sup = rt.spawn<tact::Supervisor>(one_for_one());
  auto w = start(sup, 0, &probe);
  w.ask(StopNow{}).get();
  EXPECT_TRUE(eventually([&] { return stats(sup).children == 0; }));
  EXPECT_EQ(stats(sup).restarts, 0u);
  EXPECT_THROW(w.ask(Get{}).get(), tact::ActorStopped);
}

TEST(Supervisor, AFailingOnStartIsRestartedToo) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  auto sup = rt.spawn<tact::Supervisor>(one_for_one());
  auto w = start(sup, 0, &probe, /*fail_first_start=*/true);
  EXPECT_EQ(w.ask(Get{}).get(), 2);
  EXPECT_EQ(stats(sup).restarts, 1u);
}

TEST(Supervisor, AFactoryThatThrowsOnRestartCountsAsAFailure) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  DownLog log;
  auto watcher = rt.spawn<DownRecorder>(&log);
  auto sup = rt.spawn<tact::Supervisor>(
      tact::SupervisorSpec{.strategy = tact::Restart::one_for_one, .max_restarts = 3, .within = 10s});
  watcher.ask(WatchIt{sup}).get();
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto w = sup.ask(tact::StartChild{[calls, p = &probe] {
                if (calls->fetch_add(1) > 0) throw std::runtime_error("factory failed");
                return Worker(0, p);
              }}).get();
  w.tell(Fail{});
  ASSERT_TRUE(eventually([&] { return log.size() == 1; }));
  EXPECT_EQ(log.at(0).reason, tact::ExitReason::failed);
  EXPECT_THROW(std::rethrow_exception(log.at(0).error), tact::RestartLimitExceeded);
  EXPECT_EQ(calls->load(), 4);  // the first object, then 3 failed rebuilds
  EXPECT_THROW(w.ask(Get{}).get(), tact::ActorStopped);
}

TEST(Supervisor, AFactoryThatThrowsAtTheStartGivesAnEmptyRefAndTheSupervisorCarriesOn) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  auto sup = rt.spawn<tact::Supervisor>(one_for_one());
  tact::ActorRef<Worker> none = sup.ask(tact::StartChild{[]() -> Worker {
                                      throw std::runtime_error("no");
                                    }}).get();
  EXPECT_FALSE(none);
  auto w = start(sup, 0, &probe);
  EXPECT_EQ(w.ask(Get{}).get(), 1);
  EXPECT_EQ(stats(sup).children, 1u);
}

TEST(Supervisor, ARestartKeepsRegistryNamesAndWatchersSeeNoDown) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  DownLog log;
  auto watcher = rt.spawn<DownRecorder>(&log);
  auto sup = rt.spawn<tact::Supervisor>(one_for_one());
  auto w = start(sup, 0, &probe);
  ASSERT_TRUE(rt.register_name("worker", w));
  watcher.ask(WatchIt{w}).get();
  w.tell(Fail{});
  EXPECT_EQ(w.ask(Get{}).get(), 2);
  auto found = rt.lookup<Worker>("worker");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->ask(Get{}).get(), 2);
  EXPECT_EQ(log.size(), 0u);
  w.ask(StopNow{}).get();  // a stop for good: now the watcher hears
  ASSERT_TRUE(eventually([&] { return log.size() == 1; }));
  EXPECT_EQ(log.at(0).reason, tact::ExitReason::normal);
}

TEST(Supervisor, AnEscalatingChildSupervisorIsRestartedByItsParentAtTheSameAddress) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  auto parent = rt.spawn<tact::Supervisor>(one_for_one());
  tact::SupervisorSpec strict{.strategy = tact::Restart::one_for_one, .max_restarts = 0};
  tact::ActorRef<tact::Supervisor> child_sup =
      parent.ask(tact::StartChild{[strict] { return tact::Supervisor(strict); }}).get();
  auto w = start(child_sup, 0, &probe);
  w.tell(Fail{});  // one failure is too many for `strict`: it gives up
  EXPECT_TRUE(eventually([&] { return stats(parent).restarts == 1; }));
  EXPECT_EQ(stats(child_sup).children, 0u);  // the same ref answers: a fresh supervisor
  EXPECT_THROW(w.ask(Get{}).get(), tact::ActorStopped);
  EXPECT_EQ(probe.stops[0].load(), 1);
}

TEST(Supervisor, KillingAChildWaitingForItsRestartStopsItForGood) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  DownLog log;
  auto watcher = rt.spawn<DownRecorder>(&log);
  tact::SupervisorSpec spec = one_for_one();
  spec.backoff = {30s, 30s};
  auto sup = rt.spawn<tact::Supervisor>(spec);
  auto w = start(sup, 0, &probe);
  watcher.ask(WatchIt{w}).get();
  w.tell(Fail{});
  auto queued = w.ask(Get{});
  EXPECT_TRUE(eventually([&] { return stats(sup).failures == 1; }));  // parked, backing off
  w.kill();
  ASSERT_TRUE(eventually([&] { return log.size() == 1; }));
  EXPECT_EQ(log.at(0).reason, tact::ExitReason::killed);
  EXPECT_THROW(queued.get(), tact::ActorStopped);
  EXPECT_TRUE(eventually([&] { return stats(sup).children == 0; }));
  EXPECT_EQ(probe.builds[0].load(), 1);
}

TEST(Supervisor, StoppingAChildFromOutsideIsAStopForGood) {
  Probe probe;  // outlives rt: the children's on_stop at shutdown writes to it
  tact::Runtime rt(workers(2));
  auto sup = rt.spawn<tact::Supervisor>(one_for_one());
  auto w = start(sup, 0, &probe);
  w.stop();
  EXPECT_TRUE(eventually([&] { return stats(sup).children == 0; }));
  EXPECT_EQ(stats(sup).restarts, 0u);
}

// A restart drops the coroutines the failed object left awaiting with
// interleaving: one still waiting, one whose reply is queued behind the failure.
struct Hold {};
class Holder {
 public:
  explicit Holder(std::shared_ptr<std::vector<tact::Promise<int>>> promises)
      : promises_(std::move(promises)) {}
  tact::Delegated<int> handle(Hold, tact::Context<Holder>& ctx) {
    promises_->push_back(ctx.promise<int>());
    return {};
  }
  int handle(Get) const { return static_cast<int>(promises_->size()); }
  void handle(Count) {  // answers the latest Hold only
    promises_->back().set_value(5);
    promises_->pop_back();
  }

 private:
  std::shared_ptr<std::vector<tact::Promise<int>>> promises_;
};
struct AwaitHolder {};
struct Sleep {};
class Awaiter {
 public:
  Awaiter(tact::ActorRef<Holder> holder, std::atomic<int>* frames) : holder_(std::move(holder)), frames_(frames) {}
  tact::Task<int> handle(AwaitHolder) {
    struct FrameCounter {
      std::atomic<int>* frames;
      ~FrameCounter() { frames->fetch_add(1); }
    } counter{frames_};
    const int v = co_await tact::interleaved(holder_.ask(Hold{}));
    co_return v + generation_;
  }
  void handle(Sleep) { std::this_thread::sleep_for(50ms); }
  void handle(Fail) { throw std::runtime_error("awaiter failed"); }
  int handle(Get) const { return generation_; }

 private:
  tact::ActorRef<Holder> holder_;
  std::atomic<int>* frames_;
  int generation_ = 1;
};

TEST(Supervisor, ARestartDropsTheInterleavedCoroutinesOfTheFailedObject) {
  tact::Runtime rt(workers(2));
  auto promises = std::make_shared<std::vector<tact::Promise<int>>>();
  auto holder = rt.spawn<Holder>(promises);
  std::atomic<int> frames{0};
  auto sup = rt.spawn<tact::Supervisor>(one_for_one());
  auto awaiter = sup.ask(tact::StartChild{[&] { return Awaiter(holder, &frames); }}).get();
  auto waiting = awaiter.ask(AwaitHolder{});
  auto in_flight = awaiter.ask(AwaitHolder{});
  EXPECT_TRUE(eventually([&] { return holder.ask(Get{}).get() == 2; }));
  awaiter.tell(Sleep{});  // busy: the replies below queue behind the failure
  awaiter.tell(Fail{});
  holder.ask(Count{}).get();  // answers `in_flight`: its resumption queues behind Fail
  EXPECT_THROW((void)waiting.get(), tact::ActorStopped);
  EXPECT_THROW((void)in_flight.get(), tact::ActorStopped);
  EXPECT_EQ(awaiter.ask(Get{}).get(), 1);  // the new object, alive and well
  EXPECT_TRUE(eventually([&] { return frames.load() == 2; }));
  EXPECT_EQ(stats(sup).restarts, 1u);
}

TEST(Supervisor, ShutdownWithARestartPendingCompletesAndResolvesTheQueuedAsks) {
  tact::test::Watchdog watchdog("shutdown with a restart pending", std::chrono::seconds(60));
  Probe probe;
  tact::Reply<int> pending;
  const auto begin = Clock::now();
  {
    tact::Runtime rt(workers(2));
    tact::SupervisorSpec spec = one_for_one();
    spec.backoff = {30s, 30s};
    auto sup = rt.spawn<tact::Supervisor>(spec);
    auto w = start(sup, 0, &probe);
    w.tell(Fail{});
    pending = w.ask(Get{});
    std::this_thread::sleep_for(20ms);
    rt.shutdown();
  }
  EXPECT_THROW(pending.get(), tact::ActorStopped);
  EXPECT_LT(Clock::now() - begin, 20s);
  EXPECT_EQ(probe.builds[0].load(), 1);
}

}  // namespace
