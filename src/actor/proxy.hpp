// The library's side of proxy cells (include/tact/detail/proxy.hpp).
#pragma once

#include "tact/detail/cell.hpp"

namespace tact::detail {

// cell_deliver_reserved, for a cell with `proxy` set: the object's forward().
bool proxy_deliver(CellBase* cell, Envelope* envelope) noexcept;
// cell_free, for a proxy: its object goes with its memory (a proxy never stops).
void proxy_destroy_object(CellBase* cell) noexcept;
// tie_add, for a watch of a proxy: the object's watched(), if any.
void proxy_watched(CellBase* cell) noexcept;

}  // namespace tact::detail
