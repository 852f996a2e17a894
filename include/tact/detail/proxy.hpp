// Proxy cells: an ActorRef<A> whose actor lives elsewhere (tact::nats). The ref
// is the same type as a local one; its cell is a proxy (CellBase::proxy), whose
// object is a ProxyObject. cell_deliver hands every envelope sent to it to
// forward(), on the sender's thread: no mailbox, no scheduling, no turn. The
// envelope's `fn` (one function per (actor, message) pair) tells forward() what
// the message is; forward() owns the envelope from then on (it encodes and frees
// it, or rejects and frees it).
#pragma once

#include "tact/detail/cell.hpp"
#include "tact/detail/envelope.hpp"
#include "tact/detail/runtime_abi.hpp"

namespace tact::detail {

struct ProxyObject {
  // Any thread. Takes the envelope (a message sent to the proxy's ref). Returns
  // what tell returns: false when the message is a dead letter.
  using Forward = bool (*)(ProxyObject* self, CellBase* cell, Envelope* envelope) noexcept;
  // Any thread, each time an actor watches the proxy (ctx.watch): the owner
  // starts watching the actor it stands for, and calls proxy_stop when it stops.
  using Watched = void (*)(ProxyObject* self, CellBase* cell) noexcept;
  explicit ProxyObject(Forward f, Watched w = nullptr) noexcept : forward(f), watched(w) {}
  Forward forward;
  Watched watched;
};

// An envelope forward() does not take (a stop, a kill, a message of a type the
// proxy cannot carry): rejected as if the actor had stopped (a dead letter; an
// ask resolves ActorStopped), then freed.
inline void proxy_reject(CellBase* cell, Envelope* envelope) noexcept {
  envelope->fn(envelope, cell, nullptr, EnvelopeOp::kReject);
  envelope->fn(envelope, nullptr, nullptr, EnvelopeOp::kFree);
}

}  // namespace tact::detail
