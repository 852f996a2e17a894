// bank_node: one node of the bank. It runs accounts (durable actors: any node
// may run any account, one at a time) and exposes a Teller that clients ask.
//
//   bank_node --node n1 [--cluster bank] [--lease-ms 10000] [--answers FILE] URL...
//
// --answers appends one JSON line per answer an account gives here (node,
// lease epoch, account, op id, CLOCK_MONOTONIC ns), written before the answer
// is sent: the fault test's checker reads them to find overlapping owners.
// SIGTERM or SIGINT: close (leases are handed back); SIGKILL is what the fault
// test sends, and loses nothing that was answered.
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <tact/nats/durable.hpp>
#include <tact/nats/nats.hpp>
#include <tact/tact.hpp>

#include "account.hpp"
#include "history_line.hpp"
#include "teller.hpp"

namespace {

using bank::json_string;
using bank::monotonic_ns;
using bank::steady_ns;

// One write(2) per line on an O_APPEND file: in the kernel before the answer
// leaves, so a SIGKILL right after loses no line.
class AnswerLog {
 public:
  AnswerLog(const std::string& path, std::string node) : node_(std::move(node)) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      std::perror(("bank_node: " + path).c_str());
      std::exit(2);
    }
  }
  ~AnswerLog() { ::close(fd_); }
  AnswerLog(const AnswerLog&) = delete;
  AnswerLog& operator=(const AnswerLog&) = delete;

  void write(const tact::nats::DurableAnswer& a) const {
    const std::string line = "{\"kind\":\"answer\",\"node\":" + json_string(node_) +
                             ",\"epoch\":" + std::to_string(a.epoch) + ",\"account\":" + json_string(a.actor) +
                             ",\"op\":" + json_string(a.request_id) + ",\"t\":" + std::to_string(monotonic_ns()) +
                             ",\"decided\":" + std::to_string(steady_ns(a.decided)) + "}\n";
    (void)!::write(fd_, line.data(), line.size());
  }

 private:
  std::string node_;
  int fd_ = -1;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: bank_node --node NAME [--cluster NAME] [--lease-ms MS] [--answers FILE] URL...\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string node_name;
  std::string cluster = "bank";
  std::string answers;
  long lease_ms = 10000;
  std::vector<std::string> servers;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--node") {
      node_name = value();
    } else if (arg == "--cluster") {
      cluster = value();
    } else if (arg == "--lease-ms") {
      lease_ms = std::strtol(value().c_str(), nullptr, 10);
    } else if (arg == "--answers") {
      answers = value();
    } else if (arg.substr(0, 2) == "--") {
      usage();
    } else {
      servers.emplace_back(arg);
    }
  }
  if (node_name.empty() || servers.empty() || lease_ms < 100) usage();

  // The signals that close the node are taken by sigwait below, so every
  // thread started from here on must block them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<AnswerLog> log;
  if (!answers.empty()) {
    // The history's "decided" times (steady_clock) and "t" (CLOCK_MONOTONIC)
    // must share a scale for the checker to compare them.
    const std::int64_t skew = steady_ns(std::chrono::steady_clock::now()) - monotonic_ns();
    if (skew < -1'000'000 || skew > 1'000'000) {
      std::fprintf(stderr, "bank_node: steady_clock is not CLOCK_MONOTONIC here (%lld ns apart)\n",
                   static_cast<long long>(skew));
      return 2;
    }
    log = std::make_unique<AnswerLog>(answers, node_name);
  }

  tact::Runtime rt;
  tact::nats::DurableOptions options;
  options.servers = servers;
  options.cluster = cluster;
  options.node = node_name;
  options.lease = std::chrono::milliseconds(lease_ms);
  // Long enough for a fail-over (the lease lapsing) within one ask.
  options.ask_timeout = std::max(options.ask_timeout, 2 * options.lease + std::chrono::seconds(5));
  if (log) options.on_answer = [&log](const tact::nats::DurableAnswer& a) { log->write(a); };
  // A node restarted while a NATS server is down, or started with its
  // cluster, may find JetStream without a leader for seconds: keep trying.
  std::unique_ptr<tact::nats::DurableHost> durable;
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);;) {
    try {
      durable = std::make_unique<tact::nats::DurableHost>(rt, options);
      break;
    } catch (const tact::Error& e) {
      if (std::chrono::steady_clock::now() > give_up) {
        std::fprintf(stderr, "bank_node %s: giving up: %s\n", node_name.c_str(), e.what());
        return 1;
      }
      std::fprintf(stderr, "bank_node %s: %s (trying again)\n", node_name.c_str(), e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  tact::nats::DurableHost& host = *durable;
  host.serve<bank::Account>();  // other nodes may place accounts here

  tact::nats::NodeOptions node_options;
  node_options.servers = servers;
  node_options.cluster = cluster;
  node_options.name = node_name;
  // The teller answers only once the account has: as long as an ask may take.
  node_options.ask_timeout = options.ask_timeout;
  tact::nats::Node node(rt, node_options);
  node.expose(bank::kTellerName, rt.spawn<bank::Teller>(&host));

  std::printf("bank_node %s: ready\n", node_name.c_str());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::printf("bank_node %s: closing (%s)\n", node_name.c_str(), strsignal(signal));
  std::fflush(stdout);
  node.close();  // no request arrives after this; then ~DurableHost hands the leases back
  return 0;
}
