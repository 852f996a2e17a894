// MpscQueue: the intrusive multi-producer / single-consumer queue behind every
// mailbox. Dmitry Vyukov's intrusive MPSC queue (one atomic exchange per push,
// wait-free push) in the form Pony's runtime uses (libponyrt/actor/messageq.c):
// the last node handed out stays in the queue as its dummy, and the low bit of
// head_ marks "empty and idle", so a push reports the empty → non-empty edge and
// exactly one sender learns it must schedule the consumer.
//
// Roles:
//   producers (any thread): push()
//   the consumer (one thread at a time): pop(), pop_batch(), try_mark_empty(), empty()
// "One thread at a time": consumer rights move between threads with the edge: the
// consumer gives them up by a successful try_mark_empty(); the producer whose
// push() returns true receives them (and hands them to whoever runs the consumer).
// A new queue is marked empty: nobody holds the rights until the first push.
//
// Structure. Nodes form a singly linked list from tail_ (the dummy: the node
// handed out last, or stub_) to head_ (the node pushed last). The messages are
// the nodes *after* the dummy.
//
//   push(n):  n.next = null; prev = exchange(head_, n); prev.next = n
//             Between the exchange and the link the list is cut: the consumer sees
//             "no next" although head_ moved. pop() returns null then (it never
//             blocks) and try_mark_empty() fails, so the edge is not lost.
//   pop():    next = tail_.next; if any, next becomes the dummy and is handed
//             out; the old dummy is retired (given back to the caller).
//   try_mark_empty(): tail_.next == null and head_ == tail_: CAS head_ from the
//             dummy to stub_|1, which also swaps stub_ in as the dummy, so an idle
//             queue holds none of the caller's nodes; the old dummy is retired.
// Each message costs one read-modify-write (the push's exchange) plus, when the
// consumer goes idle, one CAS: no stub re-push per drain (a locked instruction is
// ~19 ns on the reference VM, so this is the queue's main cost).
//
// Invariants:
//   I1  head_ has the empty bit iff the consumer has given up its rights and no
//       push has happened since; the push that clears it returns true.
//   I2  A node returned by pop() stays in the queue as the dummy: producers may
//       still write its `next`. Its other contents are the caller's at once; its
//       memory is the caller's again only once retired (by the next pop() or by
//       try_mark_empty()). A retired node is never touched by the queue again.
//   I3  A producer touches only the node it pushes and the node it got from the
//       exchange; the latter is the dummy or a message whose `next` is still null
//       until that producer links it, so it is not retired, and it stays alive:
//       pop() retires a dummy only after reading its `next` (the link is done),
//       and try_mark_empty() only while head_ still names the dummy (its CAS
//       fails once any producer has exchanged it away).
//   I4  stub_ is in the list only as the dummy (never as a message): it enters by
//       try_mark_empty()'s swap, it leaves by the first pop() after it, and it is
//       never retired to the caller.
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

  // Any thread. Appends `node` (which the queue owns until it is retired).
  // Returns true iff the queue was marked empty: the caller must then schedule
  // the consumer. Wait-free: one exchange, two stores.
  bool push(MpscNode* node) noexcept;

  // -- for the consumer --------------------------------------------------------------

  // Consumer only. The oldest message, or nullptr when the queue is empty or a
  // push is half done (see the file comment); nullptr is not a promise of
  // emptiness. The node returned becomes the dummy (I2): use its contents, do not
  // free it. `retired` receives the previous dummy when it is the caller's again
  // (nullptr otherwise): free or reuse it.
  MpscNode* pop(MpscNode*& retired) noexcept;

  // Consumer only. Pops up to `max` messages into `out`, oldest first; returns how
  // many (n). `retired` as in pop(), for the first; out[0..n-2] are retired too
  // (they are the caller's again), and out[n-1] is the new dummy.
  std::size_t pop_batch(MpscNode** out, std::size_t max, MpscNode*& retired) noexcept;

  // Consumer only. If the queue is empty, marks it so, gives up consumer rights
  // and returns true: the next push() will return true; `retired` receives the
  // dummy it held (nullptr if that was stub_). The caller must not touch the queue
  // after a true return: another thread may own it already. Returns false when a
  // message is queued or a push got in first (`retired` = nullptr): the caller is
  // still the consumer and must pop again.
  bool try_mark_empty(MpscNode*& retired) noexcept;

  // Consumer only (or quiescent). True when no message is queued (a half-done
  // push counts as queued).
  bool empty() const noexcept;
  // Any thread, a hint (metrics): the consumer has given up its rights and no
  // push has come since (I1), so nothing is queued.
  bool idle_hint() const noexcept {
    return (head_.load(relaxed) & kEmptyBit) != 0;  // relaxed: a statistic, nothing read through it
  }

  // Consumer only: a run of pop()s that keeps the consumer's cursor (tail_) in a
  // local and stores it back once, in commit() or the destructor. For the compact
  // layout, where tail_ shares a cache line with head_: a store to tail_ per
  // message would pull that line away from the producers' exchanges every time.
  // Use no other consumer call on the queue while a Reader is uncommitted.
  class Reader {
   public:
    explicit Reader(BasicMpscQueue& queue) noexcept : queue_(&queue), tail_(queue.tail_) {}
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    ~Reader() { commit(); }

    // As BasicMpscQueue::pop().
    MpscNode* pop(MpscNode*& retired) noexcept { return queue_->pop_at(tail_, retired); }

    // Stores the cursor back; the Reader must not be used after.
    void commit() noexcept {
      if (queue_ != nullptr) queue_->tail_ = tail_;
      queue_ = nullptr;
    }

   private:
    BasicMpscQueue* queue_;
    MpscNode* tail_;
  };

 private:
  static constexpr std::uintptr_t kEmptyBit = 1;

  std::uintptr_t stub_word() const noexcept { return reinterpret_cast<std::uintptr_t>(&stub_); }
  static MpscNode* as_node(std::uintptr_t word) noexcept {
    return reinterpret_cast<MpscNode*>(word & ~kEmptyBit);
  }
  MpscNode* retire(MpscNode* dummy) const noexcept { return dummy == &stub_ ? nullptr : dummy; }
  // pop() on a given cursor (tail_, or a Reader's copy of it).
  MpscNode* pop_at(MpscNode*& tail, MpscNode*& retired) noexcept;

  // Layout: one line written by producers, one written only by the consumer.
  // stub_ sits with head_: producers write stub_.next exactly when the queue was
  // idle, right after exchanging head_, so the sender dirties one line, not two.
  static constexpr std::size_t kLineAlign =
      kLayout == MpscLayout::kSeparateLines ? kCacheLine : alignof(MpscNode*);

  alignas(kLineAlign) Atomic<std::uintptr_t> head_;
  MpscNode stub_;
  // Consumer only: read and written by the holder of consumer rights alone; the
  // edge handoff (try_mark_empty release → push acquire) orders one holder's
  // writes before the next holder's reads.
  alignas(kLineAlign) MpscNode* tail_;
};

// The standalone queue (benchmarks, tests) and the mailbox inside an actor cell.
using MpscQueue = BasicMpscQueue<MpscLayout::kSeparateLines>;
using CompactMpscQueue = BasicMpscQueue<MpscLayout::kCompact>;

// ---- implementation (inline: push and pop are the hot path of every message) ---

template <MpscLayout kLayout>
inline BasicMpscQueue<kLayout>::BasicMpscQueue() noexcept
    : head_(stub_word() | kEmptyBit), tail_(&stub_) {}

template <MpscLayout kLayout>
inline bool BasicMpscQueue<kLayout>::push(MpscNode* node) noexcept {
  // relaxed: the node is not yet reachable; the release exchange below orders this
  // store before the link store of the producer that gets `node` as its prev.
  node->next.store(nullptr, relaxed);
  // acq_rel. acquire: when the empty bit is set, pairs with the release CAS in
  // try_mark_empty(), so the caller, who will schedule the consumer, sees all the
  // previous consumer's writes (tail_ = stub_, stub_.next = null among them).
  // release: pairs with the acquire of the next exchange of head_, whose producer
  // then links to `node`: our null store is ordered before that link.
  const std::uintptr_t prev = head_.exchange(reinterpret_cast<std::uintptr_t>(node), acq_rel);
  // (The cut window: head_ has moved, prev->next is not linked yet.)
  // release: pairs with the acquire loads of next in pop(); publishes the node
  // and its payload to the consumer.
  as_node(prev)->next.store(node, release);
  return (prev & kEmptyBit) != 0;
}

template <MpscLayout kLayout>
inline MpscNode* BasicMpscQueue<kLayout>::pop(MpscNode*& retired) noexcept {
  return pop_at(tail_, retired);
}

template <MpscLayout kLayout>
inline MpscNode* BasicMpscQueue<kLayout>::pop_at(MpscNode*& tail, MpscNode*& retired) noexcept {
  MpscNode* dummy = tail;
  // acquire: pairs with the release link store in push(); the message and its
  // payload are then visible.
  MpscNode* next = dummy->next.load(acquire);
  if (next == nullptr) {  // empty, or the next push is half done
    retired = nullptr;
    return nullptr;
  }
  tail = next;
  // The old dummy's `next` was linked (we read it), so no producer will touch it
  // again (I3): it is the caller's.
  retired = retire(dummy);
  return next;
}

template <MpscLayout kLayout>
inline std::size_t BasicMpscQueue<kLayout>::pop_batch(MpscNode** out, std::size_t max,
                                                      MpscNode*& retired) noexcept {
  retired = nullptr;
  std::size_t n = 0;
  MpscNode* previous_dummy = nullptr;
  while (n < max) {
    MpscNode* node = pop(previous_dummy);
    if (node == nullptr) break;
    if (n == 0) retired = previous_dummy;  // later ones are out[n - 1], already listed
    out[n++] = node;
  }
  return n;
}

template <MpscLayout kLayout>
inline bool BasicMpscQueue<kLayout>::try_mark_empty(MpscNode*& retired) noexcept {
  retired = nullptr;
  MpscNode* dummy = tail_;
  // acquire: as in pop(); a linked message means the queue is not empty.
  if (dummy->next.load(acquire) != nullptr) return false;
  std::uintptr_t expected = reinterpret_cast<std::uintptr_t>(dummy);
  if (dummy != &stub_) {
    // Swap stub_ in as the dummy, so the idle queue keeps none of the caller's
    // nodes. stub_ is not in the list now (I4): these plain writes race with no
    // one, and the release CAS publishes them to the next rights holder.
    stub_.next.store(nullptr, relaxed);  // relaxed: published by the CAS below
    tail_ = &stub_;
  }
  // release (success): pairs with the acquire exchange in push(); the producer
  // that sees the bit takes over consumer rights and must see our writes (tail_,
  // stub_.next, and everything done with the messages). relaxed (failure): a push
  // moved head_ away from the dummy; we keep consuming and read its node through
  // the acquire loads in pop().
  if (head_.compare_exchange_strong(expected, stub_word() | kEmptyBit, release, relaxed)) {
    // head_ still named the dummy: no producer holds it (I3), and the queue no
    // longer reaches it.
    retired = retire(dummy);
    return true;
  }
  tail_ = dummy;  // still the consumer: undo the swap
  return false;
}

template <MpscLayout kLayout>
inline bool BasicMpscQueue<kLayout>::empty() const noexcept {
  MpscNode* dummy = tail_;
  // acquire: as in pop(). relaxed for head_: only compared with the dummy, which
  // cannot be pushed again while it is in the queue, so no ABA.
  return dummy->next.load(acquire) == nullptr &&
         as_node(head_.load(relaxed)) == dummy;
}

}  // namespace tact::detail
