// ctx.stash(msg): the message being handled goes aside, with its ask's reply
// slot (the ask stays pending), until ctx.unstash_all() puts the stashed ones
// back in front of the queued mail (src/actor/stash.hpp has the runner's side).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "tact/delegated.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/envelope.hpp"
#include "tact/detail/runtime_abi.hpp"
#include "tact/detail/stash_point.hpp"
#include "tact/errors.hpp"

namespace tact {

// How many messages an actor may hold stashed, unless its class says otherwise
// with `static constexpr std::size_t stash_capacity = N;`.
inline constexpr std::size_t kDefaultStashCapacity = 10'000;

namespace detail {

template <class A>
concept HasStashCapacity = requires { static_cast<std::size_t>(A::stash_capacity); };

template <class A>
constexpr std::size_t stash_capacity() noexcept {
  if constexpr (HasStashCapacity<A>) {
    return static_cast<std::size_t>(A::stash_capacity);
  } else {
    return kDefaultStashCapacity;
  }
}

// Stashes `msg`, the message being handled at `point` (see Context::stash).
template <class A, class Msg>
void stash_message(CellBase* cell, StashPoint* point, Msg&& msg) {
  using M = std::remove_cvref_t<Msg>;
  if (point == nullptr) {
    throw Error("tact: ctx.stash() is for a handler's own message: not in on_start/on_stop, nor "
                "in a coroutine handler after its first co_await");
  }
  if (point->message_type != &MessageTag<M>::id) {
    throw Error(point->message_type == nullptr
                    ? "tact: ctx.stash(): this message was stashed already"
                    : "tact: ctx.stash(msg): msg must be the message being handled (same type)");
  }
  // A Delegated<R> handler: the promise and the stash both answer the ask; one of them.
  CurrentRequest& request = handler_current_request();
  if (request.state == CurrentRequest::State::kTaken) {
    throw Error("tact: ctx.stash() after ctx.promise<R>(): the promise answers this ask");
  }
  handler_stash_room(cell, stash_capacity<A>());  // throws StashFull: nothing moved yet
  using R = ReplyType<A, M>;
  ReplySlot<R>*& answer = *static_cast<ReplySlot<R>**>(point->answer);
  Envelope* envelope;
  if (answer != nullptr) {
    envelope = new AskEnvelope<A, M, R>(answer, std::forward<Msg>(msg));
  } else {
    envelope = new TellEnvelope<A, M>(std::forward<Msg>(msg));
  }
  // Built: from here nothing throws. The ask is the stash's to answer now.
  answer = nullptr;
  point->message_type = nullptr;
  if (request.state != CurrentRequest::State::kNone) request.state = CurrentRequest::State::kTaken;
  handler_stash(cell, envelope);
}

}  // namespace detail
}  // namespace tact
