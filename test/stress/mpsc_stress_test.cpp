// Bounded concurrency torture for MpscQueue (src/mailbox/mpsc_queue.hpp) with 1-4
// producer threads, each pushing its messages tagged (producer, seq) in random
// bursts.
//
// Nodes are really freed or reused, and only when the queue retires them (I2): the
// node pop() hands out stays in the queue as its dummy, producers may still link
// to it, and it is the caller's again only once a later pop()/pop_batch() or
// try_mark_empty() retires it. Two node supplies (a test parameter):
//   Heap      a new node per push, deleted when retired: a premature retirement is
//             a use-after-free under AddressSanitizer (a producer linking to a
//             freed dummy) and a race under ThreadSanitizer.
//   Recycled  each producer reuses its retired nodes through a free list: a
//             premature retirement puts a node back in the queue while it is still
//             linked, which shows up in any build as a lost, duplicated or
//             reordered message or a node in the wrong lifecycle state.
// Every node carries a lifecycle state (free → queued → handled → free) checked at
// each step, and the consumer checks each `retired` against its model of the
// dummy (the node it was handed last; the stub, which must never come back, after
// a successful try_mark_empty). By the end every message's node must have been
// retired exactly once: the final dummy by the final try_mark_empty.
//
// EdgeProtocol: consumer rights follow the edge exactly as the actor runtime uses
// them. A producer whose push() returns true hands one run token to a pool of two
// runner threads (so consumer rights migrate between threads, like an actor moving
// between workers); the runner that takes it drains the queue, then gives up its
// rights with try_mark_empty(), or, when a push got in first, keeps popping.
// Checked: every message delivered exactly once, in order per producer; one turn
// per edge (true pushes == successful try_mark_empty calls: the initial marked
// state pairs with the first edge, the final marked state closes the last turn);
// never two runners at once; never more than one outstanding token. Every few
// bursts the producers meet at a barrier, and with no push in flight and no turn
// running every pushed message must have been delivered and every node retired: a
// message stranded in a queue marked empty (a lost edge) or a dummy kept by an idle
// queue fails the test at once, with a dump, instead of hanging it.
//
// SpinningConsumer: one consumer that never gives up its rights and pops as fast
// as it can, so producers keep linking to the dummy it has just been handed (and
// is reading) while it retires the one before.
//
// Anything that stops making progress fails after kStallLimit with a dump; the
// Watchdog is the backstop for a thread that never returns.
#include "mailbox/mpsc_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "support/concurrency.hpp"
#include "support/watchdog.hpp"
#include "sync/spin.hpp"

namespace tact::detail {
namespace {

using namespace std::chrono_literals;
using tact::test::Clock;
using tact::test::Thread;

constexpr long kNodesPerProducer = 1'000'000;  // release; sanitizer builds do a tenth
constexpr int kRunnerThreads = 2;
constexpr std::size_t kMaxBatch = 16;
constexpr int kSpinsBeforeBlocking = tact::test::kSimulated ? 20 : 2000;
constexpr int kBurstsPerRound = 4;  // producers meet for a quiescence check this often
constexpr std::size_t kPoolChunk = 64;  // recycled supply: nodes allocated at a time
constexpr auto kStallLimit = 10s;  // no delivery for this long while waiting = lost edge
constexpr auto kWatchdogLimit = std::chrono::seconds(90);

// A node's lifecycle, checked at every step. Distinctive values, so a scribbled or
// freed-and-reused node does not pass by accident.
enum class NodeState : std::uint32_t {
  kFree = 0xF4EE'F4EEu,     // with its producer (or in the free list)
  kQueued = 0x0E0E'0E0Eu,   // pushed, not yet handed out
  kHandled = 0x4A4D'4A4Du,  // handed out (the dummy, or retired but not yet home)
};

struct StressNode : MpscNode {
  int producer = 0;
  long seq = 0;
  NodeState state = NodeState::kFree;
};

// Written into `retired` before each call, so a call that leaves it alone is caught.
StressNode unwritten_marker;
MpscNode* const kUnwritten = &unwritten_marker;

enum class NodeSupply { kHeap, kRecycled };

void PrintTo(NodeSupply supply, std::ostream* out) {
  *out << (supply == NodeSupply::kHeap ? "HeapNodes" : "RecycledNodes");
}

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

// Where one producer's nodes come from and where the consumer side returns them
// once retired.
class NodePool {
 public:
  explicit NodePool(NodeSupply supply) : supply_(supply) {}
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  // The producer thread only.
  StressNode* take() {
    taken_.fetch_add(1, std::memory_order_relaxed);  // relaxed: ordered by the barrier / joins
    if (supply_ == NodeSupply::kHeap) return new StressNode;
    if (local_.empty()) {
      std::lock_guard<Mutex> lock(mutex_);
      local_.swap(returned_);
    }
    if (local_.empty()) {
      chunks_.push_back(std::make_unique<StressNode[]>(kPoolChunk));
      for (std::size_t i = 0; i < kPoolChunk; ++i) local_.push_back(&chunks_.back()[i]);
    }
    StressNode* node = local_.back();
    local_.pop_back();
    if (node->state != NodeState::kFree) bad_takes_.fetch_add(1, std::memory_order_relaxed);
    return node;
  }

  // Any consumer-side thread: a retired node comes home (or is freed).
  void give_back(StressNode* node) {
    // relaxed: read at quiescence, ordered by marks_ (EdgeProtocol) or a join.
    given_back_.fetch_add(1, std::memory_order_relaxed);
    if (supply_ == NodeSupply::kHeap) {
      delete node;
      return;
    }
    std::lock_guard<Mutex> lock(mutex_);
    returned_.push_back(node);
  }

  // Nodes taken and not yet given back (quiescent callers only): at rest, none.
  long outstanding() const {
    return taken_.load(std::memory_order_relaxed) - given_back_.load(std::memory_order_relaxed);
  }
  long taken() const { return taken_.load(std::memory_order_relaxed); }
  long bad_takes() const { return bad_takes_.load(std::memory_order_relaxed); }
  // Distinct nodes behind this producer's messages (recycled supply).
  long allocated() const { return static_cast<long>(chunks_.size() * kPoolChunk); }

 private:
  const NodeSupply supply_;
  Atomic<long> taken_{0};
  Atomic<long> given_back_{0};
  Atomic<long> bad_takes_{0};
  std::vector<StressNode*> local_;                     // the producer's
  std::vector<std::unique_ptr<StressNode[]>> chunks_;  // the producer's (recycled)
  Mutex mutex_;
  std::vector<StressNode*> returned_;  // consumer side → producer
};

using Pools = std::vector<std::unique_ptr<NodePool>>;

Pools make_pools(int producers, NodeSupply supply) {
  Pools pools;
  for (int p = 0; p < producers; ++p) pools.push_back(std::make_unique<NodePool>(supply));
  return pools;
}

// Pushes its messages in random bursts with short pauses between them, so the
// queue keeps draining to empty and the edge fires often. `after_burst` runs
// between bursts, when none of this producer's pushes is in flight.
template <class OnEdge, class AfterBurst>
void produce(MpscQueue& queue, NodePool& pool, long count, int producer, Atomic<long>& pushed,
             OnEdge on_edge, AfterBurst after_burst) {
  Rng rng(static_cast<std::uint64_t>(producer) + 1);
  long seq = 0;
  while (seq < count) {
    const long burst_end = std::min(count, seq + 1 + rng.below(64));
    for (; seq < burst_end; ++seq) {
      StressNode* node = pool.take();
      node->producer = producer;
      node->seq = seq;
      node->state = NodeState::kQueued;
      if (queue.push(node)) on_edge();  // node is the queue's now: not touched again
    }
    // release: pairs with the acquire load in EdgeProtocolRun::pushed_total (the
    // barrier orders it too); elsewhere a progress counter for the dump.
    pushed.store(seq, std::memory_order_release);
    const std::uint32_t pause = rng.below(8);
    if (pause == 0) {
      tact::test::yield();
    } else {
      for (std::uint32_t i = 0; i < pause * 16; ++i) cpu_relax();
    }
    after_burst();
  }
}

// Takes retired nodes: checks their state, counts each message's retirements and
// sends the node home. One per consumer thread (a runner retires the old dummy
// after a successful try_mark_empty, when it no longer holds consumer rights).
class Retirer {
 public:
  Retirer(const MpscQueue& queue, Pools& pools, long per_producer)
      : queue_(queue),
        pools_(pools),
        per_producer_(per_producer),
        times_retired_(pools.size(), std::vector<std::uint8_t>(static_cast<std::size_t>(per_producer), 0)) {}

  void retire(MpscNode* retired) {
    const auto address = reinterpret_cast<std::uintptr_t>(retired);
    const auto queue_begin = reinterpret_cast<std::uintptr_t>(&queue_);
    if (address >= queue_begin && address < queue_begin + sizeof queue_) {
      ++stub_retired_;  // the queue's own node: never ours to take
      return;
    }
    auto* node = static_cast<StressNode*>(retired);
    // Retired means handed out before (it was the dummy); anything else means the
    // queue gave back a node still queued, or one already back home.
    if (node->state != NodeState::kHandled || node->producer < 0 ||
        node->producer >= static_cast<int>(pools_.size()) || node->seq < 0 ||
        node->seq >= per_producer_) {
      ++bad_states_;
      return;  // leaked rather than freed twice; the counts fail the test
    }
    std::uint8_t& times = times_retired_[static_cast<std::size_t>(node->producer)]
                                        [static_cast<std::size_t>(node->seq)];
    if (times < 255) ++times;
    node->state = NodeState::kFree;
    pools_[static_cast<std::size_t>(node->producer)]->give_back(node);
  }

  long stub_retired() const { return stub_retired_; }
  long bad_states() const { return bad_states_; }
  std::uint8_t times_retired(std::size_t producer, std::size_t seq) const {
    return times_retired_[producer][seq];
  }

 private:
  const MpscQueue& queue_;
  Pools& pools_;
  const long per_producer_;
  std::vector<std::vector<std::uint8_t>> times_retired_;
  long stub_retired_ = 0;
  long bad_states_ = 0;
};

// Messages whose node was not retired exactly once, over all consumer threads.
long not_retired_exactly_once(const std::vector<std::unique_ptr<Retirer>>& retirers, int producers,
                              long per_producer) {
  long wrong = 0;
  for (std::size_t p = 0; p < static_cast<std::size_t>(producers); ++p) {
    for (std::size_t s = 0; s < static_cast<std::size_t>(per_producer); ++s) {
      int times = 0;
      for (const auto& retirer : retirers) times += retirer->times_retired(p, s);
      wrong += times == 1 ? 0 : 1;
    }
  }
  return wrong;
}

// What the consumer saw, and its model of the dummy. Touched only by the current
// holder of consumer rights; the queue's edge handoff is what orders one holder's
// writes before the next's.
class ConsumerLog {
 public:
  ConsumerLog(int producers, long per_producer)
      : next_seq_(static_cast<std::size_t>(producers), 0),
        times_seen_(static_cast<std::size_t>(producers),
                    std::vector<std::uint8_t>(static_cast<std::size_t>(per_producer), 0)) {}

  // What pop() / pop_batch() returned: n nodes in `out`, and `retired`. Checks
  // `retired` against the model (the previous dummy, or nothing when n == 0),
  // records the messages, then retires what is the caller's again: the previous
  // dummy and out[0..n-2]; out[n-1] is the new dummy.
  void took(MpscNode* const* out, std::size_t n, MpscNode* retired, Retirer& retirer) {
    if (n == 0) {
      if (retired != nullptr) wrong_retirements_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // Free only what the model says is ours, so a wrong answer cannot make the
    // test free a node the queue still holds.
    if (retired != dummy_) {
      wrong_retirements_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count
    } else if (retired != nullptr) {
      retirer.retire(retired);
    }
    for (std::size_t i = 0; i < n; ++i) record(*static_cast<StressNode*>(out[i]));
    for (std::size_t i = 0; i + 1 < n; ++i) retirer.retire(out[i]);
    dummy_ = out[n - 1];
  }

  // try_mark_empty() support: the dummy the mark must retire (nullptr: the stub).
  MpscNode* dummy() const { return dummy_; }
  void set_dummy(MpscNode* dummy) { dummy_ = dummy; }
  // Any thread (a runner that has just given up its rights may report).
  void wrong_retirement() { wrong_retirements_.fetch_add(1, std::memory_order_relaxed); }

  long delivered() const { return delivered_; }
  long duplicates() const { return duplicates_; }
  long out_of_order() const { return out_of_order_; }
  long bad_states() const { return bad_states_; }
  long wrong_retirements() const { return wrong_retirements_.load(std::memory_order_relaxed); }
  long missing() const {
    long missing = 0;
    for (const auto& seen : times_seen_) {
      for (std::uint8_t s : seen) missing += s == 0 ? 1 : 0;
    }
    return missing;
  }

 private:
  void record(StressNode& node) {
    if (node.state != NodeState::kQueued) ++bad_states_;
    node.state = NodeState::kHandled;  // the payload is the caller's at once (I2)
    const auto producer = static_cast<std::size_t>(node.producer);
    if (producer >= next_seq_.size() || node.seq < 0 ||
        node.seq >= static_cast<long>(times_seen_[0].size())) {
      ++bad_states_;
      return;
    }
    std::uint8_t& seen = times_seen_[producer][static_cast<std::size_t>(node.seq)];
    if (seen != 0) ++duplicates_;
    seen = 1;
    if (node.seq < next_seq_[producer]) ++out_of_order_;
    next_seq_[producer] = node.seq + 1;
    ++delivered_;
  }

  std::vector<long> next_seq_;
  std::vector<std::vector<std::uint8_t>> times_seen_;
  MpscNode* dummy_ = nullptr;  // nullptr: the stub
  long delivered_ = 0;
  long duplicates_ = 0;
  long out_of_order_ = 0;
  long bad_states_ = 0;
  Atomic<long> wrong_retirements_{0};
};

// One pop() (batch == 1) or pop_batch(); the result goes through the log.
std::size_t take_some(MpscQueue& queue, std::size_t batch, ConsumerLog& log, Retirer& retirer) {
  MpscNode* out[kMaxBatch];
  MpscNode* retired = kUnwritten;
  std::size_t n = 0;
  if (batch == 1) {
    out[0] = queue.pop(retired);
    n = out[0] != nullptr ? 1 : 0;
  } else {
    n = queue.pop_batch(out, batch, retired);
  }
  log.took(out, n, retired, retirer);
  return n;
}

// =====================================================================================
// EdgeProtocol
// =====================================================================================

class EdgeProtocolRun {
 public:
  EdgeProtocolRun(int producers, long per_producer, NodeSupply supply)
      : producers_(producers),
        per_producer_(per_producer),
        pools_(make_pools(producers, supply)),
        pushed_(static_cast<std::size_t>(producers)),
        round_barrier_(producers, QuiescenceCheck{this}),
        log_(producers, per_producer) {
    for (int r = 0; r < kRunnerThreads; ++r) {
      retirers_.push_back(std::make_unique<Retirer>(queue_, pools_, per_producer));
    }
  }

  // Runs producers and runners to completion; returns false on a stall.
  bool run() {
    std::vector<Thread> runners;
    for (int r = 0; r < kRunnerThreads; ++r) runners.emplace_back([this, r] { runner_loop(r); });
    std::vector<Thread> producers;
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
    out << "EdgeProtocol with " << producers_ << " producer(s), " << per_producer_ << " messages each\n";
    for (int p = 0; p < producers_; ++p) {
      out << "  producer " << p << " pushed "
          << pushed_[static_cast<std::size_t>(p)].load(std::memory_order_relaxed)
          << ", nodes not yet retired " << pools_[static_cast<std::size_t>(p)]->outstanding() << '\n';
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
  const ConsumerLog& log() const { return log_; }
  const Pools& pools() const { return pools_; }
  long edges() const { return edges_.load(std::memory_order_relaxed); }
  long marks() const { return marks_.load(std::memory_order_relaxed); }
  long failed_marks() const { return failed_marks_.load(std::memory_order_relaxed); }
  long quiescence_checks() const { return quiescence_checks_.load(std::memory_order_relaxed); }
  long turns() const { return turns_.load(std::memory_order_relaxed); }
  long stranded_rounds() const { return stranded_rounds_.load(std::memory_order_relaxed); }
  long held_rounds() const { return held_rounds_.load(std::memory_order_relaxed); }
  long token_violations() const { return token_violations_.load(std::memory_order_relaxed); }
  long double_runs() const { return double_runs_.load(std::memory_order_relaxed); }
  bool queue_empty() const { return queue_.empty(); }
  long stub_retired() const {
    long total = 0;
    for (const auto& r : retirers_) total += r->stub_retired();
    return total;
  }
  long bad_retire_states() const {
    long total = 0;
    for (const auto& r : retirers_) total += r->bad_states();
    return total;
  }
  long not_retired_exactly_once() const {
    return tact::detail::not_retired_exactly_once(retirers_, producers_, per_producer_);
  }

 private:
  // std::barrier's completion step: runs once per round, when every producer is
  // between bursts, so no push is in flight.
  struct QuiescenceCheck {
    EdgeProtocolRun* run;
    void operator()() const noexcept { run->check_quiescent(); }
  };

  void producer_main(int p) {
    int bursts = 0;
    produce(queue_, *pools_[static_cast<std::size_t>(p)], per_producer_, p,
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

  void runner_loop(int index) {
    Retirer& retirer = *retirers_[static_cast<std::size_t>(index)];
    for (;;) {
      wait_for_token();
      // acquire: pairs with the release store in run().
      if (stop_.load(std::memory_order_acquire)) return;
      // acq_rel: see hand_out_run_token; 1 → 0 only.
      if (pending_tokens_.fetch_sub(1, std::memory_order_acq_rel) != 1) {
        token_violations_.fetch_add(1, std::memory_order_relaxed);
      }
      turns_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count read after join
      run_turn(retirer);
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
  void run_turn(Retirer& retirer) {
    claim_running();
    std::size_t batch = 1;
    long idle_spins = 0;
    for (;;) {
      const std::size_t popped = drain(batch, retirer);
      batch = batch % kMaxBatch + 1;  // vary the batch size; 1 is plain pop()
      if (popped > 0) {
        idle_spins = 0;
        continue;
      }
      // Nothing poppable: give up the rights. After a successful mark the log is
      // the next runner's, so update the model first (undone on failure). Clear
      // the flag first too: once try_mark_empty succeeds the next runner may start.
      MpscNode* const expected = log_.dummy();
      log_.set_dummy(nullptr);  // the stub is the dummy after a mark
      running_.store(false, std::memory_order_release);  // release: pairs with claim_running
      MpscNode* retired = kUnwritten;
      if (queue_.try_mark_empty(retired)) {
        // The old dummy is ours again (nothing of ours is left in the queue).
        if (retired != expected) {
          log_.wrong_retirement();
        } else if (retired != nullptr) {
          retirer.retire(retired);
        }
        // release: publishes this turn's delivered_ updates and retirements to the
        // acquire loads of marks_ in check_quiescent / wait_until_drained_and_idle.
        marks_.fetch_add(1, std::memory_order_release);
        return;
      }
      // A push got in (maybe still half done): we are still the consumer, and the
      // dummy stays.
      log_.set_dummy(expected);
      if (retired != nullptr) log_.wrong_retirement();
      failed_marks_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count
      claim_running();
      // On 2 cores the pusher may be preempted inside its cut window; let it run.
      if (++idle_spins % 64 == 0) tact::test::yield();
      if (stop_.load(std::memory_order_relaxed)) return;  // relaxed: a stalled run is torn down
    }
  }

  std::size_t drain(std::size_t batch, Retirer& retirer) {
    std::size_t total = 0;
    for (;;) {
      const std::size_t n = take_some(queue_, batch, log_, retirer);
      if (n == 0) break;
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

  long outstanding_nodes() const {
    long total = 0;
    for (const auto& pool : pools_) total += pool->outstanding();
    return total;
  }

  // No push is in flight. Wait until no turn is running and no token is pending
  // (marks_ == edges_); then every pushed message must have been delivered, and
  // every node retired. A message left behind was stranded: the queue was marked
  // empty while holding it, or an edge was not reported, and no later push would
  // come to rescue it. A node not retired was kept by an idle queue (its last
  // dummy not handed back by try_mark_empty).
  void check_quiescent() noexcept {
    quiescence_checks_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count
    const long edges = edges_.load(std::memory_order_acquire);   // pairs with hand_out_run_token
    while (marks_.load(std::memory_order_acquire) != edges) {    // pairs with run_turn
      tact::test::yield();  // a turn is running; a hang here is the Watchdog's
    }
    if (delivered_.load(std::memory_order_relaxed) != pushed_total()) {
      if (stranded_rounds_.fetch_add(1, std::memory_order_relaxed) == 0) {
        ADD_FAILURE() << "messages stranded in a queue marked empty\n" << dump();
      }
    }
    if (outstanding_nodes() != 0) {
      if (held_rounds_.fetch_add(1, std::memory_order_relaxed) == 0) {
        ADD_FAILURE() << "an idle queue still holds " << outstanding_nodes()
                      << " node(s) not retired\n"
                      << dump();
      }
    }
  }

  // After the producers are joined: every message delivered and the last turn over.
  bool wait_until_drained_and_idle() {
    const long total = per_producer_ * producers_;
    const long edges = edges_.load(std::memory_order_acquire);  // final: producers joined
    long last_progress = -1;
    auto last_change = Clock::now();
    for (;;) {
      const long marks = marks_.load(std::memory_order_acquire);  // pairs with run_turn
      const long delivered = delivered_.load(std::memory_order_relaxed);
      if (delivered == total && marks == edges) return true;
      if (delivered + marks != last_progress) {
        last_progress = delivered + marks;
        last_change = Clock::now();
      } else if (Clock::now() - last_change > kStallLimit) {
        ADD_FAILURE() << "no progress for " << kStallLimit.count() << " s (lost edge?)\n" << dump();
        return false;
      }
      tact::test::sleep_for(1ms);
    }
  }

  const int producers_;
  const long per_producer_;
  MpscQueue queue_;
  Pools pools_;  // after queue_: destroyed first (the queue holds only its stub by then)
  std::vector<std::unique_ptr<Retirer>> retirers_;  // one per runner thread
  std::vector<Atomic<long>> pushed_;
  tact::test::PhaseBarrier<QuiescenceCheck> round_barrier_;
  tact::test::Semaphore token_signal_{0};
  Atomic<bool> stop_{false};
  Atomic<int> pending_tokens_{0};
  Atomic<bool> running_{false};
  Atomic<long> delivered_{0};
  Atomic<long> edges_{0};
  Atomic<long> turns_{0};
  Atomic<long> marks_{0};
  Atomic<long> failed_marks_{0};
  Atomic<long> quiescence_checks_{0};
  Atomic<long> stranded_rounds_{0};
  Atomic<long> held_rounds_{0};
  Atomic<long> token_violations_{0};
  Atomic<long> double_runs_{0};
  ConsumerLog log_;  // touched only by the holder of consumer rights
};

using StressParam = std::tuple<int, NodeSupply>;

class MpscStress : public ::testing::TestWithParam<StressParam> {};

// The node pools at the end: every node home (or freed), none taken twice.
void expect_every_node_home(const Pools& pools, NodeSupply supply, long per_producer) {
  for (std::size_t p = 0; p < pools.size(); ++p) {
    EXPECT_EQ(pools[p]->taken(), per_producer) << "producer " << p;
    EXPECT_EQ(pools[p]->outstanding(), 0) << "producer " << p << ": nodes never retired";
    EXPECT_EQ(pools[p]->bad_takes(), 0) << "producer " << p << ": a free node was not free";
  }
  if (supply == NodeSupply::kRecycled) {
    long allocated = 0;
    for (const auto& pool : pools) allocated += pool->allocated();
    std::printf("  %ld nodes carried %ld messages\n", allocated,
                per_producer * static_cast<long>(pools.size()));
  }
}

TEST_P(MpscStress, EdgeProtocolDeliversEveryNodeOnceInOrderWithOneRunnerPerEdge) {
  const int producers = std::get<0>(GetParam());
  const NodeSupply supply = std::get<1>(GetParam());
  const long per_producer = tact::test::scaled(kNodesPerProducer);
  EdgeProtocolRun run(producers, per_producer, supply);
  tact::test::Watchdog watchdog("MpscStress.EdgeProtocol", kWatchdogLimit, [&run] { return run.dump(); });

  ASSERT_TRUE(run.run());

  const ConsumerLog& log = run.log();
  EXPECT_EQ(log.delivered(), producers * per_producer);
  EXPECT_EQ(log.missing(), 0);
  EXPECT_EQ(log.duplicates(), 0);
  EXPECT_EQ(log.out_of_order(), 0);
  EXPECT_EQ(log.bad_states(), 0) << "a handed-out node was not a queued message";
  EXPECT_EQ(log.wrong_retirements(), 0) << "`retired` was not the previous dummy";
  EXPECT_EQ(run.stub_retired(), 0) << "the stub was retired";
  EXPECT_EQ(run.bad_retire_states(), 0) << "a retired node had not been handed out";
  EXPECT_EQ(run.not_retired_exactly_once(), 0) << "messages whose node was not retired exactly once";
  expect_every_node_home(run.pools(), supply, per_producer);
  EXPECT_EQ(run.stranded_rounds(), 0) << "messages were left in a queue marked empty";
  EXPECT_EQ(run.held_rounds(), 0) << "an idle queue kept a node";
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
  const int producers = std::get<0>(GetParam());
  const NodeSupply supply = std::get<1>(GetParam());
  const long per_producer = tact::test::scaled(kNodesPerProducer);
  const long total = per_producer * producers;
  MpscQueue queue;
  Pools pools = make_pools(producers, supply);
  std::vector<std::unique_ptr<Retirer>> retirers;
  retirers.push_back(std::make_unique<Retirer>(queue, pools, per_producer));
  std::vector<Atomic<long>> pushed(static_cast<std::size_t>(producers));
  Atomic<long> delivered{0};
  Atomic<long> edges{0};
  ConsumerLog log(producers, per_producer);

  tact::test::Watchdog watchdog("MpscStress.SpinningConsumer", kWatchdogLimit, [&] {
    std::ostringstream out;
    out << "delivered " << delivered.load(std::memory_order_relaxed) << " of " << total << '\n';
    for (std::size_t p = 0; p < pushed.size(); ++p) {
      out << "  producer " << p << " pushed " << pushed[p].load(std::memory_order_relaxed) << '\n';
    }
    return out.str();
  });

  Atomic<bool> producers_done{false};
  bool stalled = false;
  bool final_mark = false;
  Thread consumer([&] {
    Retirer& retirer = *retirers[0];
    std::size_t batch = 1;
    long empty_polls = 0;
    long delivered_at_last_check = -1;
    auto last_progress = Clock::now();
    while (log.delivered() < total) {
      const std::size_t n = take_some(queue, batch, log, retirer);
      batch = batch % kMaxBatch + 1;  // vary the batch size; 1 is plain pop()
      delivered.fetch_add(static_cast<long>(n), std::memory_order_relaxed);  // relaxed: progress
      if (n != 0 || ++empty_polls % 64 != 0) continue;
      tact::test::yield();
      // Messages missing once every push is done: lost (or stuck behind a broken link).
      if (log.delivered() != delivered_at_last_check) {
        delivered_at_last_check = log.delivered();
        last_progress = Clock::now();
      } else if (producers_done.load(std::memory_order_acquire) &&  // pairs with the store below
                 Clock::now() - last_progress > kStallLimit) {
        stalled = true;
        return;
      }
    }
    // Everything delivered, so every push is linked: the mark must succeed and
    // hand back the final dummy.
    MpscNode* const expected = log.dummy();
    MpscNode* retired = kUnwritten;
    final_mark = queue.try_mark_empty(retired);
    if (!final_mark) return;
    log.set_dummy(nullptr);
    if (retired != expected || retired == nullptr) {
      log.wrong_retirement();
    } else {
      retirer.retire(retired);
    }
  });
  std::vector<Thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      produce(queue, *pools[static_cast<std::size_t>(p)], per_producer, p,
              pushed[static_cast<std::size_t>(p)],
              [&edges] { edges.fetch_add(1, std::memory_order_relaxed); },  // relaxed: a count
              [] {});
    });
  }
  for (auto& t : threads) t.join();
  producers_done.store(true, std::memory_order_release);  // release: pairs with the consumer's load
  consumer.join();

  EXPECT_FALSE(stalled) << "no delivery for " << kStallLimit.count() << " s after the last push";
  EXPECT_TRUE(final_mark) << "try_mark_empty failed with every message delivered";
  EXPECT_EQ(log.delivered(), total);
  EXPECT_EQ(log.missing(), 0);
  EXPECT_EQ(log.duplicates(), 0);
  EXPECT_EQ(log.out_of_order(), 0);
  EXPECT_EQ(log.bad_states(), 0) << "a handed-out node was not a queued message";
  EXPECT_EQ(log.wrong_retirements(), 0) << "`retired` was not the previous dummy";
  EXPECT_EQ(retirers[0]->stub_retired(), 0) << "the stub was retired";
  EXPECT_EQ(retirers[0]->bad_states(), 0) << "a retired node had not been handed out";
  EXPECT_EQ(not_retired_exactly_once(retirers, producers, per_producer), 0)
      << "messages whose node was not retired exactly once";
  expect_every_node_home(pools, supply, per_producer);
  EXPECT_EQ(edges.load(), 1) << "the consumer gave up its rights only at the end: one edge";
  EXPECT_TRUE(queue.empty());
}

std::string stress_name(const ::testing::TestParamInfo<StressParam>& info) {
  const int producers = std::get<0>(info.param);
  return std::to_string(producers) + (producers == 1 ? "Producer" : "Producers") +
         (std::get<1>(info.param) == NodeSupply::kHeap ? "_HeapNodes" : "_RecycledNodes");
}

INSTANTIATE_TEST_SUITE_P(Producers, MpscStress,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4),
                                            ::testing::Values(NodeSupply::kHeap, NodeSupply::kRecycled)),
                         stress_name);

}  // namespace
}  // namespace tact::detail
