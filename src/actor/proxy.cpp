// Proxy cells (include/tact/detail/proxy.hpp): the core's whole part of them.
// A proxy is marked once, before its ref is handed out (so the marks are
// read-only while shared, as `bounded`): CellBase::proxy, and the proxy bit of
// the cell's `gate`, which sends cell_deliver_reserved's one load down its slow
// path, which forwards here.
#include "actor/proxy.hpp"

#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"
#include "tact/exit_reason.hpp"
#include "tact/detail/proxy.hpp"

namespace tact::detail {

CellBase* proxy_activate(CellBase* base) noexcept {
  Cell* cell = Cell::from(base);
  // relaxed: the cell is not shared yet; handing out the ref publishes it.
  cell->refs.store(1, relaxed);
  cell->proxy = true;
  cell->gate.store(Cell::kProxy, relaxed);  // relaxed: as refs above
  return cell;
}

bool proxy_deliver(CellBase* base, Envelope* envelope) noexcept {
  auto* object = static_cast<ProxyObject*>(Cell::from(base)->object());
  return object->forward(object, base, envelope);
}

void proxy_watched(CellBase* base) noexcept {
  auto* object = static_cast<ProxyObject*>(Cell::from(base)->object());
  if (object->watched != nullptr) object->watched(object, base);
}

namespace {
StopReason stop_reason_of(ExitReason reason) noexcept {
  switch (reason) {
    case ExitReason::normal:
      return StopReason::kNormal;
    case ExitReason::failed:
      return StopReason::kFailed;
    case ExitReason::shutdown:
      return StopReason::kShutdown;
    case ExitReason::killed:
      break;
  }
  return StopReason::kKilled;
}
}  // namespace

void proxy_stop(CellBase* base, ExitReason reason, std::exception_ptr error) noexcept {
  Cell* cell = Cell::from(base);
  CellExtras* extras = nullptr;
  try {
    extras = &extras_or_make(cell);  // the ties live there (a watched proxy has them)
  } catch (...) {
    return;  // no memory: then nobody watched it (watching allocates them first)
  }
  // A proxy has no runner: the first caller plays its part. kill_reason (unused
  // by proxies otherwise) picks it. acq_rel: a loser's later reads of the cell
  // come after the winner's writes only through the stopped bit below.
  unsigned char none = 0;
  if (!cell->kill_reason.compare_exchange_strong(none, 1, acq_rel, relaxed)) return;
  cell->stop_reason = stop_reason_of(reason);
  if (reason == ExitReason::failed) extras->failure = std::move(error);
  // release: pairs with close_ties' acquire (the reason and failure are final).
  cell->gate.store(Cell::kProxy | Cell::kStopped, release);
  extras_on_stop(cell);  // watchers get their Down
}

void proxy_destroy_object(CellBase* base) noexcept {
  Cell* cell = Cell::from(base);
  cell->vtable->destroy(cell->object());
}

}  // namespace tact::detail
