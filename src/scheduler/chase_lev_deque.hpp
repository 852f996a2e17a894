// ChaseLevDeque<T>: a bounded work-stealing deque of T* (Chase & Lev, SPAA 2005),
// with the C11 memory orders of Lê, Pop, Cohen & Zappa Nardelli, "Correct and
// Efficient Work-Stealing for Weak Memory Models", PPoPP 2013 (figure 1).
//
// Roles (STYLE.md practice 3):
//   owner  (one thread): push(), pop()           — LIFO end, `bottom_`
//   thieves (any thread): steal(), steal_half()  — FIFO end, `top_`
//
// The ring has a fixed power-of-two capacity: push() reports a full deque instead
// of growing, and the scheduler sends the overflow to its global injection queue
// (as tokio's local queue does), so no buffer is ever retired under a thief.
//
// Protocol. Items live at indices [top_, bottom_). The owner publishes an item by
// writing its slot, then advancing bottom_ (release; a thief's acquire of bottom_
// pairs with it, so the item and everything the owner wrote before pushing it are
// visible to the thief). Only a CAS on top_ removes an item from the top, so a
// thief and the owner racing for the last item are decided by that CAS. pop()
// first reserves the bottom slot (bottom_ := b-1), then reads top_: the seq_cst
// fence between that store and that load, matched by the seq_cst fence between a
// thief's load of top_ and its load of bottom_, guarantees that at least one of
// the two sees the other (store→load order, which acquire/release cannot give).
//
// Every store of bottom_ is a release, pop()'s included (the paper has relaxed
// stores there). So whichever value of bottom_ a thief reads, it reads it from a
// release store the owner made after writing every slot below that value: the
// thief sees those slots and the items' contents. The paper relied on C++11
// release sequences, which ran on through later relaxed stores of the same
// thread (push()'s release, then pop()'s relaxed bottom_ := b-1). C++20 (P0982)
// ends a release sequence at the first store that is not a read-modify-write, so
// a thief reading pop()'s relaxed store would synchronize with no push(): it
// could read a ring slot's value from one lap earlier, an item already taken,
// and still win its CAS on top_ — a double take. (x86 cannot show it; the language
// allows it, and push()'s stlr on ARM orders the slot write only before push()'s
// own store, not before pop()'s later one.) A release store is a plain mov on x86;
// on ARM an stlr beside the full fence pop() executes anyway.
//
// ThreadSanitizer does not model fences. The fences here only order the
// reservation against the race on the last item; every payload hand-off is a
// release store / acquire load pair (bottom_), which TSan sees.
#pragma once

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "tact/detail/atomic.hpp"
#if defined(TACT_SIM_BUGS)
#include "sim/bugs.hpp"
#endif

namespace tact::detail {

// The outcome of a steal: it tells "nothing there" from "lost a race", so a
// worker never parks while work remains just because a CAS failed (crossbeam's
// Steal::Retry, STYLE.md practice 10).
enum class StealStatus : std::uint8_t { kSuccess, kEmpty, kLost };

template <class T>
struct StealResult {
  StealStatus status;
  T* item;  // non-null iff status == kSuccess
};

template <class T>
class ChaseLevDeque {
 public:
  // `capacity` is rounded up to a power of two (at least 2).
  explicit ChaseLevDeque(std::size_t capacity);
  ChaseLevDeque(const ChaseLevDeque&) = delete;
  ChaseLevDeque& operator=(const ChaseLevDeque&) = delete;

  // -- for the owner ----------------------------------------------------------

  // Owner only. Pushes at the bottom; returns false (and keeps `item`'s
  // ownership with the caller) when the deque is full.
  bool push(T* item) noexcept;

  // Owner only. Pops the most recently pushed item, or nullptr when empty.
  T* pop() noexcept;

  // -- for thieves -------------------------------------------------------------

  // Any thread. Takes the oldest item.
  StealResult<T> steal() noexcept;

  // Any thread, where `dst` is a deque the caller owns. Moves about half of this
  // deque's items (rounded up, at most what `dst` has room for) into `dst` and
  // returns the first of them, which is not pushed into `dst`: the caller runs it.
  // Items are claimed one CAS at a time: a batch claim (top_ += n) would race with
  // the owner's CAS-free pop() of an item inside the batch.
  StealResult<T> steal_half(ChaseLevDeque& dst) noexcept;

  // -- observers (any thread; a snapshot, exact only when quiescent) ------------

  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  std::size_t capacity() const noexcept { return mask_ + 1; }

 private:
  using Index = std::int64_t;  // signed: pop() may briefly make bottom_ < top_

  Atomic<T*>& slot(Index i) const noexcept {
    return ring_[static_cast<std::size_t>(i) & mask_];
  }

  // top_ is written by thieves (CAS), bottom_ by the owner: separate lines so a
  // thief's CAS does not invalidate the owner's bottom_ on every push.
  alignas(kCacheLine) Atomic<Index> top_{0};
  alignas(kCacheLine) Atomic<Index> bottom_{0};
  alignas(kCacheLine) std::size_t mask_;
  std::unique_ptr<Atomic<T*>[]> ring_;
};

// ---- implementation ------------------------------------------------------------

template <class T>
ChaseLevDeque<T>::ChaseLevDeque(std::size_t capacity)
    : mask_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity) - 1),
      ring_(std::make_unique<Atomic<T*>[]>(mask_ + 1)) {}

template <class T>
bool ChaseLevDeque<T>::push(T* item) noexcept {
  assert(item != nullptr);
  // relaxed: only the owner writes bottom_.
  const Index b = bottom_.load(relaxed);
  // acquire: pairs with the thieves' CAS on top_, so the slot they vacated is
  // free before we overwrite it.
  const Index t = top_.load(acquire);
  if (b - t > static_cast<Index>(mask_)) return false;  // full
  // relaxed: a slot is published by the release store of bottom_ below.
  slot(b).store(item, relaxed);
  // release: pairs with the acquire load of bottom_ in steal(); publishes the
  // slot and the item's contents. (The paper's release fence + relaxed store,
  // written as a release store so TSan sees it.)
  bottom_.store(b + 1, release);
  return true;
}

template <class T>
T* ChaseLevDeque<T>::pop() noexcept {
  const Index b = bottom_.load(relaxed) - 1;  // relaxed: owner-only writer
  // Reserve slot b before looking at top_ (the fence below orders the two).
  // release (the paper has relaxed): see "Every store of bottom_ is a release"
  // in the file comment; pairs with the acquire load of bottom_ in steal().
#if defined(TACT_SIM_BUGS)
  // Before 0b597b5: relaxed, as in the paper. (The sim runs sequentially
  // consistently, so it cannot tell the two apart: see test/sim/sim_bug_test.cpp.)
  bottom_.store(b, sim::bug_on(sim::Bug::kDequeRelaxedBottomStore) ? relaxed : release);
#else
  bottom_.store(b, release);
#endif
  // seq_cst: orders the store of bottom_ before the load of top_ (store→load);
  // pairs with the seq_cst fence in steal(). See the file comment.
  fence_seq_cst();
  Index t = top_.load(relaxed);
  if (t > b) {  // was empty: undo the reservation
    bottom_.store(b + 1, release);  // release: as the reservation above
    return nullptr;
  }
  T* item = slot(b).load(relaxed);
  if (t == b) {
    // The last item: thieves may be after it too; the CAS on top_ decides.
    // seq_cst (success): part of the fence protocol above; relaxed (failure):
    // we lost and read nothing through it.
    const bool won = top_.compare_exchange_strong(t, t + 1, seq_cst, relaxed);
    bottom_.store(b + 1, release);  // release: as the reservation above
    return won ? item : nullptr;
  }
  return item;  // t < b: no thief can reach slot b
}

template <class T>
StealResult<T> ChaseLevDeque<T>::steal() noexcept {
  // acquire: pairs with the CAS of other thieves/the owner on top_.
  Index t = top_.load(acquire);
  // seq_cst: orders the load of top_ before the load of bottom_; pairs with the
  // fence in pop().
  fence_seq_cst();
  // acquire: pairs with whichever release store of bottom_ (push() or pop())
  // we read; every one follows the owner's write of slot t and of the item's
  // contents, so both are visible below.
  const Index b = bottom_.load(acquire);
  if (t >= b) return {StealStatus::kEmpty, nullptr};
  // relaxed: the slot may be overwritten by a push after another thief took it;
  // then the CAS below fails and the value read is discarded.
  T* item = slot(t).load(relaxed);
  // seq_cst (success): claims the item, ordered with pop()'s fence;
  // relaxed (failure): someone else claimed index t.
  if (!top_.compare_exchange_strong(t, t + 1, seq_cst, relaxed)) {
    return {StealStatus::kLost, nullptr};
  }
  return {StealStatus::kSuccess, item};
}

template <class T>
StealResult<T> ChaseLevDeque<T>::steal_half(ChaseLevDeque& dst) noexcept {
  assert(&dst != this);
  StealResult<T> first = steal();
  if (first.status != StealStatus::kSuccess) return first;
  // A snapshot decides how many more to try for: of the n = r + 1 items that were
  // there (r remaining, 1 taken), half rounded up is ceil(n / 2) = 1 + r / 2.
  // Bounded by dst's free room.
  const Index t = top_.load(relaxed);
  const Index b = bottom_.load(relaxed);
  Index want = b > t ? (b - t) / 2 : 0;
  // dst.size() may over-count (a stale top_: dst's thieves only ever make
  // room), never under-count, so `room` is safe; clamp in case of a stale read.
  const std::size_t used = dst.size();
  const Index room = used < dst.capacity() ? static_cast<Index>(dst.capacity() - used) : 0;
  if (want > room) want = room;
  for (Index i = 0; i < want; ++i) {
    StealResult<T> next = steal();
    if (next.status != StealStatus::kSuccess) break;  // empty, or contended: stop early
    // dst is ours and had room when measured; only we push to it.
    const bool pushed = dst.push(next.item);
    assert(pushed);
    (void)pushed;
  }
  return first;
}

template <class T>
std::size_t ChaseLevDeque<T>::size() const noexcept {
  // relaxed: a snapshot; callers use it only as a hint (or when quiescent).
  const Index b = bottom_.load(relaxed);
  const Index t = top_.load(relaxed);
  return b > t ? static_cast<std::size_t>(b - t) : 0;
}

}  // namespace tact::detail
