// Ties: who hears of an actor's stop. A watcher (ctx.watch), a linked actor
// (ctx.link), a supervisor: each adds a tie to the target's cell; when the
// target stops for good, every tie is notified once (src/actor/supervision/ties.hpp
// holds the protocol). The templates here build the typed notifications.
#pragma once

#include <exception>
#include <utility>

#include "tact/address.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/envelope.hpp"
#include "tact/detail/runtime_abi.hpp"
#include "tact/down.hpp"
#include "tact/exit.hpp"

namespace tact::detail {

// What a tie hears when its target stops.
struct StopInfo {
  CellBase* who;
  ExitReason reason;
  std::exception_ptr error;
};

// TieNotify (runtime_abi.hpp) is what a tie runs when its target stops.

enum class TieKind : unsigned char {
  kWatch,       // peer watches the target: Down
  kLink,        // peer is linked to the target: Exit or a linked exit
  kSupervisor,  // peer supervises the target: it forgets the child
};


// A system message: queued in the receiver's system lane, ahead of its user
// mail; never refused by a mailbox bound and not counted as a dead letter when
// the receiver has stopped (it is dropped).
// It is a TellEnvelope whose reject step only destroys the payload.
template <class A, class M>
struct SystemEnvelope {
  static Envelope* make(M msg) {
    auto* envelope = new TellEnvelope<A, M>(std::move(msg));
    envelope->fn = &run;
    return envelope;
  }
  static void run(Envelope* base, CellBase* cell, void* object, EnvelopeOp op) noexcept {
    if (op == EnvelopeOp::kReject) {
      static_cast<TellEnvelope<A, M>*>(base)->payload.msg.~M();
      return;
    }
    TellEnvelope<A, M>::run(base, cell, object, op);
  }
};

template <class A, class M>
void deliver_system(CellBase* to, M msg) noexcept {
  (void)cell_deliver_system(to, SystemEnvelope<A, M>::make(std::move(msg)));
}

// A watcher of class W hears: a Down.
template <class W>
void notify_down(CellBase* watcher, const StopInfo& info) noexcept {
  deliver_system<W>(watcher, Down{AddressAccess::of(info.who), info.reason, info.error});
}


// A linked actor of class B hears: an Exit if it traps exits (has handle(Exit)),
// else a linked exit for an abnormal stop, else nothing.
template <class B>
void notify_linked(CellBase* peer, const StopInfo& info) noexcept {
  if constexpr (kHandles<B, Exit>) {
    deliver_system<B>(peer, Exit{AddressAccess::of(info.who), info.reason, info.error});
  } else if (is_abnormal(info.reason)) {
    cell_deliver_linked_exit(peer, info);
  }
}

}  // namespace tact::detail
