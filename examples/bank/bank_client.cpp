// bank_client: runs deposits and transfers against the bank's accounts, from
// several threads, through any node's teller, and logs what was acknowledged
// (JSON lines, the fault test checker's "ok" and "fail" events).
//
//   bank_client --client c1 [--cluster bank] [--accounts 100] [--threads 8]
//               [--seconds 20] [--transfers 50] [--seed 1] [--log FILE] URL...
//
// Every operation has an id of its own ("c1-3-17": client, thread, number),
// kept across retries, so a retried request (after a timeout, through another
// node) moves money once. A transfer is a saga of two steps on two accounts:
// the debit, id "c1-3-t18/debit", then the credit, "c1-3-t18/credit", each
// retried with its id until acknowledged, so the bank's total is conserved
// (README.md says why a saga and not a two-phase commit). A deposit that stays
// unanswered for --give-up-s (a transfer's step: ten times that) is logged
// "fail" (indeterminate: applied or not).
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <tact/nats/nats.hpp>
#include <tact/tact.hpp>

#include "account.hpp"
#include "history_line.hpp"
#include "teller.hpp"

namespace {

using Clock = std::chrono::steady_clock;

using bank::json_string;
using bank::monotonic_ns;

class History {
 public:
  explicit History(const std::string& path) {
    if (path.empty()) return;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      std::perror(("bank_client: " + path).c_str());
      std::exit(2);
    }
  }
  ~History() {
    if (fd_ >= 0) ::close(fd_);
  }
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  void ok(const std::string& op, const std::string& account) const {
    line("{\"kind\":\"ok\",\"op\":" + json_string(op) + ",\"account\":" + json_string(account) +
         ",\"t\":" + std::to_string(monotonic_ns()) + "}\n");
  }
  void fail(const std::string& op, const std::string& account, const std::string& error) const {
    line("{\"kind\":\"fail\",\"op\":" + json_string(op) + ",\"account\":" + json_string(account) +
         ",\"t\":" + std::to_string(monotonic_ns()) + ",\"error\":" + json_string(error) + "}\n");
  }

 private:
  void line(const std::string& text) const {
    if (fd_ >= 0) (void)!::write(fd_, text.data(), text.size());
  }
  int fd_ = -1;
};

struct Counts {
  std::atomic<std::uint64_t> deposits{0};
  std::atomic<std::uint64_t> transfers{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> indeterminate{0};
};

struct Settings {
  std::string client;
  int accounts = 100;
  int threads = 8;
  int seconds = 20;
  int transfer_percent = 50;
  unsigned seed = 1;
  int give_up_s = 60;
};

std::string account_name(int i) { return "account/" + std::to_string(i); }

// Asks until acknowledged, with the same op id each time, or until `give_up`
// (then false, and `error` says what the last try met).
bool move_once(const tact::ActorRef<bank::Teller>& teller, const bank::Move& move, Clock::time_point give_up,
               Counts& counts, std::string& error) {
  auto pause = std::chrono::milliseconds(50);
  for (;;) {
    try {
      (void)teller.ask(move).get();
      return true;
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (Clock::now() >= give_up) return false;
    counts.retries.fetch_add(1, std::memory_order_relaxed);  // a count: no ordering
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

void run_thread(const Settings& s, int index, const tact::ActorRef<bank::Teller>& teller, const History& history,
                Counts& counts, Clock::time_point stop) {
  std::mt19937 random(s.seed * 1000u + static_cast<unsigned>(index));
  std::uniform_int_distribution<int> pick_account(0, s.accounts - 1);
  std::uniform_int_distribution<int> pick_amount(1, 100);
  std::uniform_int_distribution<int> percent(0, 99);
  const std::string prefix = s.client + "-" + std::to_string(index) + "-";
  const auto give_up_after = std::chrono::seconds(s.give_up_s);
  std::string error;
  for (std::uint64_t n = 0; Clock::now() < stop; ++n) {
    const int amount = pick_amount(random);
    if (percent(random) >= s.transfer_percent || s.accounts < 2) {
      bank::Move deposit{account_name(pick_account(random)), prefix + std::to_string(n), amount};
      if (move_once(teller, deposit, Clock::now() + give_up_after, counts, error)) {
        history.ok(deposit.op, deposit.account);
        counts.deposits.fetch_add(1, std::memory_order_relaxed);  // a count: no ordering
      } else {
        history.fail(deposit.op, deposit.account, error);
        counts.indeterminate.fetch_add(1, std::memory_order_relaxed);  // a count: no ordering
      }
      continue;
    }
    const int from = pick_account(random);
    int to = pick_account(random);
    if (to == from) to = (to + 1) % s.accounts;
    const std::string transfer = prefix + "t" + std::to_string(n);
    bank::Move debit{account_name(from), transfer + "/debit", -amount};
    bank::Move credit{account_name(to), transfer + "/credit", amount};
    // The debit first: until it is acknowledged, nothing is owed. Once it is,
    // the credit is owed. Both steps are retried for ten times as long as a
    // deposit: a saga that gives up half-way leaves money in flight.
    if (!move_once(teller, debit, Clock::now() + 10 * give_up_after, counts, error)) {
      // Applied or not, nobody knows: the credit is not sent (it could make
      // money), and the checker will say if the debit landed.
      history.fail(debit.op, debit.account, error);
      counts.indeterminate.fetch_add(1, std::memory_order_relaxed);  // a count: no ordering
      continue;
    }
    history.ok(debit.op, debit.account);
    if (move_once(teller, credit, Clock::now() + 10 * give_up_after, counts, error)) {
      history.ok(credit.op, credit.account);
      counts.transfers.fetch_add(1, std::memory_order_relaxed);  // a count: no ordering
    } else {
      history.fail(credit.op, credit.account, error);
      counts.indeterminate.fetch_add(1, std::memory_order_relaxed);  // a count: no ordering
    }
  }
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: bank_client --client NAME [--cluster NAME] [--accounts N] [--threads N] [--seconds S]\n"
               "                   [--transfers PERCENT] [--seed N] [--give-up-s S] [--log FILE] URL...\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  std::string cluster = "bank";
  std::string log_path;
  std::vector<std::string> servers;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    auto number = [&]() { return std::atoi(value().c_str()); };
    if (arg == "--client") {
      s.client = value();
    } else if (arg == "--cluster") {
      cluster = value();
    } else if (arg == "--accounts") {
      s.accounts = number();
    } else if (arg == "--threads") {
      s.threads = number();
    } else if (arg == "--seconds") {
      s.seconds = number();
    } else if (arg == "--transfers") {
      s.transfer_percent = number();
    } else if (arg == "--seed") {
      s.seed = static_cast<unsigned>(number());
    } else if (arg == "--give-up-s") {
      s.give_up_s = number();
    } else if (arg == "--log") {
      log_path = value();
    } else if (arg.substr(0, 2) == "--") {
      usage();
    } else {
      servers.emplace_back(arg);
    }
  }
  if (s.client.empty() || servers.empty() || s.accounts < 1 || s.threads < 1 || s.give_up_s < 1) usage();

  History history(log_path);
  tact::Runtime rt;
  tact::nats::NodeOptions options;
  options.servers = servers;
  options.cluster = cluster;
  options.name = s.client;
  // A node killed with the request on it never answers: try again (through
  // another node) after this long. Longer than a healthy durable ask by far.
  options.ask_timeout = std::chrono::milliseconds(3000);
  tact::nats::Node node(rt, options);
  const auto teller = node.lookup<bank::Teller>(bank::kTellerName);

  Counts counts;
  const auto stop = Clock::now() + std::chrono::seconds(s.seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < s.threads; ++t) {
    threads.emplace_back([&, t] { run_thread(s, t, teller, history, counts, stop); });
  }
  for (auto& t : threads) t.join();
  std::printf("bank_client %s: %llu deposits, %llu transfers, %llu retries, %llu indeterminate\n",
              s.client.c_str(), static_cast<unsigned long long>(counts.deposits.load()),
              static_cast<unsigned long long>(counts.transfers.load()),
              static_cast<unsigned long long>(counts.retries.load()),
              static_cast<unsigned long long>(counts.indeterminate.load()));
  return 0;
}
