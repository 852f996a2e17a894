// tact-durable-actor-bench: durable actors end to end, on a 3-server JetStream
// cluster of its own (loopback, free ports; R3, file storage):
//   ask         a durable ask recording one event, p50/p99, beside a raw
//               js_Publish with ack of the same size on the same cluster
//               (rounds interleaved)
//   throughput  events/s with 16 asking threads on 1 actor, then on 100
//   activation  a cold activation from a snapshot + 1,000 events (10 actors)
//   fail-over   SIGKILL of the node process that runs an actor (durable_node)
//               -> the answer of the next ask from this process (median of N)
//   nats kill   SIGKILL of each NATS server in turn while one actor is asked
//               in a loop: the longest time without an answer
// Prints RESULT lines, then a table of medians (min-max).
//
//   tact-durable-actor-bench [--lease-ms 3000] [--rounds 3] [--asks 1000]
//                            [--seconds 5] [--failovers 10] [--nats-kills 3]
//                            [--only ask,throughput,activation,failover,nats-kill]
#include <nats/nats.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "durable/account.hpp"
#include "durable/jetstream.hpp"
#include "durable/jetstream_cluster.hpp"
#include "nats/nats_server.hpp"
#include "tact/errors.hpp"
#include "tact/nats/durable.hpp"
#include "tact/tact.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using tact::nats::durable::JetStream;
using tact::test::durable_account::Account;
using tact::test::durable_account::Balance;
using tact::test::durable_account::Deposit;

constexpr const char* kCluster = "actorbench";

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct Spread {
  double median, min, max;
};
Spread spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

struct Settings {
  int lease_ms = 3000;
  int rounds = 3;
  int asks = 1000;
  int seconds = 5;
  int failovers = 10;
  int nats_kills = 3;
  std::string only;  // comma-separated parts to run; empty: all
  bool runs(const char* part) const {
    if (only.empty()) return true;
    const std::string list = "," + only + ",";
    return list.find("," + std::string(part) + ",") != std::string::npos;
  }
};

tact::nats::DurableOptions options_for(const tact::test::JetStreamCluster& cluster, const Settings& s,
                                       std::string node) {
  tact::nats::DurableOptions o;
  o.servers = cluster.urls();
  o.randomize_servers = false;  // ask_latency's raw publish connects where this does
  o.cluster = kCluster;
  o.node = std::move(node);
  o.lease = std::chrono::milliseconds(s.lease_ms);
  o.ask_timeout = 2 * o.lease + std::chrono::seconds(20);
  return o;
}

// JetStream answers seconds after the servers start: retry until it does.
template <class Make>
auto until_up(Make make) {
  const auto give_up = Clock::now() + std::chrono::seconds(60);
  for (;;) {
    try {
      return make();
    } catch (const tact::Error&) {
      if (Clock::now() > give_up) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

// -- ask latency beside a raw publish ----------------------------------------------
void ask_latency(tact::test::JetStreamCluster& cluster, tact::nats::DurableHost& host, const Settings& s,
                 std::vector<double>& ask_p50, std::vector<double>& ask_p99, std::vector<double>& raw_p50,
                 std::vector<double>& raw_p99) {
  tact::nats::durable::StoreConfig config;
  config.servers = cluster.urls();
  // The same server as the host's store (options_for): a publish to a
  // follower pays one more hop to the stream's leader than one to the
  // leader, so two connections placed at random compare unlike paths.
  config.randomize_servers = false;
  config.cluster = kCluster;
  config.lease = std::chrono::milliseconds(s.lease_ms);
  auto store = until_up([&] { return std::make_unique<JetStream>(config); });
  // 64 bytes: a little more than the ask's record (request id, answer, one
  // event), so the raw figure is no flattering baseline.
  const std::string payload(64, 'x');
  auto account = host.get<Account>("latency");
  (void)account.ask(Deposit{1}).get();  // activated, leaders elected
  char url[256] = "?";
  natsConnection_GetConnectedUrl(store->connection(), url, sizeof url);
  std::string leader = "?";
  jsStreamInfo* info = nullptr;
  if (js_GetStreamInfo(&info, store->context(), store->events_stream().c_str(), nullptr, nullptr) == NATS_OK) {
    if (info->Cluster != nullptr && info->Cluster->Leader != nullptr) leader = info->Cluster->Leader;
    jsStreamInfo_Destroy(info);
  }
  std::printf("ask latency: both connected to %s; the events stream's leader is %s\n", url, leader.c_str());
  // One raw publish and one ask after another, their order swapped each
  // time: both see the same moments of a noisy machine (the two vCPUs change
  // placement every few seconds, and rounds run seconds apart).
  const auto raw_publish = [&](const std::string& subject) {
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    if (js_Publish(&ack, store->context(), subject.c_str(), payload.data(), static_cast<int>(payload.size()), nullptr,
                   &code) != NATS_OK) {
      std::fprintf(stderr, "raw publish failed (%d)\n", static_cast<int>(code));
      std::exit(1);
    }
    jsPubAck_Destroy(ack);
  };
  for (int r = 0; r < s.rounds; ++r) {
    const std::string subject = store->events_subject("raw-" + std::to_string(r));
    std::vector<double> raw_us, ask_us;
    raw_us.reserve(static_cast<std::size_t>(s.asks));
    ask_us.reserve(static_cast<std::size_t>(s.asks));
    for (int i = 0; i < s.asks; ++i) {
      for (int k = 0; k < 2; ++k) {
        const bool raw = (k == 0) == (i % 2 == 0);
        const auto start = Clock::now();
        if (raw) {
          raw_publish(subject);
        } else {
          (void)account.ask(Deposit{1}).get();
        }
        (raw ? raw_us : ask_us).push_back(ms_since(start) * 1000.0);
      }
    }
    for (const bool raw : {true, false}) {
      const std::vector<double>& us = raw ? raw_us : ask_us;
      const double p50 = percentile(us, 0.5);
      const double p99 = percentile(us, 0.99);
      std::printf("RESULT round=%d %s p50_us=%.1f p99_us=%.1f\n", r, raw ? "raw_publish" : "durable_ask", p50, p99);
      (raw ? raw_p50 : ask_p50).push_back(p50);
      (raw ? raw_p99 : ask_p99).push_back(p99);
    }
  }
}

// -- throughput ----------------------------------------------------------------------
double throughput(tact::nats::DurableHost& host, int actors, const Settings& s, const std::string& tag) {
  constexpr int kThreads = 16;
  for (int a = 0; a < actors; ++a) (void)host.get<Account>(tag + std::to_string(a)).ask(Balance{}).get();
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> done{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t mine = 0;
      // stop: set once by the main thread; relaxed, it only ends the loop.
      for (int a = t % actors; !stop.load(std::memory_order_relaxed); a = (a + kThreads) % actors) {
        (void)host.get<Account>(tag + std::to_string(a)).ask(Deposit{1}).get();
        ++mine;
      }
      done.fetch_add(mine, std::memory_order_relaxed);  // read after join
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(s.seconds));
  stop.store(true, std::memory_order_relaxed);  // pairs with the loops' relaxed loads
  for (auto& t : threads) t.join();
  const double per_s = static_cast<double>(done.load()) / (ms_since(start) / 1000.0);
  std::printf("RESULT throughput actors=%d threads=%d events_per_s=%.0f\n", actors, kThreads, per_s);
  return per_s;
}

// -- cold activation from a snapshot + 1,000 events -----------------------------------
std::vector<double> activation(tact::Runtime& rt, tact::test::JetStreamCluster& cluster, const Settings& s) {
  constexpr int kActors = 10;
  constexpr int kAfterSnapshot = 1000;
  {
    // Snapshot at record 1001, then 1,000 records after it (the next
    // snapshot would come at 2002).
    auto o = options_for(cluster, s, "writer");
    o.snapshot_every = 1001;
    tact::nats::DurableHost writer(rt, o);
    std::vector<std::thread> threads;
    for (int a = 0; a < kActors; ++a) {
      threads.emplace_back([&, a] {
        auto ref = writer.get<Account>("activation/" + std::to_string(a));
        for (int i = 0; i < 1001 + kAfterSnapshot; ++i) (void)ref.ask(Deposit{1}).get();
      });
    }
    for (auto& t : threads) t.join();
  }  // closed: the leases are handed back
  tact::nats::DurableHost reader(rt, options_for(cluster, s, "reader"));
  std::vector<double> ms;
  for (int a = 0; a < kActors; ++a) {
    const auto start = Clock::now();
    const std::int64_t balance = reader.get<Account>("activation/" + std::to_string(a)).ask(Balance{}).get();
    ms.push_back(ms_since(start));
    if (balance != 1001 + kAfterSnapshot) {
      std::fprintf(stderr, "activation: balance %lld, expected %d\n", static_cast<long long>(balance),
                   1001 + kAfterSnapshot);
      std::exit(1);
    }
    std::printf("RESULT activation actor=%d ms=%.1f\n", a, ms.back());
  }
  return ms;
}

// -- fail-over after SIGKILL of the owner's process ------------------------------------
std::vector<double> failover(tact::test::JetStreamCluster& cluster, tact::nats::DurableHost& host,
                             const Settings& s) {
  std::vector<double> ms;
  for (int r = 0; r < s.failovers; ++r) {
    const std::string account = "failover/" + std::to_string(r);
    char log_path[] = "/tmp/tact-durable-bench-node-XXXXXX";
    const int fd = ::mkstemp(log_path);
    if (fd < 0) std::exit(1);
    ::close(fd);
    std::vector<std::string> argv{DURABLE_NODE, kCluster, std::to_string(s.lease_ms), "victim", account};
    for (const std::string& url : cluster.urls()) argv.push_back(url);
    const pid_t child = tact::test::start_process(argv, log_path);
    const auto give_up = Clock::now() + std::chrono::seconds(60);
    for (bool ready = false; !ready;) {
      std::ifstream in(log_path);
      std::string line;
      while (std::getline(in, line)) ready = ready || line == "ready";
      if (Clock::now() > give_up) {
        tact::test::stop_process(child, SIGKILL);
        std::fprintf(stderr, "fail-over: durable_node never took %s\n", account.c_str());
        std::exit(1);
      }
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::remove(log_path);
    auto ref = host.get<Account>(account);
    (void)ref.ask(Deposit{1}).get();  // answered there: the route to it is warm
    tact::test::stop_process(child, SIGKILL);
    const auto killed = Clock::now();
    (void)ref.ask(Deposit{1}).get();
    ms.push_back(ms_since(killed));
    std::printf("RESULT failover round=%d ms=%.0f lease_ms=%d\n", r, ms.back(), s.lease_ms);
  }
  return ms;
}

// -- a NATS server killed under a busy actor -------------------------------------------
std::vector<double> nats_kill(tact::test::JetStreamCluster& cluster, tact::nats::DurableHost& host,
                              const Settings& s) {
  const bool verbose = std::getenv("TACT_BENCH_VERBOSE") != nullptr;
  std::vector<double> ms;
  auto ref = host.get<Account>("nats-kill");
  for (int r = 0; r < s.nats_kills; ++r) {
    const int server = r % cluster.size();
    std::atomic<bool> stop{false};
    std::atomic<Clock::time_point> killed_at{Clock::now() + std::chrono::hours(1)};
    std::vector<Clock::time_point> answers;
    std::thread asker([&] {
      // stop: set once by the main thread; relaxed, it only ends the loop.
      for (int i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const std::string id = "k" + std::to_string(r) + "-" + std::to_string(i);
        for (;;) {  // the same id until answered: applied once
          try {
            (void)ref.ask(Deposit{1}, id).get();
            answers.push_back(Clock::now());
            break;
          } catch (const tact::Error& e) {
            if (verbose) {
              std::fprintf(stderr, "  nats kill: %+.0f ms after the kill: %s: %s\n",
                           std::chrono::duration<double, std::milli>(Clock::now() - killed_at.load()).count(),
                           id.c_str(), e.what());
            }
            if (stop.load(std::memory_order_relaxed)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }
      }
    });
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const auto killed = Clock::now();
    killed_at.store(killed);  // for the verbose log's times only
    cluster.kill(server);
    std::this_thread::sleep_for(std::chrono::seconds(15));
    stop.store(true, std::memory_order_relaxed);  // pairs with the asker's relaxed loads
    asker.join();
    // The longest time without an answer, from the kill on.
    double worst = 0;
    Clock::time_point last = killed;
    for (const auto& t : answers) {
      if (t < killed) continue;
      worst = std::max(worst, std::chrono::duration<double, std::milli>(t - last).count());
      last = t;
    }
    ms.push_back(worst);
    std::printf("RESULT nats_kill server=%d longest_gap_ms=%.0f answers_after=%zu\n", server, worst,
                static_cast<std::size_t>(std::count_if(answers.begin(), answers.end(),
                                                       [&](auto t) { return t >= killed; })));
    cluster.restart(server);
    std::this_thread::sleep_for(std::chrono::seconds(5));  // it catches up before the next kill
  }
  return ms;
}

void row(const char* name, const std::vector<double>& v, const char* unit) {
  if (v.empty()) return;
  const Spread x = spread(v);
  std::printf("| %-42s | %10.1f %s | %10.1f - %.1f |\n", name, x.median, unit, x.min, x.max);
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tact-durable-actor-bench: %s needs a number\n", a.c_str());
        std::exit(2);
      }
      return std::atoi(argv[++i]);
    };
    if (a == "--lease-ms") {
      s.lease_ms = next();
    } else if (a == "--rounds") {
      s.rounds = next();
    } else if (a == "--asks") {
      s.asks = next();
    } else if (a == "--seconds") {
      s.seconds = next();
    } else if (a == "--failovers") {
      s.failovers = next();
    } else if (a == "--nats-kills") {
      s.nats_kills = next();
    } else if (a == "--only" && i + 1 < argc) {
      s.only = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: tact-durable-actor-bench [--lease-ms MS] [--rounds N] [--asks N] [--seconds S]\n"
                   "                                [--failovers N] [--nats-kills N]\n"
                   "                                [--only ask,throughput,activation,failover,nats-kill]\n");
      return 2;
    }
  }
  if (s.lease_ms < 500 || s.rounds < 1 || s.asks < 10 || s.seconds < 1 || s.failovers < 0 || s.nats_kills < 0) {
    std::fprintf(stderr, "tact-durable-actor-bench: bad arguments\n");
    return 2;
  }
  tact::test::JetStreamCluster cluster(3);
  tact::Runtime rt;
  auto host = until_up([&] { return std::make_unique<tact::nats::DurableHost>(rt, options_for(cluster, s, "bench")); });
  std::printf("tact-durable-actor-bench: 3 servers, R3, file storage, lease %d ms\n", s.lease_ms);

  std::vector<double> ask_p50, ask_p99, raw_p50, raw_p99;
  if (s.runs("ask")) ask_latency(cluster, *host, s, ask_p50, ask_p99, raw_p50, raw_p99);
  const double one = s.runs("throughput") ? throughput(*host, 1, s, "one/") : 0;
  const double hundred = s.runs("throughput") ? throughput(*host, 100, s, "hundred/") : 0;
  const std::vector<double> activation_ms = s.runs("activation") ? activation(rt, cluster, s) : std::vector<double>{};
  const std::vector<double> failover_ms = s.runs("failover") ? failover(cluster, *host, s) : std::vector<double>{};
  const std::vector<double> nats_ms = s.runs("nats-kill") ? nats_kill(cluster, *host, s) : std::vector<double>{};

  std::printf("\n| figure | median | min - max |\n|---|---|---|\n");
  row("durable ask p50 (one event, R3)", ask_p50, "us");
  row("raw publish-with-ack p50 (64 B, R3)", raw_p50, "us");
  row("durable ask p99", ask_p99, "us");
  row("raw publish-with-ack p99", raw_p99, "us");
  row("cold activation (snapshot + 1,000 events)", activation_ms, "ms");
  row("fail-over after SIGKILL of the owner", failover_ms, "ms");
  row("longest gap after a NATS server SIGKILL", nats_ms, "ms");
  if (s.runs("throughput")) {
    std::printf("| %-42s | %10.0f ev/s | |\n", "throughput, 1 actor (16 threads)", one);
    std::printf("| %-42s | %10.0f ev/s | |\n", "throughput, 100 actors (16 threads)", hundred);
  }
  if (!ask_p50.empty()) {
    std::printf("durable ask / raw publish: p50 %.2fx, p99 %.2fx\n", spread(ask_p50).median / spread(raw_p50).median,
                spread(ask_p99).median / spread(raw_p99).median);
  }
  if (!failover_ms.empty()) std::printf("fail-over median / lease %.2fx\n", spread(failover_ms).median / s.lease_ms);
  return 0;
}
