// Single-threaded behaviour of MpscQueue (src/mailbox/mpsc_queue.hpp): FIFO order,
// the empty → non-empty edge that push() reports, try_mark_empty(), pop_batch(),
// and invariant I2 (a popped node belongs to the caller at once). The concurrent
// properties live in test/stress/mpsc_stress_test.cpp.
#include "mailbox/mpsc_queue.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

namespace tact::detail {
namespace {

struct TestNode : MpscNode {
  TestNode() = default;
  explicit TestNode(int v) : value(v) {}
  int value = 0;
};

TestNode* as_test_node(MpscNode* node) { return static_cast<TestNode*>(node); }

// Nodes are immovable (they hold an atomic link), so vectors of them are built in place.
std::vector<TestNode> numbered_nodes(int count) {
  std::vector<TestNode> nodes(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) nodes[static_cast<std::size_t>(i)].value = i;
  return nodes;  // guaranteed elision: the nodes never move
}

// Pops one node and returns its value, or -1 when pop() returns nullptr.
int pop_value(MpscQueue& queue) {
  MpscNode* node = queue.pop();
  return node == nullptr ? -1 : as_test_node(node)->value;
}

// Drains the queue and gives up consumer rights, as a runner at the end of a turn.
void drain_and_mark_empty(MpscQueue& queue) {
  while (queue.pop() != nullptr) {
  }
  ASSERT_TRUE(queue.try_mark_empty());
}

// -- the edge ----------------------------------------------------------------------

TEST(MpscQueue, ANewQueueIsEmptyAndItsFirstPushReportsTheEdge) {
  MpscQueue queue;
  EXPECT_TRUE(queue.empty());
  TestNode node(1);
  EXPECT_TRUE(queue.push(&node));
  EXPECT_FALSE(queue.empty());
}

TEST(MpscQueue, OnlyTheFirstPushAfterMarkingEmptyReportsTheEdge) {
  MpscQueue queue;
  std::array<TestNode, 3> nodes{TestNode(0), TestNode(1), TestNode(2)};
  EXPECT_TRUE(queue.push(&nodes[0]));
  EXPECT_FALSE(queue.push(&nodes[1]));
  EXPECT_FALSE(queue.push(&nodes[2]));

  drain_and_mark_empty(queue);
  EXPECT_TRUE(queue.push(&nodes[0]));
  EXPECT_FALSE(queue.push(&nodes[1]));
}

TEST(MpscQueue, DrainingWithoutMarkingEmptyKeepsConsumerRightsSoTheNextPushIsNoEdge) {
  MpscQueue queue;
  TestNode a(1);
  TestNode b(2);
  EXPECT_TRUE(queue.push(&a));
  EXPECT_EQ(pop_value(queue), 1);
  EXPECT_EQ(queue.pop(), nullptr);
  // The consumer still runs (it has not called try_mark_empty), so nobody else
  // must be told to schedule it.
  EXPECT_FALSE(queue.push(&b));
  EXPECT_EQ(pop_value(queue), 2);
}

TEST(MpscQueue, TheEdgeIsReportedOncePerTurnOverManyTurns) {
  MpscQueue queue;
  std::array<TestNode, 4> nodes{};
  for (int turn = 0; turn < 1000; ++turn) {
    const int count = 1 + turn % 4;
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(queue.push(&nodes[static_cast<std::size_t>(i)]), i == 0) << "turn " << turn;
    }
    drain_and_mark_empty(queue);
  }
}

// -- try_mark_empty ----------------------------------------------------------------

TEST(MpscQueue, TryMarkEmptyFailsWhileANodeIsQueued) {
  MpscQueue queue;
  TestNode a(1);
  TestNode b(2);
  ASSERT_TRUE(queue.push(&a));
  EXPECT_FALSE(queue.try_mark_empty());

  ASSERT_FALSE(queue.push(&b));
  EXPECT_EQ(pop_value(queue), 1);
  EXPECT_FALSE(queue.try_mark_empty()) << "b is still queued";
  EXPECT_EQ(pop_value(queue), 2);
  EXPECT_TRUE(queue.try_mark_empty());
}

TEST(MpscQueue, TryMarkEmptyFailsWhenAPushArrivesAfterTheLastPop) {
  MpscQueue queue;
  TestNode a(1);
  TestNode b(2);
  ASSERT_TRUE(queue.push(&a));
  EXPECT_EQ(pop_value(queue), 1);
  EXPECT_EQ(queue.pop(), nullptr);
  ASSERT_FALSE(queue.push(&b));  // lands between the last pop and try_mark_empty
  EXPECT_FALSE(queue.try_mark_empty());
  EXPECT_EQ(pop_value(queue), 2);
  EXPECT_TRUE(queue.try_mark_empty());
}

// -- pop ---------------------------------------------------------------------------

TEST(MpscQueue, PopOnANewQueueReturnsNull) {
  MpscQueue queue;
  EXPECT_EQ(queue.pop(), nullptr);
  EXPECT_EQ(queue.pop(), nullptr);
}

TEST(MpscQueue, PopOnADrainedQueueReturnsNull) {
  MpscQueue queue;
  TestNode a(1);
  ASSERT_TRUE(queue.push(&a));
  EXPECT_EQ(pop_value(queue), 1);
  EXPECT_EQ(queue.pop(), nullptr);
  EXPECT_EQ(queue.pop(), nullptr);
  EXPECT_TRUE(queue.empty());
}

TEST(MpscQueue, PopsNodesInPushOrder) {
  MpscQueue queue;
  std::vector<TestNode> nodes = numbered_nodes(100);
  for (auto& node : nodes) queue.push(&node);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(pop_value(queue), i);
  EXPECT_EQ(queue.pop(), nullptr);
}

TEST(MpscQueue, KeepsFifoOrderWhenPushesAndPopsInterleave) {
  MpscQueue queue;
  std::vector<TestNode> nodes = numbered_nodes(64);
  int next_pushed = 0;
  int next_expected = 0;
  // Push two, pop one, so the queue alternates between one node (the stub is
  // re-pushed behind it) and several.
  while (next_expected < 64) {
    for (int k = 0; k < 2 && next_pushed < 64; ++k) queue.push(&nodes[static_cast<std::size_t>(next_pushed++)]);
    EXPECT_EQ(pop_value(queue), next_expected++);
  }
  EXPECT_EQ(queue.pop(), nullptr);
}

// -- pop_batch ---------------------------------------------------------------------

TEST(MpscQueue, PopBatchTakesAtMostMaxNodesInOrder) {
  MpscQueue queue;
  std::vector<TestNode> nodes = numbered_nodes(10);
  for (auto& node : nodes) queue.push(&node);

  std::array<MpscNode*, 8> out{};
  ASSERT_EQ(queue.pop_batch(out.data(), 4), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(as_test_node(out[static_cast<std::size_t>(i)])->value, i);

  ASSERT_EQ(queue.pop_batch(out.data(), 8), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(as_test_node(out[static_cast<std::size_t>(i)])->value, 4 + i);

  EXPECT_EQ(queue.pop_batch(out.data(), 8), 0u);
  EXPECT_TRUE(queue.try_mark_empty());
}

TEST(MpscQueue, PopBatchWithMaxZeroTakesNothing) {
  MpscQueue queue;
  TestNode a(1);
  queue.push(&a);
  MpscNode* out = nullptr;
  EXPECT_EQ(queue.pop_batch(&out, 0), 0u);
  EXPECT_EQ(pop_value(queue), 1);
}

// -- ownership after pop (I2) ------------------------------------------------------

TEST(MpscQueue, APoppedNodeCanBeFreedAtOnce) {
  // Under AddressSanitizer any later access to a freed node is reported.
  MpscQueue queue;
  for (int round = 0; round < 100; ++round) {
    const int count = 1 + round % 3;  // 1 exercises the "last node" path
    for (int i = 0; i < count; ++i) queue.push(new TestNode(i));
    for (int i = 0; i < count; ++i) {
      MpscNode* node = queue.pop();
      ASSERT_NE(node, nullptr);
      EXPECT_EQ(as_test_node(node)->value, i);
      delete as_test_node(node);
    }
    EXPECT_EQ(queue.pop(), nullptr);
    EXPECT_TRUE(queue.try_mark_empty());
  }
}

TEST(MpscQueue, APoppedNodesMemoryCanBeOverwrittenWithoutDisturbingTheQueue) {
  MpscQueue queue;
  TestNode a(1);
  TestNode b(2);
  TestNode c(3);
  queue.push(&a);
  queue.push(&b);
  ASSERT_EQ(pop_value(queue), 1);
  // Scribble over a: the queue must not read it again.
  std::memset(static_cast<void*>(&a), 0xA5, sizeof a);
  queue.push(&c);
  EXPECT_EQ(pop_value(queue), 2);
  std::memset(static_cast<void*>(&b), 0xA5, sizeof b);
  EXPECT_EQ(pop_value(queue), 3);
  EXPECT_EQ(queue.pop(), nullptr);
}

TEST(MpscQueue, PoppedNodesCanBePushedAgainManyTimes) {
  MpscQueue queue;
  std::array<TestNode, 3> nodes{TestNode(0), TestNode(1), TestNode(2)};
  std::vector<MpscNode*> free_nodes{&nodes[0], &nodes[1], &nodes[2]};
  std::vector<int> expected;  // values queued, in order
  for (int step = 0; step < 30000; ++step) {
    // A fixed, irregular pattern: queue lengths cycle through 0..3.
    const bool push_now = !free_nodes.empty() && (expected.empty() || (step * 7) % 5 < 3);
    if (push_now) {
      MpscNode* node = free_nodes.back();
      free_nodes.pop_back();
      as_test_node(node)->value = step;
      queue.push(node);
      expected.push_back(step);
    } else {
      MpscNode* node = queue.pop();
      ASSERT_NE(node, nullptr) << "step " << step;
      ASSERT_EQ(as_test_node(node)->value, expected.front()) << "step " << step;
      expected.erase(expected.begin());
      free_nodes.push_back(node);
    }
  }
  while (!expected.empty()) {
    ASSERT_EQ(pop_value(queue), expected.front());
    expected.erase(expected.begin());
  }
  EXPECT_EQ(queue.pop(), nullptr);
  EXPECT_TRUE(queue.try_mark_empty());
}

TEST(MpscQueue, TheSameNodeCanCycleThroughTheQueueWithTheEdgeEachTime) {
  MpscQueue queue;
  TestNode node(7);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(queue.push(&node)) << "cycle " << i;
    ASSERT_EQ(queue.pop(), &node);
    ASSERT_EQ(queue.pop(), nullptr);
    ASSERT_TRUE(queue.try_mark_empty());
  }
}

// -- empty() -----------------------------------------------------------------------

TEST(MpscQueue, EmptyIsFalseExactlyWhileNodesAreQueued) {
  MpscQueue queue;
  TestNode a(1);
  TestNode b(2);
  EXPECT_TRUE(queue.empty());
  queue.push(&a);
  EXPECT_FALSE(queue.empty());
  queue.push(&b);
  EXPECT_FALSE(queue.empty());
  ASSERT_EQ(pop_value(queue), 1);
  EXPECT_FALSE(queue.empty());
  ASSERT_EQ(pop_value(queue), 2);
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.try_mark_empty());
  EXPECT_TRUE(queue.empty()) << "marked empty is still empty";
}

}  // namespace
}  // namespace tact::detail
