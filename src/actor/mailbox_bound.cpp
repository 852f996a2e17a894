#include "actor/mailbox_bound.hpp"

#include <algorithm>

#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"
#include "actor/runtime_core.hpp"
#include "sync/mutex.hpp"

namespace tact::detail {
namespace {

MailboxBound& bound_of(CellBase* cell) noexcept {
  return extras_known(Cell::from(cell)).bound;  // made at spawn, before publication
}

}  // namespace

Reserve cell_reserve_bounded(CellBase* base) noexcept {
  MailboxBound& b = bound_of(base);
  // seq_cst (loads and CAS): the waiter's half of the protocol in
  // mailbox_bound.hpp. A CAS, not fetch_add-then-undo: a transient overshoot
  // could make a waiter's retry fail while there is room, and nobody would wake it.
  std::uint32_t queued = b.queued.load(seq_cst);
  while (queued < b.bound) {
    if (b.queued.compare_exchange_weak(queued, queued + 1, seq_cst, seq_cst)) return Reserve::kOk;
  }
  // acquire: pairs with runner_stop's release store; a stopped actor never makes room.
  return Cell::from(base)->is_stopped(acquire) ? Reserve::kStopped : Reserve::kFull;
}

void cell_unreserve(CellBase* base) noexcept {
  if (base->bounded) mailbox_uncount(Cell::from(base));
}

void mailbox_count_system(Cell* cell) noexcept {
  // relaxed: a system message is never refused, so nothing is decided here; the
  // runner's uncount (seq_cst) is what waiters synchronise with.
  bound_of(cell).queued.fetch_add(1, relaxed);
}

void mailbox_uncount(Cell* cell) noexcept {
  MailboxBound& b = bound_of(cell);
  // seq_cst both: the runner's half of the protocol in mailbox_bound.hpp.
  b.queued.fetch_sub(1, seq_cst);
  if (b.has_waiters.load(seq_cst)) wake_room_waiters(b);
}

void wake_room_waiters(MailboxBound& b) noexcept {
  std::vector<Waker*> woken;
  {
    std::lock_guard<::tact::detail::Mutex> lock(b.mutex);
    woken.swap(b.waiters);
    b.has_waiters.store(false, seq_cst);  // under the lock: registrations set it again
  }
  // Each waiter tries again; the ones that lose register again.
  for (Waker* waker : woken) waker->wake();
}

void cell_count_refused(CellBase* base) noexcept {
  Cell* cell = Cell::from(base);
  cell->runtime()->count_refused(cell->vtable);
}

void cell_wait_for_room(CellBase* base, Waker& waker) {
  MailboxBound& b = bound_of(base);
  std::lock_guard<::tact::detail::Mutex> lock(b.mutex);
  b.waiters.push_back(&waker);
  b.has_waiters.store(true, seq_cst);
}

bool cell_cancel_wait_for_room(CellBase* base, Waker& waker) noexcept {
  MailboxBound& b = bound_of(base);
  std::lock_guard<::tact::detail::Mutex> lock(b.mutex);
  auto it = std::find(b.waiters.begin(), b.waiters.end(), &waker);
  if (it == b.waiters.end()) return false;  // taken by a wake: it is on its way
  b.waiters.erase(it);
  if (b.waiters.empty()) b.has_waiters.store(false, seq_cst);
  return true;
}

}  // namespace tact::detail
