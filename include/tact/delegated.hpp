// Delegated<R>: a handler that answers its ask later, from anywhere. It takes
// the ask's Promise from the context, hands it on, and returns:
//
//   tact::Delegated<std::int64_t> handle(Compute m, tact::Context<Front>& ctx) {
//     backend_.tell(Job{m.x, ctx.promise<std::int64_t>()});  // whoever holds it answers
//     return {};
//   }
//
// The asker sees a Reply<R> as for any handler returning R. If the handler
// returns without taking the promise, or the Promise is dropped unanswered, the
// ask resolves with tact::BrokenPromise. Sent with tell, the promise is still
// given; its answer goes nowhere.
#pragma once

#include <exception>

#include "tact/detail/reply_slot.hpp"
#include "tact/detail/runtime_abi.hpp"
#include "tact/errors.hpp"

namespace tact {

template <class R>
struct Delegated {};

namespace detail {

// The request whose handler runs on this thread now (set around a Delegated
// handler's call; a runner handles one message at a time).
struct CurrentRequest {
  enum class State : unsigned char { kNone, kAsk, kTell, kTaken };
  ReplySlotBase* slot = nullptr;
  const void* type = nullptr;  // &ReplyTypeTag<R>::id
  State state = State::kNone;
};

template <class R>
struct ReplyTypeTag {
  static constexpr char id = 0;  // its address names R
};

// Around a Delegated<R> handler's call: offers the slot to ctx.promise<R>().
template <class R>
class DelegationScope {
 public:
  explicit DelegationScope(ReplySlot<R>* slot) noexcept {
    CurrentRequest& request = handler_current_request();
    request.slot = slot;
    request.type = &ReplyTypeTag<R>::id;
    request.state = slot != nullptr ? CurrentRequest::State::kAsk : CurrentRequest::State::kTell;
  }
  DelegationScope(const DelegationScope&) = delete;
  DelegationScope& operator=(const DelegationScope&) = delete;
  ~DelegationScope() { handler_current_request() = CurrentRequest{}; }

  // True while the slot was not taken: the envelope still answers it.
  bool slot_still_ours() const noexcept {
    return handler_current_request().state == CurrentRequest::State::kAsk;
  }
};

template <class T>
struct IsDelegated : std::false_type {};
template <class R>
struct IsDelegated<Delegated<R>> : std::true_type {};

}  // namespace detail
}  // namespace tact
