// durable_node CLUSTER LEASE_MS NODE ACCOUNT URL...: a durable host in a process
// of its own, for the fail-over tests (which SIGKILL it). Activates ACCOUNT
// here (one deposit of 1), then waits to be killed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "durable/account.hpp"
#include "tact/tact.hpp"

using tact::test::durable_account::Account;
using tact::test::durable_account::Deposit;

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: durable_node CLUSTER LEASE_MS NODE ACCOUNT URL...\n");
    return 2;
  }
  tact::Config config;
  config.workers = 1;
  tact::Runtime rt(config);
  tact::nats::DurableOptions options;
  options.cluster = argv[1];
  options.lease = std::chrono::milliseconds(std::atoi(argv[2]));
  options.node = argv[3];
  options.servers.clear();
  for (int i = 5; i < argc; ++i) options.servers.emplace_back(argv[i]);
  // A cluster just started may have no JetStream leader yet, or none for the
  // stream this creates: keep trying (as bank_node does), within the test's wait.
  std::unique_ptr<tact::nats::DurableHost> host;
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(25);;) {
    try {
      if (!host) host = std::make_unique<tact::nats::DurableHost>(rt, options);
      (void)host->get<Account>(argv[4]).ask(Deposit{1}, "durable_node:first").get();
      break;
    } catch (const tact::Error& e) {
      if (std::chrono::steady_clock::now() > give_up) {
        std::fprintf(stderr, "durable_node: giving up: %s\n", e.what());
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}
