#include "actor/supervision/ties.hpp"

#include <algorithm>
#include <utility>

#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"
#include "actor/names/name_registry.hpp"
#include "actor/proxy.hpp"
#include "actor/runtime_core.hpp"
#include "sync/mutex.hpp"

namespace tact::detail {
namespace {

ExitReason exit_reason_of(StopReason reason) noexcept {
  switch (reason) {
    case StopReason::kNormal:
      return ExitReason::normal;
    case StopReason::kFailed:
      return ExitReason::failed;
    case StopReason::kShutdown:
      return ExitReason::shutdown;
    case StopReason::kKilled:
      return ExitReason::killed;
  }
  return ExitReason::failed;
}

// Drops the ties whose peer has stopped: they would only be told into the void.
// Keeps a long-lived actor's list as short as its live watchers. Under the lock.
void prune_stopped_peers(Ties& ties) noexcept {
  std::size_t kept = 0;
  for (const Ties::Tie& tie : ties.ties) {
    // relaxed: a hint; a peer that stops right after is told in vain, no harm.
    if (Cell::from(tie.peer)->is_stopped(relaxed)) {
      cell_release(tie.peer);
    } else {
      ties.ties[kept++] = tie;
    }
  }
  ties.ties.resize(kept);
}

}  // namespace

Ties::~Ties() {
  for (const Tie& tie : ties) cell_release(tie.peer);
  for (const Listener& listener : listeners) listener.fn(listener.ctx, nullptr);
}

bool stopped_after_fence(const Cell& cell) noexcept {
  // seq_cst fence: orders our earlier store of the extras pointer (or of the
  // section's contents) before this load of the stopped bit; pairs with the fence in
  // extras_on_stop (see ties.hpp). relaxed load: the fence orders it; what
  // we then read of a stopped cell is ordered by the acquire in close_ties.
  fence_seq_cst();
  return cell.is_stopped(relaxed);
}

void close_ties(Cell& cell, Ties& ties) noexcept {
  // acquire: pairs with the release store of the stopped bit in runner_stop, which comes
  // after the stop reason and failure were written (they are final then).
  (void)cell.gate.load(acquire);
  std::vector<Ties::Tie> to_notify;
  std::vector<Ties::Listener> listeners;
  std::vector<std::string> names;
  StopInfo info{&cell, exit_reason_of(cell.stop_reason), nullptr};
  if (info.reason == ExitReason::failed) {
    info.error = extras_known(&cell).failure;  // these ties live in the extras
  }
  {
    std::lock_guard<::tact::detail::Mutex> lock(ties.mutex);
    if (ties.closed) return;
    ties.closed = true;
    ties.final_reason = info.reason;
    ties.final_error = info.error;
    to_notify.swap(ties.ties);
    names.swap(ties.names);
  }
  cell.runtime()->names().drop_names(cell, names);
  for (const Ties::Tie& tie : to_notify) {
    // A linked peer keeps a tie back to us: untie it, so a long-lived actor's
    // list does not fill with links to stopped actors.
    if (tie.kind == TieKind::kLink) (void)tie_remove(tie.peer, &cell, TieKind::kLink);
    tie.notify(tie.peer, info);
    cell_release(tie.peer);
  }
  // Last: whoever waits on ref.stopped() finds the Downs and Exits sent. A
  // listener added while the ties were being told waited in the list for this.
  {
    std::lock_guard<::tact::detail::Mutex> lock(ties.mutex);
    ties.told = true;
    listeners.swap(ties.listeners);
  }
  for (const Ties::Listener& listener : listeners) listener.fn(listener.ctx, &info);
}

bool tie_add(CellBase* target_base, CellBase* peer, TieKind kind, TieNotify notify) {
  // A watched proxy starts watching the actor it stands for (proxy.hpp); its
  // proxy_stop then reaches this tie (or finds it added after, and notifies here).
  if (target_base->proxy && kind == TieKind::kWatch) proxy_watched(target_base);
  Cell& target = *Cell::from(target_base);
  Ties& ties = extras_or_make(&target).ties;  // may allocate: before any lock
  StopInfo info{&target, ExitReason::normal, nullptr};
  {
    std::unique_lock<::tact::detail::Mutex> lock(ties.mutex);
    if (!ties.closed) {
      if (!stopped_after_fence(target)) {
        for (const Ties::Tie& tie : ties.ties) {
          if (tie.peer == peer && tie.kind == kind) return true;  // already tied
        }
        prune_stopped_peers(ties);
        ties.ties.push_back(Ties::Tie{peer, notify, kind});
        cell_retain(peer);  // after the push, which may throw
        return true;
      }
      // Stopped, but its runner has not closed the section (and may never: it
      // may have read the extras pointer before we allocated it). Close it here.
      lock.unlock();
      close_ties(target, ties);
      lock.lock();
    }
    info.reason = ties.final_reason;
    info.error = ties.final_error;
  }
  notify(peer, info);  // the target has stopped: told at once
  return false;
}

void cell_on_stop(CellBase* target_base, StopListenerFn fn, void* ctx) {
  // A proxy learns of its actor's stop only once watched (proxy.hpp).
  if (target_base->proxy) proxy_watched(target_base);
  Cell& target = *Cell::from(target_base);
  Ties& ties = extras_or_make(&target).ties;  // may allocate: before any lock
  StopInfo info{&target, ExitReason::normal, nullptr};
  {
    std::unique_lock<::tact::detail::Mutex> lock(ties.mutex);
    if (!ties.told) {
      if (!ties.closed && stopped_after_fence(target)) {  // as in tie_add
        lock.unlock();
        close_ties(target, ties);  // it tells the listeners list, not this one: not added
        lock.lock();
      }
      // Open, or another thread is telling the ties: it tells the listeners after.
      if (!ties.told) {
        ties.listeners.push_back(Ties::Listener{fn, ctx});
        return;
      }
    }
    info.reason = ties.final_reason;
    info.error = ties.final_error;
  }
  fn(ctx, &info);  // stopped already: told at once
}

bool tie_remove(CellBase* target_base, CellBase* peer, TieKind kind) noexcept {
  CellExtras* extras = extras_if_any(Cell::from(target_base));
  if (extras == nullptr) return false;
  Ties& ties = extras->ties;
  std::lock_guard<::tact::detail::Mutex> lock(ties.mutex);
  for (auto it = ties.ties.begin(); it != ties.ties.end(); ++it) {
    if (it->peer == peer && it->kind == kind) {
      cell_release(peer);  // not the last reference: the caller holds one
      ties.ties.erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace tact::detail
