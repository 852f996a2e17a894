// ctx.blocking(f): blocking work on the runtime's blocking pool, off the workers.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
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

// Outcomes of jobs whose Replies a handler consumed with then().
struct Outcomes {
  std::mutex mutex;
  std::vector<int> values;
  std::vector<std::exception_ptr> errors;
  void record(tact::Outcome<int> o) {
    std::lock_guard<std::mutex> lock(mutex);
    if (o.has_value()) {
      values.push_back(o.value());
    } else {
      errors.push_back(o.error());
    }
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex);
    return values.size() + errors.size();
  }
};

struct Await {
  std::function<int()> f;
};
struct Submit {
  std::function<int()> f;
  Outcomes* sink;
};
struct Ping {};

class User {
 public:
  tact::Task<int> handle(Await job, tact::Context<User>& ctx) {
    co_return co_await ctx.blocking(std::move(job.f));
  }
  void handle(Submit job, tact::Context<User>& ctx) {
    ctx.blocking(std::move(job.f)).then([sink = job.sink](tact::Outcome<int> o) { sink->record(std::move(o)); });
  }
  int handle(Ping) { return 1; }
};

int threads_in_process() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "Threads:") {
      int n = 0;
      status >> n;
      return n;
    }
  }
  return -1;
}

TEST(Blocking, AwaitsTheResultAndRunsOffTheWorkers) {
  tact::Runtime rt(workers(1));
  auto user = rt.spawn<User>();
  auto other = rt.spawn<User>();
  // Reply::get() throws WouldBlockWorker on a worker: here it may wait.
  const int got = user.ask(Await{[other] { return other.ask(Ping{}).get() + 41; }}).get();
  EXPECT_EQ(got, 42);
}

TEST(Blocking, TheExceptionIsTheRepliesErrorAsThrown) {
  tact::Runtime rt(workers(1));
  auto user = rt.spawn<User>();
  Outcomes sink;
  user.tell(Submit{[]() -> int { throw std::out_of_range("no such row"); }, &sink});
  ASSERT_TRUE(eventually([&] { return sink.size() == 1; }));
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_THROW(std::rethrow_exception(sink.errors[0]), std::out_of_range);
  // Awaited: the coroutine sees it; it escapes the handler, which fails the actor
  // and answers HandlerFailed carrying it.
  try {
    (void)user.ask(Await{[]() -> int { throw std::out_of_range("again"); }}).get();
    FAIL() << "no error";
  } catch (const tact::HandlerFailed& e) {
    EXPECT_THROW(std::rethrow_exception(e.cause()), std::out_of_range);
  }
}

TEST(Blocking, ABlockingCallDoesNotStallTheOnlyWorker) {
  Watchdog watchdog("blocking stall", 30s);
  tact::Runtime rt(workers(1));
  auto slow = rt.spawn<User>();
  auto fast = rt.spawn<User>();
  std::atomic<bool> release{false};
  std::atomic<bool> entered{false};
  Outcomes sink;
  slow.tell(Submit{[&release, &entered] {
                     entered.store(true);
                     while (!release.load()) std::this_thread::sleep_for(1ms);
                     return 7;
                   },
                   &sink});
  ASSERT_TRUE(eventually([&] { return entered.load(); }));  // it blocks now
  // With the worker stalled these would wait for the release (never: the
  // watchdog would fail the test); they do not.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(fast.ask(Ping{}).get(), 1);
  EXPECT_EQ(slow.ask(Ping{}).get(), 1);  // the submitting actor is free too
  EXPECT_EQ(sink.size(), 0u);            // and the job still blocks
  release.store(true);
  ASSERT_TRUE(eventually([&] { return sink.size() == 1; }));
  EXPECT_EQ(sink.values, std::vector<int>{7});
}

TEST(Blocking, ThreadsStartOnFirstUseOnly) {
  const int before = threads_in_process();
  tact::Config config = workers(1);
  config.blocking_threads = 2;
  tact::Runtime rt(config);
  auto user = rt.spawn<User>();
  EXPECT_EQ(user.ask(Ping{}).get(), 1);
  const int idle_runtime = threads_in_process();
  EXPECT_LE(idle_runtime - before, 2);  // a worker (and perhaps a timer thread), no pool
  EXPECT_EQ(user.ask(Await{[] { return 3; }}).get(), 3);
  EXPECT_EQ(threads_in_process(), idle_runtime + 1);  // one job: one thread
}

TEST(Blocking, AFullQueueAnswersMailboxFull) {
  tact::Config config = workers(1);
  config.blocking_threads = 1;
  config.blocking_queue = 1;
  tact::Runtime rt(config);
  auto user = rt.spawn<User>();
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  Outcomes sink;
  auto wait = [&release, &started] {
    started.fetch_add(1);
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return 1;
  };
  user.tell(Submit{wait, &sink});  // runs
  ASSERT_TRUE(eventually([&] { return started.load() == 1; }));
  user.tell(Submit{wait, &sink});  // queued
  user.tell(Submit{wait, &sink});  // refused
  ASSERT_TRUE(eventually([&] { return sink.size() == 1; }));
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_THROW(std::rethrow_exception(sink.errors[0]), tact::MailboxFull);
  release.store(true);
  ASSERT_TRUE(eventually([&] { return sink.size() == 3; }));
  EXPECT_EQ(sink.values, (std::vector<int>{1, 1}));
}

TEST(Blocking, ShutdownCancelsQueuedJobsAndWaitsForRunningOnes) {
  Outcomes sink;
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  std::thread releaser;
  {
    tact::Config config = workers(1);
    config.blocking_threads = 1;
    config.shutdown_drain = 50ms;  // the drain would wait for the blocking work
    config.blocking_shutdown_wait = 30s;
    tact::Runtime rt(config);
    auto user = rt.spawn<User>();
    user.tell(Submit{[&] {
                       started.fetch_add(1);
                       while (!release.load()) std::this_thread::sleep_for(1ms);
                       return 5;
                     },
                     &sink});
    ASSERT_TRUE(eventually([&] { return started.load() == 1; }));
    user.tell(Submit{[] { return 6; }, &sink});  // queued behind the running one
    ASSERT_TRUE(eventually([&] { return user.ask(Ping{}).get() == 1; }));
    // Released once shutdown has cancelled the queued job: shutdown is then
    // waiting for this one (blocking_shutdown_wait is long here).
    releaser = std::thread([&] {
      while (sink.size() == 0) std::this_thread::sleep_for(1ms);
      release.store(true);
    });
    rt.shutdown();  // cancels the queued job, waits for the running one
    EXPECT_EQ(sink.size(), 2u);
  }
  releaser.join();
  ASSERT_EQ(sink.values, std::vector<int>{5});
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_THROW(std::rethrow_exception(sink.errors[0]), tact::ActorStopped);
}

TEST(Blocking, AJobThatNeverReturnsDoesNotHangShutdown) {
  Watchdog watchdog("blocking shutdown", 30s);
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto sink = std::make_shared<Outcomes>();
  auto started = std::make_shared<std::atomic<int>>(0);
  const auto start = std::chrono::steady_clock::now();
  {
    tact::Config config = workers(1);
    config.shutdown_drain = 50ms;
    config.blocking_shutdown_wait = 100ms;
    tact::Runtime rt(config);
    auto user = rt.spawn<User>();
    user.tell(Submit{[release, started] {
                       started->fetch_add(1);
                       while (!release->load()) std::this_thread::sleep_for(1ms);
                       return 9;
                     },
                     sink.get()});
    ASSERT_TRUE(eventually([&] { return started->load() == 1; }));
  }  // ~Runtime: shutdown gives up waiting and leaves the job its thread
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(sink->size(), 0u);
  release->store(true);  // the job finishes after the runtime is gone
  ASSERT_TRUE(eventually([&] { return sink->size() == 1; }));
  EXPECT_EQ(sink->values, std::vector<int>{9});
}

}  // namespace
