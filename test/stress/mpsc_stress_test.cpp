// Bounded concurrency torture for MpscQueue (src/mailbox/mpsc_queue.hpp) with 1-4
// producer threads, each pushing its own nodes tagged (producer, seq) in random
// bursts.
//
// EdgeProtocol: consumer rights follow the edge exactly as the actor runtime uses
// them. A producer whose push() returns true hands one run token to a pool of two
// runner threads (so consumer rights migrate between threads, like an actor moving
// between workers); the runner that takes it drains the queue, then gives up its
// rights with try_mark_empty(), or, when a push got in first, keeps popping.
// Checked: every node delivered exactly once, in order per producer; one turn per
// edge (true pushes == successful try_mark_empty calls: the initial marked state
// pairs with the first edge, the final marked state closes the last turn); never
// two runners at once; never more than one outstanding token. Every few bursts the
// producers meet at a barrier, and with no push in flight and no turn running every
// pushed node must have been delivered: a node stranded in a queue marked empty (a
// lost edge) fails the test at once, with a dump, instead of hanging it.
//
// SpinningConsumer: one consumer that never gives up its rights and pops as fast as
// it can, so the "last node" path (stub re-push) races pushes all the time.
//
// Anything that stops making progress fails after kStallLimit with a dump; the
// Watchdog is the backstop for a thread that never returns. A schedule-fuzzing
// build (TACT_SCHED_FUZZ) widens the cut windows through TACT_YIELD_POINT.
#include "mailbox/mpsc_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <semaphore>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/watchdog.hpp"

namespace tact::detail {
namespace {

using namespace std::chrono_literals;

constexpr long kNodesPerProducer = 1'000'000;  // release; sanitizer builds do a tenth
constexpr int kRunnerThreads = 2;
constexpr std::size_t kMaxBatch = 16;
constexpr int kSpinsBeforeBlocking = 2000;
constexpr int kBurstsPerRound = 4;  // producers meet for a quiescence check this often
constexpr auto kStallLimit = 10s;  // no delivery for this long while waiting = lost edge
constexpr auto kWatchdogLimit = std::chrono::seconds(90);

struct StressNode : MpscNode {
  int producer = 0;
  long seq = 0;
};

// Per-thread xorshift: cheap, deterministic per producer, no shared state.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint32_t below(std::uint32_t bound) {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<std::uint32_t>(state_ % bound);
  }

 private:
  std::uint64_t state_;
};

// Pushes its nodes in random bursts with short pauses between them, so the queue
// keeps draining to empty and the edge fires often. `after_burst` runs between
// bursts, when none of this producer's pushes is in flight.
template <class OnEdge, class AfterBurst>
void produce(MpscQueue& queue, StressNode* nodes, long count, int producer, std::atomic<long>& pushed,
             OnEdge on_edge, AfterBurst after_burst) {
  Rng rng(static_cast<std::uint64_t>(producer) + 1);
  long seq = 0;
  while (seq < count) {
    const long burst_end = std::min(count, seq + 1 + rng.below(64));
    for (; seq < burst_end; ++seq) {
      StressNode& node = nodes[seq];
      node.producer = producer;
      node.seq = seq;
      if (queue.push(&node)) on_edge();
    }
    // release: pairs with the acquire load in EdgeProtocolRun::pushed_total (the
    // barrier orders it too); elsewhere a progress counter for the dump.
    pushed.store(seq, std::memory_order_release);
    const std::uint32_t pause = rng.below(8);
    if (pause == 0) {
      std::this_thread::yield();
    } else {
      for (std::uint32_t i = 0; i < pause * 16; ++i) cpu_relax();
    }
    after_burst();
  }
}

// What the consumer saw. Touched only by the current holder of consumer rights;
// the queue's edge handoff is what orders one holder's writes before the next's.
class DeliveryLog {
 public:
  DeliveryLog(int producers, long per_producer)
      : next_seq_(static_cast<std::size_t>(producers), 0),
        times_seen_(static_cast<std::size_t>(producers),
                    std::vector<std::uint8_t>(static_cast<std::size_t>(per_producer), 0)) {}

  void record(const StressNode& node) {
    const auto producer = static_cast<std::size_t>(node.producer);
    std::uint8_t& seen = times_seen_[producer][static_cast<std::size_t>(node.seq)];
    if (seen != 0) ++duplicates_;
    seen = 1;
    if (node.seq < next_seq_[producer]) ++out_of_order_;
    next_seq_[producer] = node.seq + 1;
    ++delivered_;
  }

  long delivered() const { return delivered_; }
  long duplicates() const { return duplicates_; }
  long out_of_order() const { return out_of_order_; }
  long missing() const {
    long missing = 0;
    for (const auto& seen : times_seen_) {
      for (std::uint8_t s : seen) missing += s == 0 ? 1 : 0;
    }
    return missing;
  }

 private:
  std::vector<long> next_seq_;
  std::vector<std::vector<std::uint8_t>> times_seen_;
  long delivered_ = 0;
  long duplicates_ = 0;
  long out_of_order_ = 0;
};

std::vector<std::unique_ptr<StressNode[]>> allocate_nodes(int producers, long per_producer) {
  std::vector<std::unique_ptr<StressNode[]>> nodes;
  for (int p = 0; p < producers; ++p) {
    nodes.push_back(std::make_unique<StressNode[]>(static_cast<std::size_t>(per_producer)));
  }
  return nodes;
}

// =====================================================================================
// EdgeProtocol
// =====================================================================================

class EdgeProtocolRun {
 public:
  EdgeProtocolRun(int producers, long per_producer)
      : producers_(producers),
        per_producer_(per_producer),
        nodes_(allocate_nodes(producers, per_producer)),
        pushed_(static_cast<std::size_t>(producers)),
        round_barrier_(producers, QuiescenceCheck{this}),
        log_(producers, per_producer) {}

  // Runs producers and runners to completion; returns false on a stall.
  bool run() {
    std::vector<std::thread> runners;
    for (int r = 0; r < kRunnerThreads; ++r) runners.emplace_back([this] { runner_loop(); });
    std::vector<std::thread> producers;
    for (int p = 0; p < producers_; ++p) producers.emplace_back([this, p] { producer_main(p); });
    for (auto& t : producers) t.join();
    const bool finished = wait_until_drained_and_idle();
    // release: pairs with the acquire load of stop_ in runner_loop.
    stop_.store(true, std::memory_order_release);
    token_signal_.release(kRunnerThreads);
    for (auto& t : runners) t.join();
    return finished;
  }

  std::string dump() const {
    std::ostringstream out;
    out << "EdgeProtocol with " << producers_ << " producer(s), " << per_producer_ << " nodes each\n";
    for (int p = 0; p < producers_; ++p) {
      out << "  producer " << p << " pushed "
          << pushed_[static_cast<std::size_t>(p)].load(std::memory_order_relaxed) << '\n';
    }
    // relaxed: a snapshot for humans.
    out << "  delivered " << delivered_.load(std::memory_order_relaxed)
        << "\n  edges (true pushes) " << edges_.load(std::memory_order_relaxed)
        << "\n  turns started " << turns_.load(std::memory_order_relaxed)
        << "\n  successful try_mark_empty " << marks_.load(std::memory_order_relaxed)
        << "\n  failed try_mark_empty " << failed_marks_.load(std::memory_order_relaxed)
        << "\n  quiescence checks " << quiescence_checks_.load(std::memory_order_relaxed)
        << "\n  outstanding tokens " << pending_tokens_.load(std::memory_order_relaxed)
        << "\n  a runner is running " << running_.load(std::memory_order_relaxed) << '\n';
    return out.str();
  }

  // Read after run(): every thread is joined.
  const DeliveryLog& log() const { return log_; }
  long edges() const { return edges_.load(std::memory_order_relaxed); }
  long marks() const { return marks_.load(std::memory_order_relaxed); }
  long failed_marks() const { return failed_marks_.load(std::memory_order_relaxed); }
  long quiescence_checks() const { return quiescence_checks_.load(std::memory_order_relaxed); }
  long turns() const { return turns_.load(std::memory_order_relaxed); }
  long stranded_rounds() const { return stranded_rounds_.load(std::memory_order_relaxed); }
  long token_violations() const { return token_violations_.load(std::memory_order_relaxed); }
  long double_runs() const { return double_runs_.load(std::memory_order_relaxed); }
  bool queue_empty() const { return queue_.empty(); }

 private:
  // std::barrier's completion step: runs once per round, when every producer is
  // between bursts, so no push is in flight.
  struct QuiescenceCheck {
    EdgeProtocolRun* run;
    void operator()() const noexcept { run->check_quiescent(); }
  };

  void producer_main(int p) {
    int bursts = 0;
    produce(queue_, nodes_[static_cast<std::size_t>(p)].get(), per_producer_, p,
            pushed_[static_cast<std::size_t>(p)], [this] { hand_out_run_token(); },
            [this, &bursts] {
              if (++bursts % kBurstsPerRound == 0) round_barrier_.arrive_and_wait();
            });
    round_barrier_.arrive_and_drop();
  }

  // The producer that saw the edge now holds consumer rights and passes them on.
  void hand_out_run_token() {
    // release: pairs with the acquire load in check_quiescent / wait_until_drained_and_idle.
    edges_.fetch_add(1, std::memory_order_release);
    // acq_rel: orders this token after the turn that consumed the previous one (whose
    // fetch_sub happens-before the try_mark_empty this edge observed); 0 → 1 only.
    if (pending_tokens_.fetch_add(1, std::memory_order_acq_rel) != 0) {
      token_violations_.fetch_add(1, std::memory_order_relaxed);
    }
    token_signal_.release();  // release: pairs with the acquire in wait_for_token
  }

  void runner_loop() {
    for (;;) {
      wait_for_token();
      // acquire: pairs with the release store in run().
      if (stop_.load(std::memory_order_acquire)) return;
      // acq_rel: see hand_out_run_token; 1 → 0 only.
      if (pending_tokens_.fetch_sub(1, std::memory_order_acq_rel) != 1) {
        token_violations_.fetch_add(1, std::memory_order_relaxed);
      }
      turns_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count read after join
      run_turn();
    }
  }

  // Spin a little before blocking, as a runtime worker does: a wake-up costs
  // microseconds, so without it turns (and edges) would be rare.
  void wait_for_token() {
    for (int spin = 0; spin < kSpinsBeforeBlocking; ++spin) {
      if (token_signal_.try_acquire()) return;
      cpu_relax();
    }
    token_signal_.acquire();
  }

  // One turn of the consumer, as an actor runner does it.
  void run_turn() {
    claim_running();
    std::size_t batch = 1;
    long idle_spins = 0;
    for (;;) {
      const std::size_t popped = drain(batch);
      batch = batch % kMaxBatch + 1;  // vary the batch size; 1 is plain pop()
      if (popped > 0) {
        idle_spins = 0;
        continue;
      }
      // Nothing poppable: give up the rights. Clear the flag first: once
      // try_mark_empty succeeds the next runner may start at once.
      running_.store(false, std::memory_order_release);  // release: pairs with claim_running
      if (queue_.try_mark_empty()) {
        // release: publishes this turn's delivered_ updates to the acquire loads of
        // marks_ in check_quiescent / wait_until_drained_and_idle.
        marks_.fetch_add(1, std::memory_order_release);
        return;
      }
      // A push got in (maybe still half done): we are still the consumer.
      failed_marks_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count
      claim_running();
      // On 2 cores the pusher may be preempted inside its cut window; let it run.
      if (++idle_spins % 64 == 0) std::this_thread::yield();
      if (stop_.load(std::memory_order_relaxed)) return;  // relaxed: a stalled run is torn down
    }
  }

  std::size_t drain(std::size_t batch) {
    std::size_t total = 0;
    MpscNode* out[kMaxBatch];
    for (;;) {
      std::size_t n = 0;
      if (batch == 1) {
        out[0] = queue_.pop();
        n = out[0] != nullptr ? 1 : 0;
      } else {
        n = queue_.pop_batch(out, batch);
      }
      if (n == 0) break;
      for (std::size_t i = 0; i < n; ++i) log_.record(*static_cast<StressNode*>(out[i]));
      total += n;
      delivered_.fetch_add(static_cast<long>(n), std::memory_order_relaxed);  // ordered by marks_
    }
    return total;
  }

  void claim_running() {
    // acq_rel: pairs with the release store in run_turn; true here means two runners.
    if (running_.exchange(true, std::memory_order_acq_rel)) {
      double_runs_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  long pushed_total() const {
    long total = 0;
    // acquire: pairs with the release store in produce().
    for (const auto& pushed : pushed_) total += pushed.load(std::memory_order_acquire);
    return total;
  }

  // No push is in flight. Wait until no turn is running and no token is pending
  // (marks_ == edges_); then every pushed node must have been delivered. A node
  // left behind was stranded: the queue was marked empty while holding it, or an
  // edge was not reported, and no later push would come to rescue it.
  void check_quiescent() noexcept {
    quiescence_checks_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count
    const long edges = edges_.load(std::memory_order_acquire);   // pairs with hand_out_run_token
    while (marks_.load(std::memory_order_acquire) != edges) {    // pairs with run_turn
      std::this_thread::yield();  // a turn is running; a hang here is the Watchdog's
    }
    if (delivered_.load(std::memory_order_relaxed) != pushed_total()) {
      if (stranded_rounds_.fetch_add(1, std::memory_order_relaxed) == 0) {
        ADD_FAILURE() << "nodes stranded in a queue marked empty\n" << dump();
      }
    }
  }

  // After the producers are joined: every node delivered and the last turn over.
  bool wait_until_drained_and_idle() {
    const long total = per_producer_ * producers_;
    const long edges = edges_.load(std::memory_order_acquire);  // final: producers joined
    long last_progress = -1;
    auto last_change = std::chrono::steady_clock::now();
    for (;;) {
      const long marks = marks_.load(std::memory_order_acquire);  // pairs with run_turn
      const long delivered = delivered_.load(std::memory_order_relaxed);
      if (delivered == total && marks == edges) return true;
      if (delivered + marks != last_progress) {
        last_progress = delivered + marks;
        last_change = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - last_change > kStallLimit) {
        ADD_FAILURE() << "no progress for " << kStallLimit.count() << " s (lost edge?)\n" << dump();
        return false;
      }
      std::this_thread::sleep_for(1ms);
    }
  }

  const int producers_;
  const long per_producer_;
  MpscQueue queue_;
  std::vector<std::unique_ptr<StressNode[]>> nodes_;
  std::vector<std::atomic<long>> pushed_;
  std::barrier<QuiescenceCheck> round_barrier_;
  std::counting_semaphore<> token_signal_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> pending_tokens_{0};
  std::atomic<bool> running_{false};
  std::atomic<long> delivered_{0};
  std::atomic<long> edges_{0};
  std::atomic<long> turns_{0};
  std::atomic<long> marks_{0};
  std::atomic<long> failed_marks_{0};
  std::atomic<long> quiescence_checks_{0};
  std::atomic<long> stranded_rounds_{0};
  std::atomic<long> token_violations_{0};
  std::atomic<long> double_runs_{0};
  DeliveryLog log_;  // touched only by the holder of consumer rights
};

class MpscStress : public ::testing::TestWithParam<int> {};

TEST_P(MpscStress, EdgeProtocolDeliversEveryNodeOnceInOrderWithOneRunnerPerEdge) {
  const int producers = GetParam();
  const long per_producer = tact::test::scaled(kNodesPerProducer);
  EdgeProtocolRun run(producers, per_producer);
  tact::test::Watchdog watchdog("MpscStress.EdgeProtocol", kWatchdogLimit, [&run] { return run.dump(); });

  ASSERT_TRUE(run.run());

  const DeliveryLog& log = run.log();
  EXPECT_EQ(log.delivered(), producers * per_producer);
  EXPECT_EQ(log.missing(), 0);
  EXPECT_EQ(log.duplicates(), 0);
  EXPECT_EQ(log.out_of_order(), 0);
  EXPECT_EQ(run.stranded_rounds(), 0) << "nodes were left in a queue marked empty";
  EXPECT_EQ(run.double_runs(), 0) << "two runners held consumer rights at once";
  EXPECT_EQ(run.token_violations(), 0) << "more than one outstanding run token";
  EXPECT_EQ(run.turns(), run.edges()) << "every edge gives exactly one turn";
  EXPECT_EQ(run.marks(), run.edges()) << "every turn ends in exactly one successful try_mark_empty";
  EXPECT_GE(run.edges(), 1);
  EXPECT_TRUE(run.queue_empty());
  RecordProperty("edges", std::to_string(run.edges()));
  RecordProperty("failed_marks", std::to_string(run.failed_marks()));
  std::printf("  %ld edges, %ld failed try_mark_empty, %ld quiescence checks\n", run.edges(),
              run.failed_marks(), run.quiescence_checks());
}

// =====================================================================================
// SpinningConsumer
// =====================================================================================

TEST_P(MpscStress, SpinningConsumerReceivesEveryNodeOnceInProducerOrder) {
  const int producers = GetParam();
  const long per_producer = tact::test::scaled(kNodesPerProducer);
  const long total = per_producer * producers;
  MpscQueue queue;
  auto nodes = allocate_nodes(producers, per_producer);
  std::vector<std::atomic<long>> pushed(static_cast<std::size_t>(producers));
  std::atomic<long> delivered{0};
  std::atomic<long> edges{0};
  DeliveryLog log(producers, per_producer);

  tact::test::Watchdog watchdog("MpscStress.SpinningConsumer", kWatchdogLimit, [&] {
    std::ostringstream out;
    out << "delivered " << delivered.load(std::memory_order_relaxed) << " of " << total << '\n';
    for (std::size_t p = 0; p < pushed.size(); ++p) {
      out << "  producer " << p << " pushed " << pushed[p].load(std::memory_order_relaxed) << '\n';
    }
    return out.str();
  });

  std::atomic<bool> producers_done{false};
  bool stalled = false;
  std::thread consumer([&] {
    MpscNode* out[kMaxBatch];
    std::size_t batch = 1;
    long empty_polls = 0;
    long delivered_at_last_check = -1;
    auto last_progress = std::chrono::steady_clock::now();
    while (log.delivered() < total) {
      const std::size_t n = queue.pop_batch(out, batch);
      batch = batch % kMaxBatch + 1;
      for (std::size_t i = 0; i < n; ++i) log.record(*static_cast<StressNode*>(out[i]));
      delivered.fetch_add(static_cast<long>(n), std::memory_order_relaxed);  // relaxed: progress
      if (n != 0 || ++empty_polls % 64 != 0) continue;
      std::this_thread::yield();
      // Nodes missing once every push is done: lost (or stuck behind a broken link).
      if (log.delivered() != delivered_at_last_check) {
        delivered_at_last_check = log.delivered();
        last_progress = std::chrono::steady_clock::now();
      } else if (producers_done.load(std::memory_order_acquire) &&  // pairs with the store below
                 std::chrono::steady_clock::now() - last_progress > kStallLimit) {
        stalled = true;
        return;
      }
    }
  });
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      produce(queue, nodes[static_cast<std::size_t>(p)].get(), per_producer, p,
              pushed[static_cast<std::size_t>(p)],
              [&edges] { edges.fetch_add(1, std::memory_order_relaxed); },  // relaxed: a count
              [] {});
    });
  }
  for (auto& t : threads) t.join();
  producers_done.store(true, std::memory_order_release);  // release: pairs with the consumer's load
  consumer.join();

  EXPECT_FALSE(stalled) << "no delivery for " << kStallLimit.count() << " s after the last push";
  EXPECT_EQ(log.delivered(), total);
  EXPECT_EQ(log.missing(), 0);
  EXPECT_EQ(log.duplicates(), 0);
  EXPECT_EQ(log.out_of_order(), 0);
  EXPECT_EQ(edges.load(), 1) << "the consumer never gave up its rights: one edge, the first push";
  EXPECT_EQ(queue.pop(), nullptr);
  EXPECT_TRUE(queue.empty());
}

std::string producers_name(const ::testing::TestParamInfo<int>& info) {
  return std::to_string(info.param) + (info.param == 1 ? "Producer" : "Producers");
}

INSTANTIATE_TEST_SUITE_P(Producers, MpscStress, ::testing::Values(1, 2, 3, 4), producers_name);

}  // namespace
}  // namespace tact::detail
