// tact::metrics::prometheus_text: the exposition of a runtime that has done
// some work passes `promtool check metrics` (Prometheus' own parser and
// linter), label values are escaped, and the samples hold the exact counts.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

#include <tact/tact.hpp>

#include "support/runtime_helpers.hpp"
#include "support/watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using tact::test::eventually;
using tact::test::Watchdog;

struct Ping {};
class Plain {
 public:
  int handle(Ping) { return 1; }
};
class Quoted {  // a name that needs escaping in a label value
 public:
  static constexpr std::string_view name = "kv \"shard\"\\0\nx";
  int handle(Ping) { return 2; }
};

// Runs `command` through the shell; its exit status and what it printed.
std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// `promtool check metrics` finds nothing to say about `text`.
void expect_promtool_clean(const std::string& text) {
  ASSERT_NE(std::string(TACT_PROMTOOL), "") << "promtool not found at configure time: run scripts/setup.sh";
  char path[] = "/tmp/tact_metrics_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << text;
  const auto [status, output] = run(std::string(TACT_PROMTOOL) + " check metrics < " + path);
  ::unlink(path);
  EXPECT_EQ(status, 0) << output << "\n--- exposition:\n" << text;
  EXPECT_EQ(output, "") << output;
}

TEST(MetricsPrometheus, PassesPromtoolAndHoldsTheCounts) {
  Watchdog watchdog("PassesPromtoolAndHoldsTheCounts", 60s);
  ASSERT_NE(std::string(TACT_PROMTOOL), "") << "promtool not found at configure time: run scripts/setup.sh";
  tact::Runtime rt(tact::test::workers(2));
  auto plain = rt.spawn<Plain>();
  auto quoted = rt.spawn<Quoted>();
  for (int i = 0; i < 300; ++i) EXPECT_EQ(plain.ask(Ping{}).get(), 1);
  for (int i = 0; i < 70; ++i) EXPECT_EQ(quoted.ask(Ping{}).get(), 2);
  quoted.stop();
  ASSERT_TRUE(eventually([&] { return rt.stats().actors_stopped == 1; }));
  EXPECT_FALSE(quoted.tell(Ping{}));  // a dead letter, by class and message type
  ASSERT_TRUE(eventually([&] {
    std::uint64_t n = 0;
    for (const auto& c : rt.metrics().classes) n += c.messages;
    return n == 371;  // the stop is a message too
  }));

  const std::string text = tact::metrics::prometheus_text(rt);
  expect_promtool_clean(text);

  const std::string plain_label = "class=\"" + std::string(tact::detail::type_name<Plain>()) + "\"";
  EXPECT_NE(text.find("tact_actor_messages_total{" + plain_label + "} 300\n"), std::string::npos) << text;
  const std::string quoted_label = R"(class="kv \"shard\"\\0\nx")";
  EXPECT_NE(text.find("tact_actor_messages_total{" + quoted_label + "} 71\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tact_dead_letters_total{" + quoted_label + ",message=\"" +
                      std::string(tact::detail::type_name<Ping>()) + "\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tact_actor_handler_seconds_bucket{" + plain_label + ",le=\"+Inf\"} 1\n"),
            std::string::npos)  // 300 asks from this thread, 1 in 256 timed
      << text;
  EXPECT_NE(text.find("tact_worker_busy_seconds_total{worker=\"1\"} "), std::string::npos);
  EXPECT_NE(text.find("tact_metrics_sample_period 256\n"), std::string::npos);
}

// A metered actor (rt.spawn_metered) has tact_named_actor_* series, labelled
// with its class and its name, beside its class's; none without one.
TEST(MetricsPrometheus, MeteredActorsHaveSeriesOfTheirOwn) {
  Watchdog watchdog("MeteredActorsHaveSeriesOfTheirOwn", 60s);
  tact::Runtime rt(tact::test::workers(2));
  EXPECT_EQ(tact::metrics::prometheus_text(rt).find("tact_named_actor_"), std::string::npos);
  auto plain = rt.spawn<Plain>();
  auto metered = rt.spawn_metered<Plain>("plain \"7\"");  // escaped as a label value too
  for (int i = 0; i < 40; ++i) EXPECT_EQ(plain.ask(Ping{}).get(), 1);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(metered.ask(Ping{}).get(), 1);
  ASSERT_TRUE(eventually([&] {
    const auto s = rt.metrics();
    return s.named_actors.size() == 1 && s.named_actors[0].messages == 30 && s.classes.size() == 1 &&
           s.classes[0].messages == 70;
  }));
  const std::string text = tact::metrics::prometheus_text(rt);
  expect_promtool_clean(text);
  const std::string plain_label = "class=\"" + std::string(tact::detail::type_name<Plain>()) + "\"";
  const std::string named_label = plain_label + R"(,actor="plain \"7\"")";
  EXPECT_NE(text.find("tact_actor_messages_total{" + plain_label + "} 70\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tact_named_actor_messages_total{" + named_label + "} 30\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tact_named_actor_live{" + named_label + "} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tact_named_actor_handler_seconds_bucket{" + named_label + ",le=\"+Inf\"} "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tact_named_actor_mailbox_wait_quantiles_seconds_count{" + named_label + "} "),
            std::string::npos)
      << text;
}

}  // namespace
