// tact-nats-bench: tact::nats beside raw nats.c on one nats-server of its own
// (loopback, a free port), rounds interleaved:
//   ask   latency of one request/reply at a time, 64-byte payload echoed back:
//         raw  natsConnection_Request (direct flush) to an async subscription
//              that answers with natsConnection_Publish on a send-asap connection
//              (nats.c's best: without send-asap the answer waits 1 ms for the flusher);
//         tact ref.ask(Echo{64 bytes}).get() through a remote ref (node b -> node a);
//         raw-async: the raw request's answer through an async subscription, as
//         tact's inbox takes it (one more thread handoff than natsConnection_Request).
//   tell  throughput, one publisher thread, 64-byte payload:
//         raw  natsConnection_Publish (buffered, the default) -> async subscription counting;
//         tact ref.tell(Echo{64 bytes}) -> an actor counting, with send_asap on
//              (tact's default) and off.
// Prints one RESULT line per figure and round, then a summary with medians (min-max)
// and tact's ratio to raw.
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

// ---- raw nats.c ------------------------------------------------------------------------

void on_echo(natsConnection* conn, natsSubscription*, natsMsg* msg, void*) {
  natsConnection_Publish(conn, natsMsg_GetReply(msg), natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

std::atomic<std::uint64_t> g_raw_count{0};
void on_count(natsConnection*, natsSubscription*, natsMsg* msg, void*) {
  g_raw_count.fetch_add(1, std::memory_order_relaxed);
  natsMsg_Destroy(msg);
}

void raw_ask(const std::string& url, int n, const std::string& payload) {
  natsConnection* responder = connect(url, true);
  natsConnection* requester = connect(url, false);
  natsSubscription* sub = nullptr;
  check(natsConnection_Subscribe(&sub, responder, "raw.echo", on_echo, nullptr), "sub");
  check(natsConnection_Flush(responder), "flush");
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
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(requester);
  natsConnection_Destroy(responder);
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

void raw_async_ask(const std::string& url, int n, const std::string& payload) {
  natsConnection* responder = connect(url, true);
  natsConnection* requester = connect(url, true);
  natsSubscription* sub = nullptr;
  natsSubscription* inbox = nullptr;
  AsyncWait wait;
  check(natsConnection_Subscribe(&sub, responder, "raw.echo2", on_echo, nullptr), "sub");
  check(natsConnection_Subscribe(&inbox, requester, "raw.inbox", on_async_reply, &wait), "inbox");
  check(natsConnection_Flush(responder), "flush");
  check(natsConnection_Flush(requester), "flush");
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n + n / 10; ++i) {
    const auto start = Clock::now();
    check(natsConnection_PublishRequest(requester, "raw.echo2", "raw.inbox", payload.data(),
                                        static_cast<int>(payload.size())),
          "publish request");
    {
      std::unique_lock<std::mutex> lock(wait.mutex);
      wait.cv.wait(lock, [&] { return wait.done; });
      wait.done = false;
    }
    const auto took = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    if (i >= n / 10) ns.push_back(took);
  }
  const Latencies l = summarize(ns);
  record("ask raw-async p50", l.p50, "ns");
  record("ask raw-async p99", l.p99, "ns");
  record("ask raw-async p999", l.p999, "ns");
  natsSubscription_Unsubscribe(inbox);
  natsSubscription_Destroy(inbox);
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(requester);
  natsConnection_Destroy(responder);
}

void raw_tell(const std::string& url, int n, const std::string& payload) {
  natsConnection* subscriber = connect(url, false);
  natsConnection* publisher = connect(url, false);
  natsSubscription* sub = nullptr;
  check(natsConnection_Subscribe(&sub, subscriber, "raw.count", on_count, nullptr), "sub");
  check(natsSubscription_SetPendingLimits(sub, -1, -1), "limits");
  check(natsConnection_Flush(subscriber), "flush");
  g_raw_count = 0;
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    check(natsConnection_Publish(publisher, "raw.count", payload.data(), static_cast<int>(payload.size())),
          "publish");
  }
  check(natsConnection_Flush(publisher), "flush");
  while (g_raw_count.load() < static_cast<std::uint64_t>(n)) {
    if (Clock::now() - start > std::chrono::seconds(60)) {
      std::fprintf(stderr, "raw tell: only %llu of %d arrived\n",
                   static_cast<unsigned long long>(g_raw_count.load()), n);
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  record("tell raw", n / secs, "msgs/s");
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(publisher);
  natsConnection_Destroy(subscriber);
}

// ---- tact ------------------------------------------------------------------------------

tact::nats::NodeOptions node_options(const std::string& url, const char* name, bool send_asap) {
  tact::nats::NodeOptions options;
  options.servers = {url};
  options.name = name;
  options.send_asap = send_asap;
  return options;
}

void tact_ask(tact::Runtime& rt, const std::string& url, int n, const std::string& payload) {
  tact::nats::Node a(rt, node_options(url, "a", true));
  tact::nats::Node b(rt, node_options(url, "b", true));
  a.expose("echo", rt.spawn<Echoer>());
  auto echo = b.lookup<Echoer>("echo");
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

// As tact_ask, but the caller sleeps on a condition variable at once (the
// answer's then() wakes it) instead of Reply::get(), which spins up to 50 us
// before it parks: on two busy cores the spin competes with the threads that
// carry the answer.
void tact_ask_then(tact::Runtime& rt, const std::string& url, int n, const std::string& payload) {
  tact::nats::Node a(rt, node_options(url, "a", true));
  tact::nats::Node b(rt, node_options(url, "b", true));
  a.expose("echo", rt.spawn<Echoer>());
  auto echo = b.lookup<Echoer>("echo");
  AsyncWait wait;
  std::vector<double> ns;
  ns.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n + n / 10; ++i) {
    const auto start = Clock::now();
    echo.ask(Echo{payload}).then([&wait](tact::Outcome<std::string>) {
      std::lock_guard<std::mutex> lock(wait.mutex);
      wait.done = true;
      wait.cv.notify_one();
    });
    {
      std::unique_lock<std::mutex> lock(wait.mutex);
      wait.cv.wait(lock, [&] { return wait.done; });
      wait.done = false;
    }
    const auto took = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    if (i >= n / 10) ns.push_back(took);
  }
  const Latencies l = summarize(ns);
  record("ask tact-then p50", l.p50, "ns");
  record("ask tact-then p99", l.p99, "ns");
  record("ask tact-then p999", l.p999, "ns");
}

void tact_tell(tact::Runtime& rt, const std::string& url, int n, const std::string& payload, bool send_asap) {
  tact::nats::Node a(rt, node_options(url, "a", true));
  tact::nats::Node b(rt, node_options(url, "b", send_asap));
  auto counter_local = rt.spawn<Counter>();
  a.expose("counter", counter_local);
  auto counter = b.lookup<Counter>("counter");
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) (void)counter.tell(Echo{payload});
  // One sender, one actor: the ask is handled after every tell that arrived.
  std::uint64_t seen = 0;
  while ((seen = counter_local.ask(Count{}).get()) < static_cast<std::uint64_t>(n)) {
    if (Clock::now() - start > std::chrono::seconds(60)) {
      std::fprintf(stderr, "tact tell: only %llu of %d arrived\n", static_cast<unsigned long long>(seen), n);
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  record(send_asap ? "tell tact" : "tell tact(send_asap=off)", n / secs, "msgs/s");
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void line(const char* what, const std::string& tact_key, const std::string& raw_key, bool higher_better) {
  auto& t = g_results[tact_key];
  auto& r = g_results[raw_key];
  if (t.empty() || r.empty()) return;
  const double mt = median(t), mr = median(r);
  std::printf("| %s | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.2fx |\n", what, mr,
              *std::min_element(r.begin(), r.end()), *std::max_element(r.begin(), r.end()), mt,
              *std::min_element(t.begin(), t.end()), *std::max_element(t.begin(), t.end()),
              higher_better ? mt / mr : mt / mr);
}

}  // namespace

int main(int argc, char** argv) {
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
    raw_ask(url, asks, payload);
    tact_ask(rt, url, asks, payload);
    raw_async_ask(url, asks, payload);
    tact_ask_then(rt, url, asks, payload);
    raw_tell(url, tells, payload);
    tact_tell(rt, url, tells, payload, true);
    tact_tell(rt, url, tells, payload, false);
  }
  std::printf("\nmedians over %d interleaved rounds (min-max); ratio = tact / raw\n", rounds);
  std::printf("| figure | raw nats.c | tact::nats | ratio |\n|---|---|---|---|\n");
  line("ask p50 (ns)", "ask tact p50", "ask raw p50", false);
  line("ask p99 (ns)", "ask tact p99", "ask raw p99", false);
  line("ask p99.9 (ns)", "ask tact p999", "ask raw p999", false);
  line("ask p50 (ns), raw through an async inbox", "ask tact p50", "ask raw-async p50", false);
  line("ask p99 (ns), raw through an async inbox", "ask tact p99", "ask raw-async p99", false);
  line("ask p99.9 (ns), raw through an async inbox", "ask tact p999", "ask raw-async p999", false);
  line("ask p50 (ns), tact waiting in then() + condvar", "ask tact-then p50", "ask raw p50", false);
  line("ask p99 (ns), tact waiting in then() + condvar", "ask tact-then p99", "ask raw p99", false);
  line("ask p99.9 (ns), tact waiting in then() + condvar", "ask tact-then p999", "ask raw p999", false);
  line("tell (msgs/s)", "tell tact", "tell raw", true);
  line("tell, send_asap off (msgs/s)", "tell tact(send_asap=off)", "tell raw", true);
  rt.shutdown();
  return 0;
}
