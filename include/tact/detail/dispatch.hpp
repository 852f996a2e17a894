// Static dispatch: which handle() overload an actor class has for a message
// type, what it returns, and how it is called. No virtual calls, no RTTI.
#pragma once

#include <type_traits>
#include <utility>

#include "tact/fwd.hpp"

namespace tact::detail {

template <class A, class M>
concept HandlesWithContext = requires(A& actor, M&& msg, Context<A>& ctx) {
  actor.handle(std::move(msg), ctx);
};

template <class A, class M>
concept HandlesWithoutContext = requires(A& actor, M&& msg) { actor.handle(std::move(msg)); };

template <class A, class M>
inline constexpr bool kHandles = HandlesWithContext<A, M> || HandlesWithoutContext<A, M>;

// Calls the handler; the overload taking the context wins when both exist.
template <class A, class M>
decltype(auto) invoke_handler(A& actor, M&& msg, Context<A>& ctx) {
  if constexpr (HandlesWithContext<A, M>) {
    return actor.handle(std::move(msg), ctx);
  } else {
    return actor.handle(std::move(msg));
  }
}

// What handle(M) returns, decayed.
template <class A, class M>
using HandlerReturn = std::decay_t<decltype(invoke_handler(
    std::declval<A&>(), std::declval<M&&>(), std::declval<Context<A>&>()))>;

// The reply type of ask(M): what handle(M) returns, or, for a coroutine handler
// (tact::Task<R>) or a delegating one (Delegated<R>), the R it answers with.
template <class T>
struct ReplyOf {
  using type = T;
};
template <class R>
struct ReplyOf<tact::Task<R>> {
  using type = R;
};
template <class R>
struct ReplyOf<Delegated<R>> {
  using type = R;
};
template <class A, class M>
using ReplyType = typename ReplyOf<HandlerReturn<A, M>>::type;

// Instantiated only for a message the actor cannot handle, so that the compiler's
// first error line names both: "In instantiation of 'struct
// tact::detail::actor_has_no_handler_for<Actor, Message>'".
template <class Actor, class Message>
struct actor_has_no_handler_for {
  static_assert(kHandles<Actor, Message>,
                "tact: the actor class has no handle() overload for this message type: add "
                "`R handle(Message)` or `R handle(Message, tact::Context<Actor>&)` to the actor "
                "(the actor and message types are named in the instantiation line above)");
};

// -- lifecycle hooks ---------------------------------------------------------------------------
template <class A>
concept HasOnStartWithContext = requires(A& actor, Context<A>& ctx) { actor.on_start(ctx); };
template <class A>
concept HasOnStart = HasOnStartWithContext<A> || requires(A& actor) { actor.on_start(); };
template <class A>
concept HasOnStopWithContext = requires(A& actor, Context<A>& ctx) { actor.on_stop(ctx); };
template <class A>
concept HasOnStop = HasOnStopWithContext<A> || requires(A& actor) { actor.on_stop(); };

}  // namespace tact::detail
