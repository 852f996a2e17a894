// MpscQueue: the intrusive multi-producer / single-consumer queue behind every
// mailbox. Dmitry Vyukov's non-intrusive-stub MPSC design (one atomic exchange per
// push, wait-free push) with Pony's empty bit (libponyrt/actor/messageq.c): the low
// bit of head_ marks "empty and idle", so a push reports the empty → non-empty
// edge and exactly one sender learns it must schedule the consumer.
//
// Roles:
//   producers (any thread): push()
//   the consumer (one thread at a time): pop(), pop_batch(), try_mark_empty()
// "One thread at a time": consumer rights move between threads with the edge: the
// consumer gives them up by a successful try_mark_empty(); the producer whose
// push() returns true receives them (and hands them to whoever runs the consumer).
//
// Structure. Nodes form a singly linked list from tail_ (consumer side) to head_
// (producer side). stub_ is a node owned by the queue: it keeps the list non-empty
// so that producers never touch a node the consumer may have handed back.
//
//   push(n):  n.next = null; prev = exchange(head_, n); prev.next = n
//             Between the exchange and the link the list is cut: the consumer sees
//             "no next" although head_ moved. pop() returns null then (it never
//             blocks) and try_mark_empty() fails, so the edge is not lost.
//   pop():    take tail_; when tail_ has no successor but is the last node, push
//             stub_ behind it so tail_ can be handed out and stub_ becomes the tail.
//   try_mark_empty(): head_ == stub_ (and tail_ == stub_) → CAS head_ to stub_|1.
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
#pragma once

#include <cstddef>
#include <cstdint>

#include "tact/detail/atomic.hpp"
#include "tact/detail/mpsc_node.hpp"

namespace tact::detail {

class MpscQueue {
 public:
  // A new queue is empty and marked empty: the first push() returns true.
  MpscQueue() noexcept;
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;

  // -- for producers ---------------------------------------------------------------

  // Any thread. Appends `node` (which the queue now owns until pop() returns it).
  // Returns true iff the queue was marked empty: the caller must then schedule
  // the consumer. Wait-free: one exchange, one store.
  bool push(MpscNode* node) noexcept;

  // -- for the consumer --------------------------------------------------------------

  // Consumer only. The oldest node, or nullptr when the queue is empty or a push
  // is half done (see the file comment); nullptr is not a promise of emptiness.
  MpscNode* pop() noexcept;

  // Consumer only. Pops up to `max` nodes into `out`; returns how many.
  std::size_t pop_batch(MpscNode** out, std::size_t max) noexcept;

  // Consumer only. If the queue is empty, marks it so, gives up consumer rights
  // and returns true: the next push() will return true. Returns false when a push
  // got in first; the caller is still the consumer and must pop again.
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
  void push_stub() noexcept;

  // Producers exchange head_ on every push: its own line, away from tail_.
  alignas(kCacheLine) Atomic<std::uintptr_t> head_;
  // Consumer-only fields: tail_ is read and written only by the consumer.
  alignas(kCacheLine) MpscNode* tail_;
  MpscNode stub_;
};

// ---- implementation (inline: push and pop are the hot path of every message) ---

inline MpscQueue::MpscQueue() noexcept : head_(stub_word() | kEmptyBit), tail_(&stub_) {}

inline bool MpscQueue::push(MpscNode* node) noexcept {
  // relaxed: the node is not yet reachable; the release store below publishes it.
  node->next.store(nullptr, relaxed);
  // acq_rel. acquire: when the empty bit is set, pairs with the release CAS in
  // try_mark_empty(), so the caller, who will schedule the consumer, sees all the
  // previous consumer's writes. release: orders the store above before the node
  // becomes the head another producer may link to.
  const std::uintptr_t prev = head_.exchange(reinterpret_cast<std::uintptr_t>(node), acq_rel);
  TACT_YIELD_POINT();  // the cut window: head_ moved, prev->next not yet linked
  // release: pairs with the acquire loads of next in pop(); publishes the node
  // and its payload to the consumer.
  as_node(prev)->next.store(node, release);
  return (prev & kEmptyBit) != 0;
}

inline void MpscQueue::push_stub() noexcept {
  // Consumer-side push of the stub; the empty bit cannot be set while the
  // consumer holds its rights (I1), so the edge result is always false.
  stub_.next.store(nullptr, relaxed);
  const std::uintptr_t prev = head_.exchange(stub_word(), acq_rel);  // as in push()
  as_node(prev)->next.store(&stub_, release);                        // as in push()
}

inline MpscNode* MpscQueue::pop() noexcept {
  MpscNode* tail = tail_;
  // acquire: pairs with the release link store in push()/push_stub().
  MpscNode* next = tail->next.load(acquire);
  if (tail == &stub_) {  // skip the stub
    if (next == nullptr) return nullptr;
    tail_ = next;
    tail = next;
    next = next->next.load(acquire);  // as above
  }
  if (next != nullptr) {
    tail_ = next;
    return tail;
  }
  // tail has no successor. If it is not the last node, a push is half done.
  // acquire: pairs with the producers' exchange (release), so if we see head_ ==
  // tail we also see every link before it.
  if (as_node(head_.load(acquire)) != tail) return nullptr;
  // tail is the last node: put the stub behind it so tail can be handed out.
  push_stub();
  next = tail->next.load(acquire);  // as above
  if (next != nullptr) {  // the stub, or a node pushed just before it
    tail_ = next;
    return tail;
  }
  return nullptr;  // a producer got between: its link is pending
}

inline std::size_t MpscQueue::pop_batch(MpscNode** out, std::size_t max) noexcept {
  std::size_t n = 0;
  while (n < max) {
    MpscNode* node = pop();
    if (node == nullptr) break;
    out[n++] = node;
  }
  return n;
}

inline bool MpscQueue::try_mark_empty() noexcept {
  // Only a queue whose tail is the stub with no successor can be empty; then
  // head_ == stub_ exactly when no push has started.
  if (tail_ != &stub_) return false;
  std::uintptr_t expected = stub_word();
  // release (success): pairs with the acquire exchange in push(); the producer
  // that sees the bit takes over consumer rights and must see our writes.
  // relaxed (failure): a push started; we keep consuming and read its node
  // through the acquire loads in pop().
  return head_.compare_exchange_strong(expected, stub_word() | kEmptyBit, release, relaxed);
}

inline bool MpscQueue::empty() const noexcept {
  // acquire: as in pop().
  return tail_ == &stub_ && as_node(head_.load(acquire)) == &stub_;
}

}  // namespace tact::detail
