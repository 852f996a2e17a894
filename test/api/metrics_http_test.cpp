// tact::metrics::HttpEndpoint, scraped by a real Prometheus: the test starts
// `prometheus` (Debian's) on a free loopback port with a scrape config that
// points at a test runtime's endpoint and a temporary storage directory, waits
// for a scrape, then asks Prometheus' HTTP API (PromQL) for the series and
// checks their values. Bounded: every wait has a deadline, a watchdog fails
// the test instead of hanging, and prometheus is stopped by its PID.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <tact/metrics_http.hpp>
#include <tact/tact.hpp>

#include "support/http_get.hpp"
#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::eventually;
using tact::test::http_get;
using tact::test::Watchdog;

struct Ping {};
class Pinger {
 public:
  static constexpr std::string_view name = "scrape.pinger";
  int handle(Ping) { return 1; }
};

TEST(MetricsHttp, ServesMetricsAndNothingElse) {
  Watchdog watchdog("ServesMetricsAndNothingElse", 60s);
  tact::Runtime rt(tact::test::workers(2));
  auto pinger = rt.spawn<Pinger>();
  for (int i = 0; i < 10; ++i) pinger.ask(Ping{}).get();
  ASSERT_TRUE(eventually([&] { return rt.metrics().classes.at(0).messages == 10; }));
  tact::metrics::HttpEndpoint endpoint(rt);
  ASSERT_NE(endpoint.port(), 0);
  const auto [status, body] = http_get(endpoint.port(), "/metrics");
  EXPECT_EQ(status, 200);
  EXPECT_NE(body.find("tact_actor_messages_total{class=\"scrape.pinger\"} 10\n"), std::string::npos) << body;
  EXPECT_EQ(http_get(endpoint.port(), "/").first, 404);
  EXPECT_EQ(http_get(endpoint.port(), "/metrics/x").first, 404);
  // A port already taken is a clear error.
  EXPECT_THROW(tact::metrics::HttpEndpoint(rt, "127.0.0.1:" + std::to_string(endpoint.port())), tact::Error);
}

// prometheus as a child process, stopped (and reaped) by its PID.
class PrometheusProcess {
 public:
  PrometheusProcess(const std::filesystem::path& dir, std::uint16_t web_port) {
    const std::string config = (dir / "prometheus.yml").string();
    const std::string storage = "--storage.tsdb.path=" + (dir / "data").string();
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(web_port);
    const std::string log = (dir / "prometheus.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen(log.c_str(), "w", stdout);
      std::freopen(log.c_str(), "a", stderr);
      ::execlp("prometheus", "prometheus", ("--config.file=" + config).c_str(), storage.c_str(), listen.c_str(),
               "--log.level=warn", static_cast<char*>(nullptr));
      std::_Exit(127);
    }
  }
  ~PrometheusProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {  // up to 10 s for a clean exit, then SIGKILL
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  bool started() const { return pid_ > 0; }
  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

// The value of the first result of an instant query, as Prometheus prints it
// ("...","500"]), or "" when there is none.
std::string query_value(std::uint16_t port, const std::string& promql) {
  const auto [status, body] = http_get(port, "/api/v1/query?query=" + tact::test::url_encoded(promql));
  if (status != 200) return "";
  const std::size_t value = body.find("\"value\":[");
  if (value == std::string::npos) return "";
  const std::size_t open = body.find(",\"", value);
  const std::size_t close = body.find('"', open + 2);
  if (open == std::string::npos || close == std::string::npos) return "";
  return body.substr(open + 2, close - open - 2);
}

TEST(MetricsHttp, ARealPrometheusScrapesIt) {
  Watchdog watchdog("ARealPrometheusScrapesIt", 90s);
  tact::Runtime rt(tact::test::workers(2));
  auto pinger = rt.spawn<Pinger>();
  auto metered = rt.spawn_metered<Pinger>("pinger-1");  // a named series too
  for (int i = 0; i < 500; ++i) pinger.tell(Ping{});
  for (int i = 0; i < 40; ++i) metered.tell(Ping{});
  pinger.ask(Ping{}).get();
  metered.ask(Ping{}).get();
  ASSERT_TRUE(eventually([&] {
    const auto s = rt.metrics();
    return s.classes.at(0).messages == 542 && s.named_actors.size() == 1 && s.named_actors[0].messages == 41;
  }));
  tact::metrics::HttpEndpoint endpoint(rt);

  char templ[] = "/tmp/tact_prometheus_XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr);
  const std::filesystem::path dir = templ;
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\n"
                                        << "scrape_configs:\n  - job_name: tact\n    scrape_interval: 1s\n"
                                        << "    static_configs:\n      - targets: ['127.0.0.1:" << endpoint.port()
                                        << "']\n";
  const std::uint16_t web_port = tact::test::free_loopback_port();
  std::string messages, up, workers_busy, quantile, named;
  {
    PrometheusProcess prometheus(dir, web_port);
    ASSERT_TRUE(prometheus.started());
    // Up to 60 s for it to start and scrape (a second or two on an idle machine).
    const bool scraped = eventually(
        [&] {
          messages = query_value(web_port, "tact_actor_messages_total{class=\"scrape.pinger\"}");
          return !messages.empty() || !prometheus.running();
        },
        60s);
    EXPECT_TRUE(scraped && prometheus.running()) << "prometheus did not scrape; its log:\n"
                                                 << std::ifstream(dir / "prometheus.log").rdbuf();
    up = query_value(web_port, "up{job=\"tact\"}");
    // What Prometheus answers, for the record (ctest --output-on-failure -V shows it).
    std::printf("%s\n", http_get(web_port, "/api/v1/query?query=" + tact::test::url_encoded(
                                                "tact_actor_messages_total{class=\"scrape.pinger\"}"))
                             .second.c_str());
    workers_busy = query_value(web_port, "count(tact_worker_busy_seconds_total)");
    quantile = query_value(web_port, "tact_actor_mailbox_wait_quantiles_seconds{class=\"scrape.pinger\",quantile=\"0.99\"} > 0");
    named = query_value(web_port, "tact_named_actor_messages_total{class=\"scrape.pinger\",actor=\"pinger-1\"}");
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(messages, "542");  // the metered actor's messages are its class's too
  EXPECT_EQ(named, "41");
  EXPECT_EQ(up, "1");
  EXPECT_EQ(workers_busy, "2");
  EXPECT_FALSE(quantile.empty());  // 1 in 256 of the 501 sends sampled: the series exists, > 0
}

}  // namespace
