// ref.stopped(): a Reply<Down> that resolves when the actor stops for good.
// The reply slot listens on the actor's ties (cell_on_stop), so it is told
// exactly once, whether it came before, during or after the stop.
#pragma once

#include <exception>

#include "tact/address.hpp"
#include "tact/detail/reply_slot.hpp"
#include "tact/detail/runtime_abi.hpp"
#include "tact/detail/ties.hpp"
#include "tact/down.hpp"
#include "tact/reply.hpp"

namespace tact::detail {

// The listener: answers the slot with the stop, as a watcher's Down would say
// it; without one (the cell went with no stop known), with ActorStopped.
inline void resolve_stop_waiter(void* ctx, const StopInfo* info) noexcept {
  auto* slot = static_cast<ReplySlot<Down>*>(ctx);
  if (info != nullptr) {
    slot->store_value(Down{AddressAccess::of(info->who), info->reason, info->error});
  } else {
    slot->store_error(error_actor_stopped());
  }
  slot->publish();
}

// Any thread holding a reference to `cell`.
inline Reply<Down> stop_waiter(CellBase* cell) {
  auto* slot = ReplySlot<Down>::create();
  Reply<Down> reply = ReplyAccess<Down>::adopt(slot);
  try {
    cell_on_stop(cell, &resolve_stop_waiter, slot);
  } catch (...) {
    // Not listening: the slot is answered here so the Reply can free it.
    slot->store_error(std::current_exception());
    slot->publish();
    throw;
  }
  return reply;
}

}  // namespace tact::detail
