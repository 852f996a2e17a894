// Proxy cells (include/tact/detail/proxy.hpp): the core's whole part of them.
// A proxy is marked once, before its ref is handed out (so the flag is read-only
// while shared, as `bounded`); cell_deliver_reserved checks it before touching
// the mailbox and forwards here.
#include "actor/proxy.hpp"

#include "actor/cell.hpp"
#include "tact/detail/proxy.hpp"

namespace tact::detail {

CellBase* proxy_activate(CellBase* base) noexcept {
  Cell* cell = Cell::from(base);
  // relaxed: the cell is not shared yet; handing out the ref publishes it.
  cell->refs.store(1, relaxed);
  cell->proxy = true;
  return cell;
}

bool proxy_deliver(CellBase* base, Envelope* envelope) noexcept {
  auto* object = static_cast<ProxyObject*>(Cell::from(base)->object());
  return object->forward(object, base, envelope);
}

void proxy_destroy_object(CellBase* base) noexcept {
  Cell* cell = Cell::from(base);
  cell->vtable->destroy(cell->object());
}

}  // namespace tact::detail
