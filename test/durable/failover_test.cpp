// Fail-over of a durable actor whose node process is SIGKILLed: the next ask
// from another node waits for the lease to lapse, takes the actor over with
// every acknowledged effect, and is answered within its deadline.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "durable/account.hpp"
#include "durable/store_fixture.hpp"
#include "support/watchdog.hpp"
#include "tact/tact.hpp"

namespace {

using namespace tact::test::durable_account;
using Clock = std::chrono::steady_clock;

class FailoverTest : public tact::test::DurableStoreTest {
 protected:
  void SetUp() override { (void)store(); }
};

TEST_F(FailoverTest, ASigkilledOwnersActorIsTakenOverWithItsState) {
  tact::test::Watchdog dog("failover", std::chrono::seconds(90));
  constexpr int kLeaseMs = 2000;
  const std::string account = "account/victim";
  std::vector<std::string> argv{DURABLE_NODE, "failover", std::to_string(kLeaseMs), "victim", account};
  for (const std::string& url : cluster().urls()) argv.push_back(url);
  char log_path[] = "/tmp/tact-durable-node-XXXXXX";
  const int fd = ::mkstemp(log_path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const pid_t child = tact::test::start_process(argv, log_path);

  tact::Runtime rt;
  tact::nats::DurableOptions options;
  options.servers = cluster().urls();
  options.cluster = "failover";
  options.node = "survivor";
  options.lease = std::chrono::milliseconds(kLeaseMs);
  tact::nats::DurableHost host(rt, options);
  // The victim runs it once its first deposit is answered ("ready").
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  auto ready = [&] {
    std::ifstream in(log_path);
    std::string line;
    while (std::getline(in, line)) {
      if (line == "ready") return true;
    }
    return false;
  };
  while (!ready() && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::remove(log_path);
  ASSERT_TRUE(Clock::now() < give_up) << "the helper never took the actor";
  // Asked here, answered there.
  auto ref = host.get<Account>(account);
  EXPECT_EQ(ref.ask(Deposit{10}, "op-a").get(), 11);
  EXPECT_EQ(host.running(), 0u);

  tact::test::stop_process(child, SIGKILL);
  const auto killed = Clock::now();
  // No responders until the lease lapses; then this node activates it from
  // the log: the victim's two acknowledged deposits are there.
  EXPECT_EQ(ref.ask(Deposit{100}, "op-b").get(), 111);
  const auto failover = Clock::now() - killed;
  EXPECT_EQ(host.running(), 1u);
  EXPECT_LE(failover, std::chrono::milliseconds(2 * kLeaseMs + 2000));
  // op-a was answered by the victim: asked again, the first outcome, not applied twice.
  EXPECT_EQ(ref.ask(Deposit{10}, "op-a").get(), 11);
  EXPECT_EQ(ref.ask(Balance{}).get(), 111);
  std::printf("fail-over after SIGKILL: %lld ms (lease %d ms)\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(failover).count()),
              kLeaseMs);
}

}  // namespace
