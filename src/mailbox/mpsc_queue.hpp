// MpscQueue: the intrusive multi-producer / single-consumer queue behind every
// mailbox. Dmitry Vyukov's intrusive MPSC queue with an embedded stub node (one
// atomic exchange per push, wait-free push) plus Pony's empty bit
// (libponyrt/actor/messageq.c): the low bit of head_ marks "empty and idle", so a
// push reports the empty → non-empty edge and exactly one sender learns it must
// schedule the consumer.
//
// Roles:
//   producers (any thread): push()
//   the consumer (one thread at a time): pop(), pop_batch(), try_mark_empty(), empty()
// "One thread at a time": consumer rights move between threads with the edge: the
// consumer gives them up by a successful try_mark_empty(); the producer whose
// push() returns true receives them (and hands them to whoever runs the consumer).
// A new queue is marked empty: nobody holds the rights until the first push.
//
// Structure. Nodes form a singly linked list from tail_ (consumer side) to head_
// (producer side). stub_ is a node owned by the queue: it keeps the list non-empty
// so that producers never touch a node the consumer may have handed back.
//
//   push(n):  n.next = null; prev = exchange(head_, n); prev.next = n
//             Between the exchange and the link the list is cut: the consumer sees
//             "no next" although head_ moved. pop() returns null then (it never
//             blocks) and try_mark_empty() fails, so the edge is not lost.
//   pop():    take tail_ once its successor is linked. When tail_ has no successor
//             but is the last node (head_ == tail_), push stub_ behind it so tail_
//             can be handed out and stub_ becomes the tail.
//   try_mark_empty(): tail_ == stub_ and head_ == stub_ → CAS head_ to stub_|1.
//
// Invariants:
//   I1  head_ has the empty bit iff the consumer has given up its rights and no
//       push has happened since; the push that clears it returns true.
//   I2  A node returned by pop() is no longer reachable from the queue: the
//       caller owns it (it may free or reuse it at once).
//   I3  A producer touches only the node it pushes and the node it got from the
//       exchange; the latter has next == null until that producer links it, so
//       the consumer cannot have handed it out (pop() returns a node only once
//       its successor is linked), and it stays alive.
//   I4  stub_ is in the list at most once: the consumer pushes it only when tail_
//       is a real node that head_ still names, so stub_ is not behind it.
//   I5  tail_ != stub_ means tail_ is a real node not yet popped, so the queue is
//       not empty; hence try_mark_empty() only needs to look at head_ when
//       tail_ == stub_, and then stub_.next == null iff head_ == stub_.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "tact/detail/atomic.hpp"
#include "tact/detail/mpsc_node.hpp"

namespace tact::detail {

// How the queue lays out its fields. kSeparateLines (the default) puts the
// producers' line (head_, stub_) and the consumer's (tail_) on separate cache
// lines: best for one hot queue fed by several cores. kCompact packs all three
// into 24 bytes: for the mailbox inside every actor cell, where a million idle
// actors matter more than the false sharing of a queue that is mostly idle.
enum class MpscLayout { kSeparateLines, kCompact };

template <MpscLayout kLayout = MpscLayout::kSeparateLines>
class BasicMpscQueue {
 public:
  // A new queue is empty and marked empty: the first push() returns true.
  BasicMpscQueue() noexcept;
  BasicMpscQueue(const BasicMpscQueue&) = delete;
  BasicMpscQueue& operator=(const BasicMpscQueue&) = delete;

  // -- for producers ---------------------------------------------------------------

  // Any thread. Appends `node` (which the queue now owns until pop() returns it).
  // Returns true iff the queue was marked empty: the caller must then schedule
  // the consumer. Wait-free: one exchange, two stores.
  bool push(MpscNode* node) noexcept;

  // -- for the consumer --------------------------------------------------------------

  // Consumer only. The oldest node, or nullptr when the queue is empty or a push
  // is half done (see the file comment); nullptr is not a promise of emptiness.
  MpscNode* pop() noexcept;

  // Consumer only. Pops up to `max` nodes into `out`, oldest first; returns how many.
  std::size_t pop_batch(MpscNode** out, std::size_t max) noexcept;

  // Consumer only. If the queue is empty, marks it so, gives up consumer rights
  // and returns true: the next push() will return true. Returns false when a node
  // is queued or a push got in first; the caller is still the consumer and must
  // pop again. (On a queue already marked empty there is no consumer to call it.)
  bool try_mark_empty() noexcept;

  // Consumer only (or quiescent). True when no node is queued (a half-done push
  // counts as queued).
  bool empty() const noexcept;

 private:
  static constexpr std::uintptr_t kEmptyBit = 1;

  std::uintptr_t stub_word() const noexcept { return reinterpret_cast<std::uintptr_t>(&stub_); }
  static MpscNode* as_node(std::uintptr_t word) noexcept {
    return reinterpret_cast<MpscNode*>(word & ~kEmptyBit);
  }
  MpscNode* pop_last(MpscNode* tail) noexcept;
  MpscNode* push_stub() noexcept;

  // Layout: one line written by producers, one written only by the consumer.
  // stub_ sits with head_ because producers write stub_.next exactly when the queue
  // was empty, right after exchanging head_: in the mailbox's common empty → one
  // message → empty cycle, the sender then dirties one line instead of two (head_
  // plus the consumer's line), and the consumer's reads of stub_.next and head_
  // and its re-push of the stub stay on that one line too.
  static constexpr std::size_t kLineAlign =
      kLayout == MpscLayout::kSeparateLines ? kCacheLine : alignof(MpscNode*);

  alignas(kLineAlign) Atomic<std::uintptr_t> head_;
  MpscNode stub_;
  // Consumer only: read and written by the holder of consumer rights alone; the
  // edge handoff (try_mark_empty release → push acquire) orders one holder's
  // writes before the next holder's reads.
  alignas(kLineAlign) MpscNode* tail_;
};

// ---- implementation (inline: push and pop are the hot path of every message) ---

template <MpscLayout kLayout>
inline BasicMpscQueue<kLayout>::BasicMpscQueue() noexcept : head_(stub_word() | kEmptyBit), tail_(&stub_) {}

template <MpscLayout kLayout>
inline bool BasicMpscQueue<kLayout>::push(MpscNode* node) noexcept {
  // relaxed: the node is not yet reachable; the release exchange below orders this
  // store before the link store of the producer that gets `node` as its prev.
  node->next.store(nullptr, relaxed);
  // acq_rel. acquire: when the empty bit is set, pairs with the release CAS in
  // try_mark_empty(), so the caller, who will schedule the consumer, sees all the
  // previous consumer's writes. release: pairs with the acquire of the next
  // exchange of head_ (a producer's or push_stub's), which then links to `node`:
  // our null store above is ordered before that link in node->next's history.
  const std::uintptr_t prev = head_.exchange(reinterpret_cast<std::uintptr_t>(node), acq_rel);
  TACT_YIELD_POINT();  // the cut window: head_ moved, prev->next not yet linked
  // release: pairs with the acquire loads of next in pop(); publishes the node
  // and its payload to the consumer.
  as_node(prev)->next.store(node, release);
  return (prev & kEmptyBit) != 0;
}

template <MpscLayout kLayout>
inline MpscNode* BasicMpscQueue<kLayout>::pop() noexcept {
  MpscNode* tail = tail_;
  // acquire: pairs with the release link store in push()/push_stub(); the node we
  // step to, and its payload, are then visible.
  MpscNode* next = tail->next.load(acquire);
  if (tail == &stub_) {  // skip the stub
    if (next == nullptr) return nullptr;  // empty, or the first push is half done
    tail_ = next;
    tail = next;
    next = next->next.load(acquire);  // as above
  }
  if (next != nullptr) {  // the common case: tail is linked to a successor
    tail_ = next;
    return tail;
  }
  return pop_last(tail);
}

// tail is a real node with no successor yet: either it is the last node, or the
// producer that pushed after it is inside its cut window.
template <MpscLayout kLayout>
inline MpscNode* BasicMpscQueue<kLayout>::pop_last(MpscNode* tail) noexcept {
  // relaxed: head_ is only compared, never dereferenced. We reached tail through
  // its link, which its producer stored after its exchange, so coherence makes this
  // load return that exchange's value or a later one; tail cannot be pushed again
  // before we pop it, so a later value is never tail.
  if (as_node(head_.load(relaxed)) != tail) return nullptr;  // a push is half done
  TACT_YIELD_POINT();  // a push may land between this check and the stub's push
  // tail is the last node: put the stub behind it so tail can be handed out (I4).
  if (push_stub() == tail) {  // nobody got in: we linked tail->next = stub ourselves
    tail_ = &stub_;
    return tail;
  }
  // A push landed between the check and our exchange: the list is tail → (pending
  // link) → that node → stub. Hand tail out only once its link is in.
  MpscNode* next = tail->next.load(acquire);  // as in pop()
  if (next == nullptr) return nullptr;
  tail_ = next;
  return tail;
}

// Consumer-side push of the stub; returns the node the stub was linked behind.
template <MpscLayout kLayout>
inline MpscNode* BasicMpscQueue<kLayout>::push_stub() noexcept {
  // relaxed, as in push(). The last link into the stub was read (acquire) before
  // the consumer stepped past it, so this store follows it in stub_.next's history.
  stub_.next.store(nullptr, relaxed);
  // acq_rel, as in push(). The empty bit cannot be set while the consumer holds
  // its rights (I1), so there is no edge to report.
  const std::uintptr_t prev = head_.exchange(stub_word(), acq_rel);
  assert((prev & kEmptyBit) == 0 && "push_stub without consumer rights");
  TACT_YIELD_POINT();  // the cut window, as in push()
  as_node(prev)->next.store(&stub_, release);  // release, as in push()
  return as_node(prev);
}

template <MpscLayout kLayout>
inline std::size_t BasicMpscQueue<kLayout>::pop_batch(MpscNode** out, std::size_t max) noexcept {
  std::size_t n = 0;
  while (n < max) {
    MpscNode* node = pop();
    if (node == nullptr) break;
    out[n++] = node;
  }
  return n;
}

template <MpscLayout kLayout>
inline bool BasicMpscQueue<kLayout>::try_mark_empty() noexcept {
  // I5: with tail_ on a real node the queue holds that node.
  if (tail_ != &stub_) return false;
  std::uintptr_t expected = stub_word();
  // release (success): pairs with the acquire exchange in push(); the producer
  // that sees the bit takes over consumer rights and must see our writes (tail_,
  // and everything the consumer did with the nodes).
  // relaxed (failure): a push started; we keep consuming and read its node
  // through the acquire loads in pop().
  return head_.compare_exchange_strong(expected, stub_word() | kEmptyBit, release, relaxed);
}

template <MpscLayout kLayout>
inline bool BasicMpscQueue<kLayout>::empty() const noexcept {
  // relaxed: only compared, as in pop_last(). With tail_ == stub_, the stub's own
  // exchange (ours, or a previous holder's, ordered before us by the edge handoff)
  // precedes this load, so head_ reads that value or a later one.
  return tail_ == &stub_ && as_node(head_.load(relaxed)) == &stub_;
}

// The standalone queue (benchmarks, tests) and the mailbox inside an actor cell.
using MpscQueue = BasicMpscQueue<MpscLayout::kSeparateLines>;
using CompactMpscQueue = BasicMpscQueue<MpscLayout::kCompact>;

}  // namespace tact::detail
