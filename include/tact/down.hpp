// tact::Down: the message a watcher receives, once, when an actor it watches
// (ctx.watch(ref)) stops for good. A supervised child that is restarted in
// place keeps running at the same address: no Down for a restart.
//
//   class Monitor {
//    public:
//     void handle(tact::Down down) {
//       if (down.reason == tact::ExitReason::failed) log(down.who, down.error);
//     }
//   };
#pragma once

#include <exception>

#include "tact/address.hpp"
#include "tact/exit_reason.hpp"

namespace tact {

struct Down {
  ActorAddress who;           // the actor that stopped (compare with its ActorRef)
  ExitReason reason;          // why
  std::exception_ptr error;   // what it threw, for ExitReason::failed; else null
};

}  // namespace tact
