// What a durable ask says when the NATS server under it is SIGKILLed: its
// OwnershipLost names the cause (nats.c's text and what it likely means), not
// just "in time"; and once the server is back, the same request id is applied
// once. One server (R1) of this test's own, so no other test loses its store.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "durable/account.hpp"
#include "durable/store_error.hpp"
#include "nats/nats_server.hpp"
#include "support/watchdog.hpp"
#include "tact/nats/durable.hpp"
#include "tact/tact.hpp"

namespace {

using namespace tact::test::durable_account;
using Clock = std::chrono::steady_clock;

// JetStream answers a moment after the server starts: connect until it does.
std::unique_ptr<tact::nats::DurableHost> open_host(tact::Runtime& rt, const tact::nats::DurableOptions& options) {
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    try {
      return std::make_unique<tact::nats::DurableHost>(rt, options);
    } catch (const tact::Error&) {
      if (Clock::now() > give_up) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

TEST(DurableErrorCause, AnAskCutOffByANatsServerKillSaysWhy) {
  tact::test::Watchdog dog("nats kill cause", std::chrono::seconds(60));
  char dir[] = "/tmp/tact-js-cause-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  tact::test::NatsServer::Options server_options;
  server_options.name = "cause";
  server_options.store_dir = std::string(dir) + "/js";
  auto server = std::make_unique<tact::test::NatsServer>(server_options);
  server_options.port = server->port();  // the restart comes back on it

  tact::Runtime rt;
  tact::nats::DurableOptions options;
  options.servers = {server->url()};
  options.cluster = "cause";
  options.node = "n1";
  options.replicas = 1;
  options.lease = std::chrono::milliseconds(3000);
  options.append_timeout = std::chrono::milliseconds(1500);
  options.ask_timeout = std::chrono::milliseconds(15000);
  auto host = open_host(rt, options);
  auto account = host->get<Account>("account/cause");
  EXPECT_EQ(account.ask(Deposit{5}).get(), 5);

  server->kill();
  const auto killed = Clock::now();
  std::string what;
  try {
    (void)account.ask(Deposit{1}, "op-cut").get();
    ADD_FAILURE() << "answered with no NATS server";
  } catch (const tact::nats::OwnershipLost& e) {
    what = e.what();
  }
  std::printf("the ask's error: %s\n", what.c_str());
  EXPECT_TRUE(contains(what, "did not confirm the write of 'account/cause'")) << what;
  EXPECT_TRUE(contains(what, "the connection to NATS is down")) << what;
  EXPECT_LT(Clock::now() - killed, std::chrono::seconds(10));

  // Back on its port with its files: the same id again is applied once.
  server = std::make_unique<tact::test::NatsServer>(server_options);
  EXPECT_EQ(account.ask(Deposit{1}, "op-cut").get(), 6);
  EXPECT_EQ(account.ask(Deposit{1}, "op-cut").get(), 6);
  EXPECT_EQ(account.ask(Balance{}).get(), 6);
  host.reset();
  server.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

TEST(DurableErrorCause, StoreErrorsSayWhatTheyLikelyMean) {
  using tact::nats::durable::describe;
  using tact::nats::durable::StoreError;
  EXPECT_EQ(describe(StoreError{}), "no error");
  const std::string no_leader = describe(StoreError{NATS_NO_RESPONDERS, 0, "No responders available for request"});
  EXPECT_TRUE(contains(no_leader, "No responders available for request")) << no_leader;
  EXPECT_TRUE(contains(no_leader, "has no leader")) << no_leader;
  const std::string fenced = describe(StoreError{NATS_ERR, 10071, "wrong last sequence: 7"});
  EXPECT_TRUE(contains(fenced, "wrong last sequence: 7 (JetStream error 10071)")) << fenced;
  StoreError cut{NATS_TIMEOUT, 0, "Timeout"};
  cut.disconnected = true;
  EXPECT_TRUE(contains(describe(cut), "the connection to NATS is down")) << describe(cut);
}

}  // namespace
