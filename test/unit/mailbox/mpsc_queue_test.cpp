// Single-threaded behaviour of BasicMpscQueue (src/mailbox/mpsc_queue.hpp), for
// both layouts: FIFO order, the empty → non-empty edge that push() reports,
// try_mark_empty(), pop_batch(), empty(), and the retirement contract (I2): the
// node pop() hands out stays in the queue as its dummy; it is the caller's to free
// or reuse exactly when a later pop() / pop_batch() / try_mark_empty() retires it;
// every pushed node is retired exactly once except the current dummy; the stub is
// never retired. Heap-allocated nodes are deleted the moment they are retired, so
// AddressSanitizer reports any later access by the queue. One test runs a second
// thread (a push linking to the dummy while the caller uses its payload; TSan
// checks it). The concurrent properties live in test/stress/mpsc_stress_test.cpp.
#include "mailbox/mpsc_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace tact::detail {
namespace {

struct TestNode : MpscNode {
  TestNode() = default;
  explicit TestNode(int v) : value(v) {}
  int value = 0;
};

TestNode* as_test_node(MpscNode* node) { return static_cast<TestNode*>(node); }

// Written into `retired` before each call, so a test sees whether the call wrote it.
TestNode unwritten_marker;
MpscNode* const kUnwritten = &unwritten_marker;

// Nodes are immovable (they hold an atomic link), so vectors of them are built in place.
std::vector<TestNode> numbered_nodes(int count) {
  std::vector<TestNode> nodes(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) nodes[static_cast<std::size_t>(i)].value = i;
  return nodes;  // guaranteed elision: the nodes never move
}

// True when `node` lies inside the queue object, i.e. it is the embedded stub.
template <class Queue>
bool is_inside(const Queue& queue, const MpscNode* node) {
  const auto begin = reinterpret_cast<std::uintptr_t>(&queue);
  const auto address = reinterpret_cast<std::uintptr_t>(node);
  return address >= begin && address < begin + sizeof(Queue);
}

// Overwrites a whole node, link included: what a caller reusing its memory may do.
void scribble(TestNode& node) { std::memset(static_cast<void*>(&node), 0xA5, sizeof node); }

// -- a queue checked against a model of its contract ------------------------------
//
// Every call's result is compared with the model: FIFO order; the edge (a push
// returns true iff the queue was marked empty); the dummy (the node handed out
// last, or the stub: std::nullopt), which the next pop() or try_mark_empty()
// retires; out[0..n-2] of pop_batch retired too; nothing retired by a call that
// returns nothing; never the stub; each push retired at most once. Retired nodes
// go to `on_retire` (free them, recycle them) after the checks.
template <class Queue>
class CheckedQueue {
 public:
  explicit CheckedQueue(std::function<void(TestNode*)> on_retire = {})
      : on_retire_(std::move(on_retire)) {}
  CheckedQueue(const CheckedQueue&) = delete;
  CheckedQueue& operator=(const CheckedQueue&) = delete;

  bool push(TestNode* node) {
    // The test's own precondition: only free nodes are pushed.
    const bool in_use = (dummy_ && dummy_->node == node) ||
                        std::any_of(queued_.begin(), queued_.end(),
                                    [node](const Entry& e) { return e.node == node; });
    if (in_use) ADD_FAILURE() << "test bug: pushing a node the queue still holds";
    const bool edge = queue_.push(node);
    EXPECT_EQ(edge, marked_) << "push " << retire_counts_.size();
    marked_ = false;
    queued_.push_back(Entry{node, static_cast<long>(retire_counts_.size())});
    retire_counts_.push_back(0);
    return edge;
  }

  TestNode* pop() {
    EXPECT_FALSE(marked_) << "test bug: pop without consumer rights";
    MpscNode* retired = kUnwritten;
    MpscNode* node = queue_.pop(retired);
    if (queued_.empty()) {
      EXPECT_EQ(node, nullptr);
      EXPECT_EQ(retired, nullptr) << "a pop that returns nothing retires nothing";
      return nullptr;
    }
    EXPECT_EQ(node, queued_.front().node) << "FIFO";
    // Retire through the model's dummy, not the returned pointer: a wrong result
    // must not make the test free a node the queue still holds.
    retire(retired, dummy_);
    dummy_ = queued_.front();
    queued_.pop_front();
    check_counts();
    return dummy_->node;
  }

  std::size_t pop_batch(std::size_t max) {
    EXPECT_FALSE(marked_) << "test bug: pop without consumer rights";
    std::vector<MpscNode*> out(max + 1, kUnwritten);
    MpscNode* retired = kUnwritten;
    const std::size_t n = queue_.pop_batch(out.data(), max, retired);
    const std::size_t expected = std::min(max, queued_.size());
    EXPECT_EQ(n, expected);
    EXPECT_EQ(out[max], kUnwritten) << "wrote past max";
    if (expected == 0) {
      EXPECT_EQ(retired, nullptr) << "a batch that takes nothing retires nothing";
      return n;
    }
    for (std::size_t i = 0; i < std::min(n, expected); ++i) {
      EXPECT_EQ(out[i], queued_[i].node) << "FIFO, batch index " << i;
    }
    retire(retired, dummy_);  // the dummy before the batch
    for (std::size_t i = 0; i + 1 < expected; ++i) {
      retire(queued_.front().node, queued_.front());  // out[0..n-2]: the caller's again
      queued_.pop_front();
    }
    dummy_ = queued_.front();  // out[n-1] stays as the dummy
    queued_.pop_front();
    check_counts();
    return n;
  }

  bool try_mark_empty() {
    EXPECT_FALSE(marked_) << "test bug: try_mark_empty without consumer rights";
    MpscNode* retired = kUnwritten;
    const bool marked = queue_.try_mark_empty(retired);
    EXPECT_EQ(marked, queued_.empty());
    if (!marked) {
      EXPECT_EQ(retired, nullptr) << "a failed try_mark_empty retires nothing";
      return false;
    }
    retire(retired, dummy_);
    dummy_.reset();  // the stub is the dummy again: none of the caller's nodes is left
    marked_ = true;
    check_counts();
    return true;
  }

  bool empty() {
    const bool empty = queue_.empty();
    EXPECT_EQ(empty, queued_.empty());
    return empty;
  }

  // Pops everything, then gives up consumer rights (a runner ending its turn).
  void drain_and_mark_empty() {
    while (pop() != nullptr) {
    }
    EXPECT_TRUE(try_mark_empty());
  }

  bool marked() const { return marked_; }
  std::size_t queued() const { return queued_.size(); }
  std::size_t pushes() const { return retire_counts_.size(); }
  long retired_total() const { return retired_total_; }

  // The full check: every push retired exactly once, except the queued messages
  // and the current dummy, which are not retired at all.
  void expect_every_push_retired_once_except_the_held() const {
    std::vector<int> expected(retire_counts_.size(), 1);
    for (const Entry& e : queued_) expected[static_cast<std::size_t>(e.id)] = 0;
    if (dummy_) expected[static_cast<std::size_t>(dummy_->id)] = 0;
    for (std::size_t id = 0; id < expected.size(); ++id) {
      EXPECT_EQ(retire_counts_[id], expected[id]) << "push " << id;
    }
  }

 private:
  struct Entry {
    TestNode* node;
    long id;  // which push (a node may be pushed many times)
  };

  void retire(MpscNode* retired, const std::optional<Entry>& expected) {
    EXPECT_FALSE(is_inside(queue_, retired)) << "the stub was retired";
    if (!expected) {
      EXPECT_EQ(retired, nullptr) << "the stub was the dummy: nothing to retire";
      return;
    }
    EXPECT_EQ(retired, expected->node) << "push " << expected->id;
    int& count = retire_counts_[static_cast<std::size_t>(expected->id)];
    EXPECT_EQ(count, 0) << "push " << expected->id << " retired twice";
    ++count;
    ++retired_total_;
    if (on_retire_) on_retire_(expected->node);
  }

  // O(1) per call; with "at most once" above it implies the full check.
  void check_counts() const {
    const long held = static_cast<long>(queued_.size()) + (dummy_ ? 1 : 0);
    EXPECT_EQ(retired_total_, static_cast<long>(retire_counts_.size()) - held);
  }

  Queue queue_;
  std::function<void(TestNode*)> on_retire_;
  std::deque<Entry> queued_;
  std::optional<Entry> dummy_;  // nullopt: the stub
  bool marked_ = true;          // a new queue is marked empty
  std::vector<int> retire_counts_;  // by push id
  long retired_total_ = 0;
};

// -- both layouts ------------------------------------------------------------------

template <class Queue>
class MpscQueueTest : public ::testing::Test {};

struct LayoutNames {
  template <class Queue>
  static std::string GetName(int) {
    return std::is_same_v<Queue, MpscQueue> ? "SeparateLines" : "Compact";
  }
};

using Layouts = ::testing::Types<MpscQueue, CompactMpscQueue>;
TYPED_TEST_SUITE(MpscQueueTest, Layouts, LayoutNames);

// -- the edge ----------------------------------------------------------------------

TYPED_TEST(MpscQueueTest, ANewQueueIsEmptyAndItsFirstPushReportsTheEdge) {
  TypeParam queue;
  EXPECT_TRUE(queue.empty());
  TestNode node(1);
  EXPECT_TRUE(queue.push(&node));
  EXPECT_FALSE(queue.empty());
}

TYPED_TEST(MpscQueueTest, OnlyTheFirstPushAfterMarkingEmptyReportsTheEdge) {
  TypeParam queue;
  TestNode a(0);
  TestNode b(1);
  TestNode c(2);
  EXPECT_TRUE(queue.push(&a));
  EXPECT_FALSE(queue.push(&b));
  EXPECT_FALSE(queue.push(&c));

  MpscNode* retired = kUnwritten;
  EXPECT_EQ(queue.pop(retired), &a);
  EXPECT_EQ(queue.pop(retired), &b);
  EXPECT_EQ(queue.pop(retired), &c);
  EXPECT_EQ(queue.pop(retired), nullptr);
  ASSERT_TRUE(queue.try_mark_empty(retired));
  ASSERT_EQ(retired, &c);
  // All three are retired: they can be pushed again.
  EXPECT_TRUE(queue.push(&a));
  EXPECT_FALSE(queue.push(&b));
}

TYPED_TEST(MpscQueueTest, DrainingWithoutMarkingEmptyKeepsConsumerRightsSoTheNextPushIsNoEdge) {
  TypeParam queue;
  TestNode a(1);
  TestNode b(2);
  MpscNode* retired = kUnwritten;
  EXPECT_TRUE(queue.push(&a));
  EXPECT_EQ(queue.pop(retired), &a);
  EXPECT_EQ(queue.pop(retired), nullptr);
  // The consumer still runs (it has not called try_mark_empty), so nobody else
  // must be told to schedule it.
  EXPECT_FALSE(queue.push(&b));
  EXPECT_EQ(queue.pop(retired), &b);
  EXPECT_EQ(retired, &a);
}

TYPED_TEST(MpscQueueTest, TheEdgeIsReportedOncePerTurnOverManyTurns) {
  std::vector<TestNode> nodes = numbered_nodes(5);
  std::vector<TestNode*> free_nodes;
  for (auto& node : nodes) free_nodes.push_back(&node);
  CheckedQueue<TypeParam> queue([&free_nodes](TestNode* node) { free_nodes.push_back(node); });
  for (int turn = 0; turn < 1000; ++turn) {
    const int count = 1 + turn % 4;
    for (int i = 0; i < count; ++i) {
      ASSERT_FALSE(free_nodes.empty()) << "turn " << turn << ": a node was not retired";
      TestNode* node = free_nodes.back();
      free_nodes.pop_back();
      EXPECT_EQ(queue.push(node), i == 0) << "turn " << turn;
    }
    queue.drain_and_mark_empty();
    // An idle queue holds none of the caller's nodes.
    ASSERT_EQ(free_nodes.size(), nodes.size()) << "turn " << turn;
  }
  queue.expect_every_push_retired_once_except_the_held();
}

// -- try_mark_empty ----------------------------------------------------------------

TYPED_TEST(MpscQueueTest, TryMarkEmptyFailsWhileAMessageIsQueuedAndRetiresNothing) {
  TypeParam queue;
  TestNode a(1);
  TestNode b(2);
  MpscNode* retired = kUnwritten;
  ASSERT_TRUE(queue.push(&a));
  EXPECT_FALSE(queue.try_mark_empty(retired)) << "a is queued (the stub is the dummy)";
  EXPECT_EQ(retired, nullptr);

  ASSERT_FALSE(queue.push(&b));
  EXPECT_EQ(queue.pop(retired), &a);
  EXPECT_EQ(retired, nullptr) << "the stub is never retired";
  retired = kUnwritten;
  EXPECT_FALSE(queue.try_mark_empty(retired)) << "b is still queued";
  EXPECT_EQ(retired, nullptr) << "a is the dummy: not retired by a failed mark";
  EXPECT_EQ(queue.pop(retired), &b);
  EXPECT_EQ(retired, &a);
  retired = kUnwritten;
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &b);
}

TYPED_TEST(MpscQueueTest, TryMarkEmptyFailsWhenAPushArrivesAfterTheLastPop) {
  TypeParam queue;
  TestNode a(1);
  TestNode b(2);
  MpscNode* retired = kUnwritten;
  ASSERT_TRUE(queue.push(&a));
  EXPECT_EQ(queue.pop(retired), &a);
  EXPECT_EQ(queue.pop(retired), nullptr);
  ASSERT_FALSE(queue.push(&b));  // lands between the last pop and try_mark_empty
  retired = kUnwritten;
  EXPECT_FALSE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, nullptr);
  // The failed mark left the consumer where it was: a is still the dummy.
  EXPECT_EQ(queue.pop(retired), &b);
  EXPECT_EQ(retired, &a);
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &b);
}

TYPED_TEST(MpscQueueTest, TryMarkEmptyRetiresTheDummySoNothingOfTheCallersIsLeftInTheQueue) {
  // Heap nodes deleted the moment they are retired: under AddressSanitizer any
  // later access by the queue (to the old dummy above all) is reported; in other
  // builds the node is scribbled over first, so a later read would go astray.
  TypeParam queue;
  MpscNode* retired = kUnwritten;
  for (int turn = 0; turn < 100; ++turn) {
    const int count = 1 + turn % 3;
    std::vector<TestNode*> pushed;
    for (int i = 0; i < count; ++i) {
      pushed.push_back(new TestNode(i));
      EXPECT_EQ(queue.push(pushed.back()), i == 0);
    }
    for (int i = 0; i < count; ++i) {
      MpscNode* node = queue.pop(retired);
      ASSERT_EQ(node, pushed[static_cast<std::size_t>(i)]);
      if (i == 0) {
        EXPECT_EQ(retired, nullptr) << "the first pop of a turn retires the stub: nothing";
      } else {
        ASSERT_EQ(retired, pushed[static_cast<std::size_t>(i - 1)]);
        scribble(*as_test_node(retired));
        delete as_test_node(retired);
      }
    }
    retired = kUnwritten;
    ASSERT_TRUE(queue.try_mark_empty(retired));
    ASSERT_EQ(retired, pushed.back()) << "the old dummy comes back with the mark";
    scribble(*as_test_node(retired));
    delete as_test_node(retired);
    EXPECT_TRUE(queue.empty());
  }
  // Nothing of ours is left in the queue; a new node still gets through.
  TestNode last(42);
  EXPECT_TRUE(queue.push(&last));
  EXPECT_EQ(queue.pop(retired), &last);
  EXPECT_EQ(retired, nullptr);
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &last);
}

TYPED_TEST(MpscQueueTest, TryMarkEmptyOnAQueueAlreadyMarkedEmptyChangesNothing) {
  // Outside the consumer protocol (nobody holds the rights), but it must not
  // spoil the edge.
  TypeParam queue;
  MpscNode* retired = kUnwritten;
  EXPECT_FALSE(queue.try_mark_empty(retired)) << "a new queue is already marked";
  EXPECT_EQ(retired, nullptr);
  TestNode a(1);
  EXPECT_TRUE(queue.push(&a)) << "the edge is still reported";
  EXPECT_EQ(queue.pop(retired), &a);
  EXPECT_EQ(retired, nullptr);
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &a);
}

// -- pop ---------------------------------------------------------------------------

TYPED_TEST(MpscQueueTest, PopOnANewQueueReturnsNullAndRetiresNothing) {
  TypeParam queue;
  MpscNode* retired = kUnwritten;
  EXPECT_EQ(queue.pop(retired), nullptr);
  EXPECT_EQ(retired, nullptr);
  retired = kUnwritten;
  EXPECT_EQ(queue.pop(retired), nullptr);
  EXPECT_EQ(retired, nullptr);
}

TYPED_TEST(MpscQueueTest, PopOnADrainedQueueReturnsNullAndKeepsTheDummy) {
  TypeParam queue;
  TestNode a(1);
  MpscNode* retired = kUnwritten;
  ASSERT_TRUE(queue.push(&a));
  EXPECT_EQ(queue.pop(retired), &a);
  for (int i = 0; i < 3; ++i) {
    retired = kUnwritten;
    EXPECT_EQ(queue.pop(retired), nullptr);
    EXPECT_EQ(retired, nullptr) << "a is the dummy: an empty pop does not retire it";
  }
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &a);
}

TYPED_TEST(MpscQueueTest, PopRetiresThePreviousMessageAndNeverTheStub) {
  TypeParam queue;
  TestNode a(1);
  TestNode b(2);
  TestNode c(3);
  TestNode d(4);
  MpscNode* retired = kUnwritten;
  queue.push(&a);
  queue.push(&b);
  queue.push(&c);
  EXPECT_EQ(queue.pop(retired), &a);
  EXPECT_EQ(retired, nullptr) << "the stub was the dummy";
  EXPECT_EQ(queue.pop(retired), &b);
  EXPECT_EQ(retired, &a);
  EXPECT_EQ(queue.pop(retired), &c);
  EXPECT_EQ(retired, &b);
  EXPECT_EQ(queue.pop(retired), nullptr);
  EXPECT_EQ(retired, nullptr);
  ASSERT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &c);
  // The stub is the dummy again; leaving it retires nothing.
  EXPECT_TRUE(queue.push(&d));
  retired = kUnwritten;
  EXPECT_EQ(queue.pop(retired), &d);
  EXPECT_EQ(retired, nullptr);
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &d);
}

TYPED_TEST(MpscQueueTest, PopsNodesInPushOrder) {
  std::vector<TestNode> nodes = numbered_nodes(100);
  CheckedQueue<TypeParam> queue;
  for (auto& node : nodes) queue.push(&node);
  for (int i = 0; i < 100; ++i) {
    TestNode* node = queue.pop();
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(node->value, i);
  }
  EXPECT_EQ(queue.pop(), nullptr);
  queue.expect_every_push_retired_once_except_the_held();  // all but node 99
  EXPECT_TRUE(queue.try_mark_empty());
  queue.expect_every_push_retired_once_except_the_held();  // all
}

TYPED_TEST(MpscQueueTest, KeepsFifoOrderWhenPushesAndPopsInterleave) {
  std::vector<TestNode> nodes = numbered_nodes(64);
  CheckedQueue<TypeParam> queue;
  int next_pushed = 0;
  int next_expected = 0;
  // Push two, pop one, so the queue alternates between one message behind the
  // dummy and several, and producers keep linking to the dummy.
  while (next_expected < 64) {
    for (int k = 0; k < 2 && next_pushed < 64; ++k) {
      queue.push(&nodes[static_cast<std::size_t>(next_pushed++)]);
    }
    TestNode* node = queue.pop();
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(node->value, next_expected++);
  }
  EXPECT_EQ(queue.pop(), nullptr);
  EXPECT_TRUE(queue.try_mark_empty());
  queue.expect_every_push_retired_once_except_the_held();
}

// -- pop_batch ---------------------------------------------------------------------

TYPED_TEST(MpscQueueTest, PopBatchTakesAtMostMaxNodesInOrderAndRetiresAllButTheLast) {
  TypeParam queue;
  std::vector<TestNode> nodes = numbered_nodes(10);
  for (auto& node : nodes) queue.push(&node);

  std::array<MpscNode*, 8> out{};
  MpscNode* retired = kUnwritten;
  ASSERT_EQ(queue.pop_batch(out.data(), 4, retired), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)], &nodes[static_cast<std::size_t>(i)]);
  EXPECT_EQ(retired, nullptr) << "the dummy before the batch was the stub";
  // out[0..2] are the caller's again (out[3] is the dummy): scribbling over them
  // must not disturb the queue.
  for (int i = 0; i < 3; ++i) scribble(nodes[static_cast<std::size_t>(i)]);

  retired = kUnwritten;
  ASSERT_EQ(queue.pop_batch(out.data(), 8, retired), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(as_test_node(out[static_cast<std::size_t>(i)])->value, 4 + i);
  EXPECT_EQ(retired, &nodes[3]) << "the last of the previous batch was the dummy";

  retired = kUnwritten;
  EXPECT_EQ(queue.pop_batch(out.data(), 8, retired), 0u);
  EXPECT_EQ(retired, nullptr) << "an empty batch keeps the dummy";
  retired = kUnwritten;
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &nodes[9]);
}

TYPED_TEST(MpscQueueTest, PopBatchLeavesItsLastNodeAsTheDummyUntilTheNextPop) {
  TypeParam queue;
  TestNode a(1);
  TestNode b(2);
  TestNode c(3);
  queue.push(&a);
  queue.push(&b);
  MpscNode* out[4] = {};
  MpscNode* retired = kUnwritten;
  ASSERT_EQ(queue.pop_batch(out, 4, retired), 2u);
  EXPECT_EQ(out[0], &a);
  EXPECT_EQ(out[1], &b);
  // b is the dummy: a push links to it, and its payload is still ours to read.
  queue.push(&c);
  EXPECT_EQ(b.value, 2);
  retired = kUnwritten;
  EXPECT_EQ(queue.pop(retired), &c);
  EXPECT_EQ(retired, &b);
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &c);
}

TYPED_TEST(MpscQueueTest, PopBatchWithMaxZeroTakesNothingAndRetiresNothing) {
  TypeParam queue;
  TestNode a(1);
  TestNode b(2);
  MpscNode* retired = kUnwritten;
  queue.push(&a);
  ASSERT_EQ(queue.pop(retired), &a);
  queue.push(&b);
  MpscNode* out = kUnwritten;
  retired = kUnwritten;
  EXPECT_EQ(queue.pop_batch(&out, 0, retired), 0u);
  EXPECT_EQ(out, kUnwritten);
  EXPECT_EQ(retired, nullptr) << "a is still the dummy";
  EXPECT_EQ(queue.pop(retired), &b);
  EXPECT_EQ(retired, &a);
}

TYPED_TEST(MpscQueueTest, PopBatchOnAnEmptyQueueReturnsZeroAndRetiresNothing) {
  TypeParam queue;
  MpscNode* out[4] = {};
  MpscNode* retired = kUnwritten;
  EXPECT_EQ(queue.pop_batch(out, 4, retired), 0u);
  EXPECT_EQ(retired, nullptr);
}

TYPED_TEST(MpscQueueTest, PopBatchesOfEverySizeKeepTheRetirementContract) {
  std::vector<TestNode> nodes = numbered_nodes(12);
  std::vector<TestNode*> free_nodes;
  for (auto& node : nodes) free_nodes.push_back(&node);
  CheckedQueue<TypeParam> queue([&free_nodes](TestNode* node) { free_nodes.push_back(node); });
  for (int round = 0; round < 200; ++round) {
    // Leave one node spare for the dummy: the queue holds messages + the dummy.
    while (free_nodes.size() > 1) {
      TestNode* node = free_nodes.back();
      free_nodes.pop_back();
      queue.push(node);
    }
    queue.pop_batch(static_cast<std::size_t>(round % 6));
    if (round % 5 == 4) {
      queue.drain_and_mark_empty();
      ASSERT_EQ(free_nodes.size(), nodes.size());
    }
  }
  if (!queue.marked()) queue.drain_and_mark_empty();
  EXPECT_EQ(free_nodes.size(), nodes.size());
  queue.expect_every_push_retired_once_except_the_held();
}

// -- retirement (I2) ---------------------------------------------------------------

TYPED_TEST(MpscQueueTest, ARetiredNodeCanBeFreedAtOnce) {
  // Under AddressSanitizer any later access to a freed node is reported, and a
  // node never retired leaks (LeakSanitizer).
  long deleted = 0;
  CheckedQueue<TypeParam> queue([&deleted](TestNode* node) {
    delete node;
    ++deleted;
  });
  for (int round = 0; round < 100; ++round) {
    const int count = 1 + round % 3;  // 1: the dummy is the only node afterwards
    for (int i = 0; i < count; ++i) queue.push(new TestNode(i));
    for (int i = 0; i < count; ++i) {
      TestNode* node = queue.pop();
      ASSERT_NE(node, nullptr);
      EXPECT_EQ(node->value, i);
    }
    EXPECT_EQ(queue.pop(), nullptr);
    if (round % 2 == 0) {
      EXPECT_TRUE(queue.try_mark_empty());  // else keep the rights into the next round
    }
  }
  queue.drain_and_mark_empty();
  EXPECT_EQ(deleted, static_cast<long>(queue.pushes()));
  queue.expect_every_push_retired_once_except_the_held();
}

TYPED_TEST(MpscQueueTest, ARetiredNodesMemoryCanBeOverwrittenWithoutDisturbingTheQueue) {
  TypeParam queue;
  TestNode a(1);
  TestNode b(2);
  TestNode c(3);
  TestNode d(4);
  MpscNode* retired = kUnwritten;
  queue.push(&a);
  queue.push(&b);
  ASSERT_EQ(queue.pop(retired), &a);
  ASSERT_EQ(queue.pop(retired), &b);
  ASSERT_EQ(retired, &a);
  scribble(a);  // the queue must not read or write a again
  queue.push(&c);
  ASSERT_EQ(queue.pop(retired), &c);
  ASSERT_EQ(retired, &b);
  scribble(b);
  ASSERT_EQ(queue.pop(retired), nullptr);
  ASSERT_TRUE(queue.try_mark_empty(retired));
  ASSERT_EQ(retired, &c);
  scribble(c);
  EXPECT_TRUE(queue.push(&d));
  EXPECT_EQ(queue.pop(retired), &d);
  EXPECT_EQ(retired, nullptr);
  EXPECT_EQ(d.value, 4);
  EXPECT_EQ(queue.pop(retired), nullptr);
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &d);
}

TYPED_TEST(MpscQueueTest, EveryPushedNodeIsRetiredExactlyOnceExceptTheCurrentDummy) {
  // A long random mix of every consumer call, checked call by call against the
  // model; nodes live on the heap and are deleted when retired.
  long live = 0;
  CheckedQueue<TypeParam> queue([&live](TestNode* node) {
    delete node;
    --live;
  });
  std::mt19937 rng(20240611);
  for (int step = 0; step < 100'000; ++step) {
    const auto op = static_cast<unsigned>(rng() % 8);
    if (queue.marked() || op < 3) {  // without consumer rights only a push may come
      queue.push(new TestNode(step));
      ++live;
    } else if (op < 5) {
      queue.pop();
    } else if (op < 6) {
      queue.pop_batch(rng() % 5);
    } else if (op < 7) {
      queue.try_mark_empty();
    } else {
      queue.empty();
    }
    // Held: the queued messages and the dummy (which is not the stub after a pop).
    ASSERT_EQ(static_cast<long>(queue.pushes()) - queue.retired_total(), live) << "step " << step;
    if (step % 10'000 == 0) queue.expect_every_push_retired_once_except_the_held();
  }
  queue.expect_every_push_retired_once_except_the_held();
  if (!queue.marked()) queue.drain_and_mark_empty();
  EXPECT_EQ(live, 0) << "an idle queue holds none of the caller's nodes";
  queue.expect_every_push_retired_once_except_the_held();
}

TYPED_TEST(MpscQueueTest, ADummysPayloadStaysTheCallersWhileAPushLinksToIt) {
  TypeParam queue;
  TestNode a(1);
  TestNode b(2);
  MpscNode* retired = kUnwritten;
  queue.push(&a);
  ASSERT_EQ(queue.pop(retired), &a);
  EXPECT_EQ(a.value, 1) << "readable after pop";
  a.value = 10;  // the payload is the caller's at once (its destructor may run now)
  queue.push(&b);  // links a.next: a is the dummy
  EXPECT_EQ(a.value, 10) << "the push wrote only the link";
  a.value = 11;
  ASSERT_EQ(queue.pop(retired), &b) << "the payload write did not disturb the link";
  EXPECT_EQ(retired, &a);
  EXPECT_EQ(a.value, 11);
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, &b);
}

TYPED_TEST(MpscQueueTest, ADummysPayloadIsReadableWhileAnotherThreadLinksToIt) {
  // Lock step: the producer pushes message i only once message i-1 is the dummy,
  // and the consumer reads and writes the dummy's payload while that push links
  // to it. ThreadSanitizer reports any queue access to the payload; a corrupted
  // value fails the test in any build.
  constexpr int kMessages = 2000;
  TypeParam queue;
  std::vector<TestNode> nodes = numbered_nodes(kMessages);
  std::atomic<int> dummy_index{-1};  // the message the consumer now holds as its dummy
  std::thread producer([&] {
    for (int i = 0; i < kMessages; ++i) {
      // acquire: pairs with the consumer's release store; the push then links to
      // the dummy while the consumer is using its payload.
      while (dummy_index.load(std::memory_order_acquire) != i - 1) std::this_thread::yield();
      nodes[static_cast<std::size_t>(i)].value = i;
      queue.push(&nodes[static_cast<std::size_t>(i)]);
    }
  });
  MpscNode* previous = nullptr;
  int wrong_payloads = 0;
  for (int i = 0; i < kMessages; ++i) {
    MpscNode* retired = kUnwritten;
    MpscNode* node = nullptr;
    while ((node = queue.pop(retired)) == nullptr) {
      EXPECT_EQ(retired, nullptr);
      if (previous != nullptr) {  // the dummy: the producer is linking to it now
        TestNode* dummy = as_test_node(previous);
        if (dummy->value != -(i - 1) - 1) ++wrong_payloads;
        dummy->value = -(i - 1) - 1;
      }
      std::this_thread::yield();
    }
    EXPECT_EQ(node, &nodes[static_cast<std::size_t>(i)]);
    EXPECT_EQ(retired, previous);
    TestNode* message = as_test_node(node);
    if (message->value != i) ++wrong_payloads;
    message->value = -i - 1;  // the caller's at once, while it stays the dummy
    previous = node;
    // release: pairs with the producer's acquire load.
    dummy_index.store(i, std::memory_order_release);
  }
  producer.join();
  EXPECT_EQ(wrong_payloads, 0);
  MpscNode* retired = kUnwritten;
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_EQ(retired, previous);
}

// -- reuse -------------------------------------------------------------------------

TYPED_TEST(MpscQueueTest, RetiredNodesCanBePushedAgainManyTimes) {
  std::vector<TestNode> nodes = numbered_nodes(4);
  std::vector<TestNode*> free_nodes;
  for (auto& node : nodes) free_nodes.push_back(&node);
  CheckedQueue<TypeParam> queue([&free_nodes](TestNode* node) { free_nodes.push_back(node); });
  std::mt19937 rng(7);
  long marks = 0;
  for (int step = 0; step < 30000; ++step) {
    // A fixed random pattern: queue lengths go through 0..3 (one of the four nodes
    // is the dummy once anything was popped, until a mark gives it back).
    const auto pattern = static_cast<unsigned>(rng() % 10);
    if (queue.marked() || (pattern < 4 && !free_nodes.empty())) {
      ASSERT_FALSE(free_nodes.empty()) << "step " << step << ": a marked queue holds none of ours";
      TestNode* node = free_nodes.back();
      free_nodes.pop_back();
      node->value = step;
      queue.push(node);
    } else if (queue.queued() == 0 && pattern >= 8) {
      ASSERT_TRUE(queue.try_mark_empty()) << "step " << step;  // gives back the dummy
      ++marks;
    } else if (queue.queued() == 0) {
      ASSERT_EQ(queue.pop(), nullptr) << "step " << step;
    } else {
      ASSERT_NE(queue.pop(), nullptr) << "step " << step;
    }
  }
  EXPECT_GT(marks, 100);
  if (!queue.marked()) queue.drain_and_mark_empty();
  EXPECT_EQ(free_nodes.size(), nodes.size());
  queue.expect_every_push_retired_once_except_the_held();
}

TYPED_TEST(MpscQueueTest, TheSameNodeCanCycleThroughTheQueueWithTheEdgeEachTime) {
  TypeParam queue;
  TestNode node(7);
  for (int i = 0; i < 10000; ++i) {
    MpscNode* retired = kUnwritten;
    ASSERT_TRUE(queue.push(&node)) << "cycle " << i;
    ASSERT_EQ(queue.pop(retired), &node);
    ASSERT_EQ(retired, nullptr);
    ASSERT_EQ(queue.pop(retired), nullptr);
    ASSERT_TRUE(queue.try_mark_empty(retired));
    ASSERT_EQ(retired, &node) << "cycle " << i;  // only now may it be pushed again
  }
}

// -- empty() -----------------------------------------------------------------------

TYPED_TEST(MpscQueueTest, EmptyIsFalseExactlyWhileMessagesAreQueued) {
  TypeParam queue;
  TestNode a(1);
  TestNode b(2);
  MpscNode* retired = kUnwritten;
  EXPECT_TRUE(queue.empty());
  queue.push(&a);
  EXPECT_FALSE(queue.empty());
  queue.push(&b);
  EXPECT_FALSE(queue.empty());
  ASSERT_EQ(queue.pop(retired), &a);
  EXPECT_FALSE(queue.empty());
  ASSERT_EQ(queue.pop(retired), &b);
  EXPECT_TRUE(queue.empty()) << "the dummy b is no message";
  EXPECT_TRUE(queue.try_mark_empty(retired));
  EXPECT_TRUE(queue.empty()) << "marked empty is still empty";
}

}  // namespace
}  // namespace tact::detail
