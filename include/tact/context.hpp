// Context<A>: what a handler of actor A may do besides computing its reply.
// Handlers receive it by declaring a second parameter: handle(Msg, Context<A>&).
// Valid only during the call it was passed to (and in on_start/on_stop).
#pragma once

#include <utility>

#include "tact/actor_ref.hpp"
#include "tact/detail/cell.hpp"

namespace tact {

namespace detail {
template <class A, class... Args>
ActorRef<A> spawn_actor(RuntimeCore* runtime, Args&&... args);
}  // namespace detail

template <class A>
class Context {
 public:
  explicit Context(detail::CellBase* cell) noexcept : cell_(cell) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // A reference to this actor (to hand to others, or to message itself).
  ActorRef<A> self() const noexcept {
    detail::cell_retain(cell_);
    return detail::RefAccess<A>::adopt(cell_);
  }

  // Spawns a new actor in this actor's runtime.
  template <class B, class... Args>
  ActorRef<B> spawn(Args&&... args) const {
    return detail::spawn_actor<B>(detail::cell_runtime(cell_), std::forward<Args>(args)...);
  }

  // Stops this actor once the current handler returns: on_stop runs, the object
  // is destroyed, and messages still queued become dead letters (their asks
  // resolve with tact::ActorStopped).
  void stop() const noexcept { detail::cell_request_stop(cell_); }

 private:
  detail::CellBase* cell_;
};

}  // namespace tact

#include "tact/detail/spawn.hpp"
