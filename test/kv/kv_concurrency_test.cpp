// Many clients at once: INCR from concurrent connections loses no increment, and
// each client's pipelined replies stay its own and in order.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kv_test_support.hpp"
#include "support/watchdog.hpp"

namespace kv::test {
namespace {

using tact::test::Watchdog;
using tact::test::scaled;

void concurrent_incr(const std::vector<std::string>& server_args) {
  KvProcess server(server_args);
  constexpr int kClients = 16;
  const long per_client = scaled(4000);
  constexpr int kPipeline = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      RespClient c(server.port());
      const std::string own = "own:" + std::to_string(t);
      std::string burst;
      for (int i = 0; i < kPipeline; ++i) burst += RespClient::encode({"INCR", "shared"});
      burst += RespClient::encode({"INCR", own});
      long last_own = 0;
      for (long done = 0; done < per_client; done += kPipeline) {
        c.send_raw(burst);
        long previous = -1;
        for (int i = 0; i < kPipeline; ++i) {
          auto reply = c.read_reply();
          // The shared counter only grows, as this client sees it.
          const long value = reply && (*reply)[0] == ':' ? std::stol(reply->substr(1)) : -1;
          if (value <= previous) failures.fetch_add(1, std::memory_order_relaxed);
          previous = value;
        }
        auto own_reply = c.read_reply();
        if (!own_reply || *own_reply != ":" + std::to_string(++last_own)) {
          failures.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  const long rounds = (per_client + kPipeline - 1) / kPipeline;
  RespClient check(server.port());
  EXPECT_EQ(check.call({"GET", "shared"}), std::to_string(kClients * rounds * kPipeline));
}

// Two I/O threads drive the runtime (the default): a shard woken by one may
// run there answering the other's batch; the answers cross threads.
TEST(KvConcurrency, IncrFromManyClientsLosesNothing) {
  Watchdog dog("concurrent INCR", std::chrono::seconds(240));
  concurrent_incr({"--io-threads", "2", "--shards", "4", "--workers", "2"});
}

// The workers run every shard turn (no I/O thread drives the runtime): the
// other path for answers to come back on.
TEST(KvConcurrency, IncrWithTheWorkersRunningTheShards) {
  Watchdog dog("concurrent INCR, shards on the workers", std::chrono::seconds(240));
  concurrent_incr({"--io-threads", "2", "--shards", "4", "--workers", "2", "--io-runs-shards", "0"});
}

// The I/O threads sleep in epoll_wait as soon as they are idle (no polling
// first): every answer and request then comes through a wake-up.
TEST(KvConcurrency, IncrWithTheIoThreadsSleepingAtOnce) {
  Watchdog dog("concurrent INCR, no polling", std::chrono::seconds(240));
  concurrent_incr({"--io-threads", "2", "--shards", "4", "--workers", "2", "--io-poll-us", "0"});
}

TEST(KvConcurrency, IncrWithOneOfEverything) {
  Watchdog dog("concurrent INCR, 1 thread each", std::chrono::seconds(240));
  concurrent_incr({"--io-threads", "1", "--shards", "1", "--workers", "1"});
}

}  // namespace
}  // namespace kv::test
