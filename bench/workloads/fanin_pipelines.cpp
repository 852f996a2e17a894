// Fan-in pipelines (fanin_pipelines.hpp): the counter and producer actors, and the
// run that spawns, times and verifies any number of independent fan-ins.
//
// A producer sends in chunks: it handles Produce{n} by telling one chunk, then
// telling itself Produce{n - chunk}. So it never holds a worker for its whole share;
// its counter and the other producers get their turns in between. With
// Config::mute_senders (the default) producers that outrun their counter are muted
// until it catches up, which keeps the mailboxes short (docs/backpressure.md;
// TACT_MUTE_SENDERS=0 turns it off).
#include "harness/fanin_pipelines.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"

namespace workloads {
namespace {

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

// One fan-in: its counter and producers, and the replies they will answer.
struct Pipeline {
  tact::ActorRef<Counter> counter;
  tact::Reply<std::int64_t> reached;  // the counter's count, once it has counted its share
  std::vector<tact::ActorRef<Producer>> producers;
  std::vector<tact::Reply<std::int64_t>> finished;  // per producer: the Incs its counter accepted
};

Pipeline spawn_pipeline(tact::Runtime& rt, const FanInPipelines& shape, std::int64_t share) {
  Pipeline p;
  auto [reached, counted] = tact::Promise<std::int64_t>::make();
  p.counter = rt.spawn<Counter>(share, std::move(reached));
  p.reached = std::move(counted);
  for (int i = 0; i < shape.producers; ++i) {
    auto [done, reply] = tact::Promise<std::int64_t>::make();
    p.producers.push_back(rt.spawn<Producer>(p.counter, std::move(done)));
    p.finished.push_back(std::move(reply));
  }
  return p;
}

std::string pipeline_name(std::size_t i, std::size_t count) {
  return "pipeline " + std::to_string(i + 1) + " of " + std::to_string(count);
}

// What a counter answered when asked its count, for a failure message: the count,
// or why there is none.
std::string count_of(tact::Reply<std::int64_t>& answer, Clock::time_point until) {
  try {
    return std::to_string(answer.get_until(until));
  } catch (const std::exception& e) {
    return std::string("? (") + e.what() + ")";
  }
}

// A counter missed the deadline: names every pipeline still short of its share.
// Asks every counter first, then waits for the answers together (at most 5 s in
// all), so the message comes well before the watchdog's.
[[noreturn]] void fail_stuck(std::string_view workload, const std::vector<Pipeline>& pipelines,
                             std::int64_t share) {
  std::vector<tact::Reply<std::int64_t>> answers;
  for (const auto& p : pipelines) answers.push_back(p.counter.ask(Count{}));
  const auto until = Clock::now() + std::chrono::seconds(5);
  const std::string full = std::to_string(share);
  std::string stuck;
  for (std::size_t i = 0; i < pipelines.size(); ++i) {
    const std::string count = count_of(answers[i], until);
    if (count == full) continue;
    if (!stuck.empty()) stuck += "; ";
    stuck += pipeline_name(i, pipelines.size()) + "'s counter is stuck at " + count + " of " + full;
  }
  if (stuck.empty()) stuck = "every counter reached its share, but only after the deadline";
  fail(workload, "timed out: " + stuck);
}

}  // namespace

void run_fanin_pipelines(const Options& opts, const FanInPipelines& shape) {
  const std::int64_t share = shape.per_producer * shape.producers;  // each counter's
  const std::int64_t total = share * shape.pipelines;
  tact::Runtime rt(runtime_config(opts));

  std::vector<Pipeline> pipelines;
  pipelines.reserve(static_cast<std::size_t>(shape.pipelines));
  for (int i = 0; i < shape.pipelines; ++i) pipelines.push_back(spawn_pipeline(rt, shape, share));
  std::vector<std::int64_t> counts;
  counts.reserve(pipelines.size());
  const auto until = deadline(opts);

  const Stopwatch clock;
  for (auto& p : pipelines) {
    for (auto& producer : p.producers) producer.tell(Produce{shape.per_producer});
  }
  for (std::size_t i = 0; i < pipelines.size(); ++i) {
    try {
      counts.push_back(pipelines[i].reached.get_until(until));
    } catch (const tact::Timeout&) {
      fail_stuck(shape.name, pipelines, share);
    } catch (const std::exception& e) {
      fail(shape.name, pipeline_name(i, pipelines.size()) + "'s counter failed: " + e.what());
    }
  }
  const double seconds = clock.seconds();

  // Every counter reached exactly its share, every producer's Incs were all
  // accepted, and nothing more reached a counter once its producers had finished.
  for (std::size_t i = 0; i < pipelines.size(); ++i) {
    Pipeline& p = pipelines[i];
    const std::string name = pipeline_name(i, pipelines.size());
    check_eq(counts[i], share, shape.name, name + ": count when its counter reached its share");
    for (std::size_t k = 0; k < p.finished.size(); ++k) {
      const std::string producer = name + ", producer " + std::to_string(k + 1);
      const std::int64_t sent = wait_for(p.finished[k], until, shape.name, producer + "'s last chunk");
      check_eq(sent, shape.per_producer, shape.name, producer + ": Inc messages its counter accepted");
    }
    auto final_count = p.counter.ask(Count{});
    const std::int64_t settled = wait_for(final_count, until, shape.name, name + "'s final count");
    check_eq(settled, share, shape.name, name + ": count after its producers finished");
  }
  const Rss rss = read_rss();
  rt.shutdown();

  result(shape.name, "rate", static_cast<double>(total) / seconds, "msgs/s");
  result(shape.name, "peak_rss_mb", static_cast<double>(rss.peak_kb) / 1024.0, "MB");
}

}  // namespace workloads
