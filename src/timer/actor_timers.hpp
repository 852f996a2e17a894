// ActorTimers: the timers an actor started (ctx.send_after / send_every), so
// that they are cancelled when the actor stops. A section of CellExtras.
#pragma once

namespace tact::detail {

struct Cell;

struct ActorTimers {};

// The runner, while stopping the actor: cancels every timer it started.
inline void cancel_actor_timers(Cell& /*cell*/, ActorTimers& /*timers*/) noexcept {}

}  // namespace tact::detail
