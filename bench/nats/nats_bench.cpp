// tact-nats-bench: tact::nats beside raw nats.c (and CAF 0.17's remote actors,
// when caf-remote-bench was built), two processes on loopback: this one asks or
// tells, a child process of its own answers or counts; one nats-server of its own
// on a free port. Rounds interleaved; each round starts fresh children; within a
// round the ask figures alternate in blocks of 250 asks (asks_interleaved).
//   ask   latency of one request/reply at a time, 64-byte payload echoed back:
//         raw  natsConnection_Request (direct flush) to an async subscription
//              that answers with natsConnection_Publish on a send-asap connection
//              (nats.c's best: without send-asap the answer waits 1 ms for the flusher);
//         tact ref.ask(Echo{64 bytes}).get() through a remote ref;
//         raw-async: the raw request's answer through an async subscription, as
//         tact's inbox takes it (one more thread handoff than natsConnection_Request);
//         caf  request(...).receive(...) to a remote_actor (caf-remote-bench).
//   tell  throughput, one publisher thread, 64-byte payload, until the receiving
//         process has counted every message (a request after the last, answered in
//         order, says so):
//         raw  natsConnection_Publish (buffered, the default) -> async subscription counting;
//         tact ref.tell(Echo{64 bytes}) -> an actor counting, with send_asap on
//              (tact's default) and off;
//         caf  anon_send to a published actor.
//   Each child's peak RSS is reported (receiver memory), and this process's.
// Prints one RESULT line per figure and round, then a summary with medians (min-max)
// and tact's ratio to raw.
//
//   tact-nats-bench [--rounds N] [--asks N] [--tells N] [--quick]
//   tact-nats-bench --serve raw|tact URL     (a child: what the parent starts)
//   tact-nats-bench --drive raw-ask|tact-ask|raw-tell|tact-tell|tact-tell-batched URL N BYTES
//                                            (one figure against a --serve started by hand:
//                                            for profiling either side)
#include <nats/nats.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nats/nats_server.hpp"
#include "tact/nats/nats.hpp"
#include "tact/tact.hpp"

struct Echo {
  std::string data;
  MSGPACK_DEFINE(data)
};
struct Count {};

class Echoer {
 public:
  using remote_messages = tact::nats::messages<Echo>;
  std::string handle(Echo msg) { return std::move(msg.data); }
};

class Counter {
 public:
  using remote_messages = tact::nats::messages<Echo, Count>;
  void handle(Echo) { ++count_; }
  std::uint64_t handle(Count) { return count_; }

 private:
  std::uint64_t count_ = 0;
};

namespace {

using Clock = std::chrono::steady_clock;

struct Latencies {
  double p50, p99, p999;
};

Latencies summarize(std::vector<double>& ns) {
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) { return ns[std::min(ns.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ns.size())))]; };
  return {at(0.50), at(0.99), at(0.999)};
}

std::map<std::string, std::vector<double>> g_results;

void record(const std::string& key, double value, const char* unit) {
  g_results[key].push_back(value);
  std::printf("RESULT %s value=%.1f unit=%s\n", key.c_str(), value, unit);
  std::fflush(stdout);
}

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) {
    std::fprintf(stderr, "%s: %s\n", what, natsStatus_GetText(s));
    std::exit(1);
  }
}

natsConnection* connect(const std::string& url, bool send_asap) {
  natsOptions* opts = nullptr;
  check(natsOptions_Create(&opts), "options");
  check(natsOptions_SetURL(opts, url.c_str()), "url");
  check(natsOptions_SetSendAsap(opts, send_asap), "asap");
  natsConnection* conn = nullptr;
  check(natsConnection_Connect(&conn, opts), "connect");
  natsOptions_Destroy(opts);
  return conn;
}

// ---- the children: what answers and counts ----------------------------------------------

// raw: raw.echo echoes each request; raw.count counts messages, and answers a
// request with the count so far (8 bytes, native order).
std::atomic<std::uint64_t> g_raw_count{0};
void on_echo(natsConnection* conn, natsSubscription*, natsMsg* msg, void*) {
  natsConnection_Publish(conn, natsMsg_GetReply(msg), natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}
void on_count(natsConnection* conn, natsSubscription*, natsMsg* msg, void*) {
  const char* reply = natsMsg_GetReply(msg);
  if (reply != nullptr && *reply != '\0') {
    const std::uint64_t n = g_raw_count.load(std::memory_order_relaxed);
    natsConnection_Publish(conn, reply, &n, sizeof(n));
  } else {
    g_raw_count.fetch_add(1, std::memory_order_relaxed);
  }
  natsMsg_Destroy(msg);
}

[[noreturn]] void serve_raw(const std::string& url) {
  natsConnection* conn = connect(url, true);
  natsSubscription* echo = nullptr;
  natsSubscription* count = nullptr;
  check(natsConnection_Subscribe(&echo, conn, "raw.echo", on_echo, nullptr), "sub");
  check(natsConnection_Subscribe(&count, conn, "raw.count", on_count, nullptr), "sub");
  check(natsSubscription_SetPendingLimits(count, -1, -1), "limits");
  check(natsConnection_Flush(conn), "flush");
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

[[noreturn]] void serve_tact(const std::string& url) {
  tact::Config config;
  config.workers = 2;
  tact::Runtime rt(config);
  tact::nats::NodeOptions options;
  options.servers = {url};
  options.name = "server";
  options.connect_timeout = std::chrono::seconds(10);  // slow under valgrind
  tact::nats::Node node(rt, options);
  node.expose("echo", rt.spawn<Echoer>());
  node.expose("counter", rt.spawn<Counter>());
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

// A child process of this binary; its peak RSS when it is stopped.
struct Child {
  pid_t pid = -1;
  long stop() {
    if (pid <= 0) return 0;
    ::kill(pid, SIGKILL);
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    pid = -1;
    return usage.ru_maxrss;
  }
};

std::string g_self;  // this binary's path

Child start_child(const std::vector<std::string>& argv) {
  return Child{tact::test::start_process(argv)};
}

// ---- raw nats.c, the asking side -------------------------------------------------------------

// Until the child answers on `subject` (it subscribed).
void wait_for_responder(natsConnection* conn, const char* subject) {
  for (int i = 0; i < 400; ++i) {
    natsMsg* reply = nullptr;
    if (natsConnection_Request(&reply, conn, subject, "", 0, 500) == NATS_OK) {
      natsMsg_Destroy(reply);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::fprintf(stderr, "no responder on %s\n", subject);
  std::exit(1);
}

void raw_ask(const std::string& url, int n, const std::string& payload) {
  natsConnection* requester = connect(url, false);
  wait_for_responder(requester, "raw.echo");
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n + n / 10; ++i) {
    const auto start = Clock::now();
    natsMsg* reply = nullptr;
    check(natsConnection_Request(&reply, requester, "raw.echo", payload.data(),
                                 static_cast<int>(payload.size()), 5000),
          "request");
    const auto took = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    natsMsg_Destroy(reply);
    if (i >= n / 10) ns.push_back(took);  // the first tenth warms up
  }
  const Latencies l = summarize(ns);
  record("ask raw p50", l.p50, "ns");
  record("ask raw p99", l.p99, "ns");
  record("ask raw p999", l.p999, "ns");
  natsConnection_Destroy(requester);
}

// The same request/reply, but the answer comes through an async subscription
// (as tact's reply inbox does): nats.c hands it to the subscription's delivery
// thread, which wakes the caller. Shows what that one handoff costs.
struct AsyncWait {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
};
void on_async_reply(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* wait = static_cast<AsyncWait*>(closure);
  natsMsg_Destroy(msg);
  std::lock_guard<std::mutex> lock(wait->mutex);
  wait->done = true;
  wait->cv.notify_one();
}


std::uint64_t raw_count(natsConnection* conn) {
  natsMsg* reply = nullptr;
  check(natsConnection_Request(&reply, conn, "raw.count", "", 0, 120000), "count request");
  std::uint64_t n = 0;
  if (natsMsg_GetDataLength(reply) == sizeof(n)) std::memcpy(&n, natsMsg_GetData(reply), sizeof(n));
  natsMsg_Destroy(reply);
  return n;
}

void raw_tell(const std::string& url, int n, const std::string& payload) {
  natsConnection* publisher = connect(url, false);
  wait_for_responder(publisher, "raw.count");
  const std::uint64_t before = raw_count(publisher);
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    check(natsConnection_Publish(publisher, "raw.count", payload.data(), static_cast<int>(payload.size())),
          "publish");
  }
  // Answered after every publish above was counted (one subscription, in order).
  const std::uint64_t seen = raw_count(publisher) - before;
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (seen != static_cast<std::uint64_t>(n)) {
    std::fprintf(stderr, "raw tell: %llu of %d arrived\n", static_cast<unsigned long long>(seen), n);
    std::exit(1);
  }
  record("tell raw", n / secs, "msgs/s");
  natsConnection_Destroy(publisher);
}

// ---- tact, the asking side -------------------------------------------------------------------

tact::nats::NodeOptions node_options(const std::string& url, const char* name, bool send_asap) {
  tact::nats::NodeOptions options;
  options.servers = {url};
  options.name = name;
  options.send_asap = send_asap;
  options.ask_timeout = std::chrono::seconds(120);  // a receiver under valgrind is slow
  return options;
}

template <class A, class M>
void wait_for_actor(const tact::ActorRef<A>& ref, M probe) {
  for (int i = 0; i < 400; ++i) {
    try {
      (void)ref.ask(probe, tact::Deadline::in(std::chrono::milliseconds(500))).get();
      return;
    } catch (const tact::Error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  std::fprintf(stderr, "the tact child does not answer\n");
  std::exit(1);
}

void tact_ask(tact::Runtime& rt, const std::string& url, int n, const std::string& payload) {
  tact::nats::Node b(rt, node_options(url, "b", true));
  auto echo = b.lookup<Echoer>("echo");
  wait_for_actor(echo, Echo{payload});
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n + n / 10; ++i) {
    const auto start = Clock::now();
    std::string back = echo.ask(Echo{payload}).get();
    const auto took = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    if (back.size() != payload.size()) std::exit(2);
    if (i >= n / 10) ns.push_back(took);
  }
  const Latencies l = summarize(ns);
  record("ask tact p50", l.p50, "ns");
  record("ask tact p99", l.p99, "ns");
  record("ask tact p999", l.p999, "ns");
}


void tact_tell(tact::Runtime& rt, const std::string& url, int n, const std::string& payload, bool send_asap) {
  tact::nats::Node b(rt, node_options(url, "b", send_asap));
  auto counter = b.lookup<Counter>("counter");
  wait_for_actor(counter, Count{});
  const std::uint64_t before = counter.ask(Count{}).get();
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) (void)counter.tell(Echo{payload});
  // One sender, one actor: the ask is handled after every tell that arrived.
  const std::uint64_t seen = counter.ask(Count{}, tact::Deadline::in(std::chrono::seconds(120))).get() - before;
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (seen != static_cast<std::uint64_t>(n)) {
    std::fprintf(stderr, "tact tell: %llu of %d arrived (dropped: %llu)\n", static_cast<unsigned long long>(seen),
                 n, static_cast<unsigned long long>(b.stats().slow_consumer_drops));
    std::exit(1);
  }
  record(send_asap ? "tell tact" : "tell tact(send_asap=off)", n / secs, "msgs/s");
}

// The four ask figures, interleaved: blocks of kAskBlock asks of each kind in
// turn (raw, tact get(), raw through an async inbox, tact then()), both children
// up, so that a burst of load on this shared machine hits every kind alike.
// The first tenth of each kind warms up.
constexpr int kAskBlock = 250;

void asks_interleaved(tact::Runtime& rt, const std::string& url, int n, const std::string& payload) {
  natsConnection* requester = connect(url, false);
  wait_for_responder(requester, "raw.echo");
  natsConnection* async_requester = connect(url, true);
  natsSubscription* inbox = nullptr;
  AsyncWait raw_wait;
  check(natsConnection_Subscribe(&inbox, async_requester, "raw.inbox", on_async_reply, &raw_wait), "inbox");
  check(natsConnection_Flush(async_requester), "flush");
  tact::nats::Node b(rt, node_options(url, "b", true));
  auto echo = b.lookup<Echoer>("echo");
  wait_for_actor(echo, Echo{payload});
  AsyncWait tact_wait;

  auto raw_one = [&] {
    natsMsg* reply = nullptr;
    check(natsConnection_Request(&reply, requester, "raw.echo", payload.data(),
                                 static_cast<int>(payload.size()), 5000),
          "request");
    natsMsg_Destroy(reply);
  };
  auto tact_one = [&] {
    if (echo.ask(Echo{payload}).get().size() != payload.size()) std::exit(2);
  };
  auto raw_async_one = [&] {
    check(natsConnection_PublishRequest(async_requester, "raw.echo", "raw.inbox", payload.data(),
                                        static_cast<int>(payload.size())),
          "publish request");
    std::unique_lock<std::mutex> lock(raw_wait.mutex);
    raw_wait.cv.wait(lock, [&] { return raw_wait.done; });
    raw_wait.done = false;
  };
  auto tact_then_one = [&] {
    echo.ask(Echo{payload}).then([&tact_wait](tact::Outcome<std::string>) {
      std::lock_guard<std::mutex> lock(tact_wait.mutex);
      tact_wait.done = true;
      tact_wait.cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(tact_wait.mutex);
    tact_wait.cv.wait(lock, [&] { return tact_wait.done; });
    tact_wait.done = false;
  };
  struct Kind {
    const char* key;
    std::function<void()> one;
    std::vector<double> ns;
  };
  std::vector<Kind> kinds;
  kinds.push_back({"ask raw", raw_one, {}});
  kinds.push_back({"ask tact", tact_one, {}});
  kinds.push_back({"ask raw-async", raw_async_one, {}});
  kinds.push_back({"ask tact-then", tact_then_one, {}});
  const int total = n + n / 10;
  for (int done = 0; done < total; done += kAskBlock) {
    const int block = std::min(kAskBlock, total - done);
    for (Kind& kind : kinds) {
      for (int i = 0; i < block; ++i) {
        const auto start = Clock::now();
        kind.one();
        const auto took = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
        if (done + i >= n / 10) kind.ns.push_back(took);
      }
    }
  }
  for (Kind& kind : kinds) {
    const Latencies l = summarize(kind.ns);
    record(std::string(kind.key) + " p50", l.p50, "ns");
    record(std::string(kind.key) + " p99", l.p99, "ns");
    record(std::string(kind.key) + " p999", l.p999, "ns");
  }
  natsSubscription_Unsubscribe(inbox);
  natsSubscription_Destroy(inbox);
  natsConnection_Destroy(async_requester);
  natsConnection_Destroy(requester);
}

// ---- CAF, through caf-remote-bench -------------------------------------------------------------

#ifdef CAF_REMOTE_BENCH
// Runs the CAF client against a fresh CAF server; its RESULT lines are recorded.
void caf_round(int asks, int tells, std::size_t bytes) {
  const int port = tact::test::free_loopback_port();
  Child server = start_child({CAF_REMOTE_BENCH, "serve", std::to_string(port)});
  if (!tact::test::wait_for_port(port, 10000)) {
    std::fprintf(stderr, "caf-remote-bench serve did not start\n");
    std::exit(1);
  }
  for (const char* mode : {"ask", "tell"}) {
    const std::string command = std::string(CAF_REMOTE_BENCH) + " " + mode + " " + std::to_string(port) + " " +
                                std::to_string(std::string(mode) == "ask" ? asks : tells) + " " +
                                std::to_string(bytes);
    FILE* out = ::popen(command.c_str(), "r");
    if (out == nullptr) std::exit(1);
    char line[256];
    while (std::fgets(line, sizeof(line), out) != nullptr) {
      // RESULT <key> value=<number> unit=<unit>
      const std::string text(line);
      const std::size_t value_at = text.find(" value="), unit_at = text.find(" unit=");
      if (text.rfind("RESULT ", 0) == 0 && value_at != std::string::npos && unit_at != std::string::npos) {
        std::string unit = text.substr(unit_at + 6);
        while (!unit.empty() && (unit.back() == '\n' || unit.back() == ' ')) unit.pop_back();
        record(text.substr(7, value_at - 7), std::atof(text.c_str() + value_at + 7), unit.c_str());
      }
    }
    if (::pclose(out) != 0) {
      std::fprintf(stderr, "caf-remote-bench %s failed\n", mode);
      std::exit(1);
    }
  }
  record("tell caf receiver-rss", static_cast<double>(server.stop()), "KB");
}
#endif

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string cell(const std::string& key) {
  auto it = g_results.find(key);
  if (it == g_results.end() || it->second.empty()) return "-";
  const auto& v = it->second;
  char text[96];
  std::snprintf(text, sizeof(text), "%.0f (%.0f-%.0f)", median(v), *std::min_element(v.begin(), v.end()),
                *std::max_element(v.begin(), v.end()));
  return text;
}

std::string ratio(const std::string& tact_key, const std::string& other_key) {
  auto t = g_results.find(tact_key), o = g_results.find(other_key);
  if (t == g_results.end() || o == g_results.end() || t->second.empty() || o->second.empty()) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2fx", median(t->second) / median(o->second));
  return text;
}

void line(const char* what, const std::string& tact_key, const std::string& raw_key, const std::string& caf_key) {
  std::printf("| %s | %s | %s | %s | %s | %s |\n", what, cell(tact_key).c_str(), cell(raw_key).c_str(),
              ratio(tact_key, raw_key).c_str(), cell(caf_key).c_str(), ratio(tact_key, caf_key).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  g_self = argv[0];
  if (argc == 4 && std::string(argv[1]) == "--serve") {
    const std::string role = argv[2];
    if (role == "raw") serve_raw(argv[3]);
    if (role == "tact") serve_tact(argv[3]);
    std::fprintf(stderr, "tact-nats-bench --serve raw|tact URL\n");
    return 2;
  }
  // For profiling one side (callgrind, perf) against a --serve child started by hand.
  if (argc == 6 && std::string(argv[1]) == "--drive") {
    const std::string what = argv[2], url = argv[3];
    const int n = std::atoi(argv[4]);
    const std::string payload(static_cast<std::size_t>(std::atoi(argv[5])), 'x');
    tact::Config config;
    config.workers = 2;
    tact::Runtime rt(config);
    if (what == "raw-ask") raw_ask(url, n, payload);
    else if (what == "tact-ask") tact_ask(rt, url, n, payload);
    else if (what == "raw-tell") raw_tell(url, n, payload);
    else if (what == "tact-tell") tact_tell(rt, url, n, payload, true);
    else if (what == "tact-tell-batched") tact_tell(rt, url, n, payload, false);
    else return 2;
    return 0;
  }
  int rounds = 5, asks = 20000, tells = 200000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else if (arg == "--asks" && i + 1 < argc) asks = std::atoi(argv[++i]);
    else if (arg == "--tells" && i + 1 < argc) tells = std::atoi(argv[++i]);
    else if (arg == "--quick") { rounds = 2; asks = 2000; tells = 20000; }
    else {
      std::fprintf(stderr, "usage: tact-nats-bench [--rounds N] [--asks N] [--tells N] [--quick]\n");
      return 2;
    }
  }
  tact::test::NatsServer server;
  const std::string url = server.url();
  const std::string payload(64, 'x');
  tact::Config config;
  config.workers = 2;
  tact::Runtime rt(config);
  for (int r = 0; r < rounds; ++r) {
    Child raw = start_child({g_self, "--serve", "raw", url});
    Child tact_child = start_child({g_self, "--serve", "tact", url});
    asks_interleaved(rt, url, asks, payload);
    raw_tell(url, tells, payload);
    tact_tell(rt, url, tells, payload, true);
    tact_tell(rt, url, tells, payload, false);
    record("tell raw receiver-rss", static_cast<double>(raw.stop()), "KB");
    record("tell tact receiver-rss", static_cast<double>(tact_child.stop()), "KB");
#ifdef CAF_REMOTE_BENCH
    caf_round(asks, tells, payload.size());
#endif
  }
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  record("sender rss (tact and raw, this process)", static_cast<double>(self.ru_maxrss), "KB");
  std::printf("\nmedians over %d interleaved rounds (min-max), two processes on loopback; "
              "ratios: tact / raw nats.c, tact / CAF\n", rounds);
  std::printf("| figure | tact::nats | raw nats.c | tact/raw | CAF 0.17 remote | tact/CAF |\n"
              "|---|---|---|---|---|---|\n");
  line("ask p50 (ns)", "ask tact p50", "ask raw p50", "ask caf p50");
  line("ask p99 (ns)", "ask tact p99", "ask raw p99", "ask caf p99");
  line("ask p99.9 (ns)", "ask tact p999", "ask raw p999", "ask caf p999");
  line("ask p50 (ns), raw through an async inbox", "ask tact p50", "ask raw-async p50", "");
  line("ask p99 (ns), raw through an async inbox", "ask tact p99", "ask raw-async p99", "");
  line("ask p50 (ns), tact waiting in then() + condvar", "ask tact-then p50", "ask raw p50", "ask caf p50");
  line("ask p99 (ns), tact waiting in then() + condvar", "ask tact-then p99", "ask raw p99", "ask caf p99");
  line("tell (msgs/s)", "tell tact", "tell raw", "tell caf");
  line("tell, send_asap off (msgs/s)", "tell tact(send_asap=off)", "tell raw", "tell caf");
  line("receiver peak RSS (KB)", "tell tact receiver-rss", "tell raw receiver-rss", "tell caf receiver-rss");
  line("sender peak RSS (KB)", "sender rss (tact and raw, this process)", "", "tell caf sender-rss");
  rt.shutdown();
  return 0;
}
