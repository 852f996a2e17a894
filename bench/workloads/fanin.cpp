// fanin: 4 producer actors each tell 2,500,000 Inc{1} to one counter actor (no
// replies); done when the counter has counted 10,000,000. Figures: rate
// (msgs/s), peak_rss_mb (VmHWM of the process: run it in a fresh one; with
// TACT_MUTE_SENDERS=0 the counter's mailbox grows while the producers outrun it,
// by default they are muted until it catches up: docs/backpressure.md).
//
// A producer sends in chunks: it handles Produce{n} by telling one chunk, then
// telling itself Produce{n - chunk}. So it never holds a worker for millions of
// sends; the counter and the other producers get their turns in between.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

constexpr std::string_view kName = "fanin";
constexpr int kProducers = 4;
constexpr std::int64_t kChunk = 1'000;

struct Inc {
  std::int64_t amount;
};
struct Count {};

class Counter {
 public:
  Counter(std::int64_t target, tact::Promise<std::int64_t> reached)
      : target_(target), reached_(std::move(reached)) {}

  void handle(Inc inc) {
    count_ += inc.amount;
    if (count_ == target_) reached_.set_value(count_);
  }
  std::int64_t handle(Count) const { return count_; }

 private:
  std::int64_t count_ = 0;
  std::int64_t target_;
  tact::Promise<std::int64_t> reached_;
};

struct Produce {
  std::int64_t remaining;
};

class Producer {
 public:
  Producer(tact::ActorRef<Counter> counter, tact::Promise<std::int64_t> finished)
      : counter_(std::move(counter)), finished_(std::move(finished)) {}

  void handle(Produce p, tact::Context<Producer>& ctx) {
    const std::int64_t chunk = std::min(p.remaining, kChunk);
    for (std::int64_t i = 0; i < chunk; ++i) {
      if (counter_.tell(Inc{1})) ++sent_;  // false: the counter had stopped (a dead letter)
    }
    if (p.remaining > chunk) {
      ctx.self().tell(Produce{p.remaining - chunk});
    } else {
      finished_.set_value(sent_);  // how many the counter accepted
    }
  }

 private:
  tact::ActorRef<Counter> counter_;
  tact::Promise<std::int64_t> finished_;
  std::int64_t sent_ = 0;
};

}  // namespace

void run_fanin(const Options& opts) {
  const std::int64_t per_producer = scaled(2'500'000, opts);
  const std::int64_t total = per_producer * kProducers;
  tact::Runtime rt(runtime_config(opts));

  auto [reached, counted] = tact::Promise<std::int64_t>::make();
  auto counter = rt.spawn<Counter>(total, std::move(reached));
  std::vector<tact::ActorRef<Producer>> producers;
  std::vector<tact::Reply<std::int64_t>> finished;
  for (int i = 0; i < kProducers; ++i) {
    auto [done, reply] = tact::Promise<std::int64_t>::make();
    producers.push_back(rt.spawn<Producer>(counter, std::move(done)));
    finished.push_back(std::move(reply));
  }
  const auto until = deadline(opts);

  const Stopwatch clock;
  for (auto& producer : producers) producer.tell(Produce{per_producer});
  std::int64_t count = 0;
  try {
    count = counted.get_until(until);
  } catch (const tact::Timeout&) {
    auto now = counter.ask(Count{});
    fail(kName, "timed out: the counter is stuck at " +
                    std::to_string(now.get_for(std::chrono::seconds(5))) + " of " +
                    std::to_string(total));
  }
  const double seconds = clock.seconds();

  // Every producer has sent all it should, and nothing more reached the counter.
  std::int64_t sent = 0;
  for (auto& reply : finished) sent += wait_for(reply, until, kName, "a producer's last chunk");
  auto final_count = counter.ask(Count{});
  const std::int64_t settled = wait_for(final_count, until, kName, "the final count");
  const Rss rss = read_rss();
  rt.shutdown();

  check_eq(count, total, kName, "count when the counter reached its target");
  check_eq(sent, total, kName, "Inc messages the producers sent");
  check_eq(settled, total, kName, "count after every producer finished");
  result(kName, "rate", static_cast<double>(total) / seconds, "msgs/s");
  result(kName, "peak_rss_mb", static_cast<double>(rss.peak_kb) / 1024.0, "MB");
}

}  // namespace workloads
