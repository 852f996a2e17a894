// handle_message: runs one handler for one message and routes its result to
// the ask's reply slot — now (a plain return value), when a coroutine finishes
// (Task<R>), or through whoever holds the Promise (Delegated<R>).
#pragma once

#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "tact/delegated.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/reply_slot.hpp"
#include "tact/detail/stash_point.hpp"
#include "tact/errors.hpp"
#include "tact/task.hpp"

namespace tact::detail {

// A coroutine handler's context: it must outlive the envelope's call.
template <class A>
Context<A>& stable_context(CellBase* cell, StashPoint* stash) {
  static_assert(sizeof(Context<A>) <= kContextStorageSize &&
                std::is_trivially_destructible_v<Context<A>>);
  return *::new (handler_context_storage(cell)) Context<A>(cell, stash);
}

// Runs a handler of actor A — `call(std::move(msg), ctx)` — and answers
// `slot` (nullptr: a tell) — now, or
// later for a coroutine (when it finishes) or a delegating handler (whoever
// holds the Promise). Returns true if the caller must publish `slot` (after
// destroying the message, so its destructor runs before the asker wakes).
// Never throws: a handler's exception fails the actor and answers HandlerFailed.
template <class A, class M, class R, class Call>
bool handle_message(CellBase* cell, M& msg, ReplySlot<R>* slot, Call&& call) noexcept {
  using Ret = std::decay_t<std::invoke_result_t<Call&, M&&, Context<A>&>>;
  // ctx.stash() takes the slot from `answer` (stash_point.hpp): a stashed ask is
  // answered later, by its replay, not here.
  ReplySlot<R>* answer = slot;
  StashPoint point{&MessageTag<M>::id, &answer};
  if constexpr (IsTask<Ret>::value) {
    try {
      Context<A>& ctx = stable_context<A>(cell, &point);
      tact::Task<R> task = call(std::move(msg), ctx);
      TaskAccess<R>::start(std::move(task), cell, slot, &point);  // the task answers
      // Past its first suspension the coroutine can no longer stash (the point
      // is this frame's). The context is the actor's: still ours here.
      ContextAccess::forget_stash(ctx);
      return false;
    } catch (...) {  // the frame could not be allocated
      std::exception_ptr error = std::current_exception();
      if (slot != nullptr) slot->store_error(error_handler_failed(error));
      handler_fail(cell, std::move(error));
      return slot != nullptr;
    }
  } else if constexpr (IsDelegated<Ret>::value) {
    DelegationScope<R> scope(slot);
    try {
      Context<A> ctx(cell, &point);
      (void)call(std::move(msg), ctx);
      if (!scope.slot_still_ours()) return false;  // the Promise (or the stash) answers
      if (slot != nullptr) slot->store_error(std::make_exception_ptr(BrokenPromise()));
    } catch (...) {
      std::exception_ptr error = std::current_exception();
      if (slot != nullptr && scope.slot_still_ours()) slot->store_error(error_handler_failed(error));
      handler_fail(cell, std::move(error));
      if (!scope.slot_still_ours()) return false;
    }
    return slot != nullptr;
  } else {
    try {
      Context<A> ctx(cell, &point);
      if constexpr (std::is_void_v<R>) {
        call(std::move(msg), ctx);
        if (answer != nullptr) answer->store_value();
      } else if (slot != nullptr) {
        R value = call(std::move(msg), ctx);
        if (answer != nullptr) answer->store_value(std::move(value));
      } else {
        (void)call(std::move(msg), ctx);
      }
    } catch (...) {
      std::exception_ptr error = std::current_exception();
      if (answer != nullptr) answer->store_error(error_handler_failed(error));
      handler_fail(cell, std::move(error));
    }
    return answer != nullptr;
  }
}

}  // namespace tact::detail
