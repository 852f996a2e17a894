// co_await ref.send(msg): a tell that waits for room in a full bounded mailbox,
// suspending the sending coroutine (its actor parks) instead of dropping the
// message. On an unbounded mailbox, or with room, it never suspends.
#pragma once

#include <coroutine>
#include <exception>
#include <utility>

#include "tact/detail/cell.hpp"
#include "tact/detail/envelope.hpp"
#include "tact/task.hpp"

namespace tact::detail {

template <class A, class M>
class SendAwaiter {
 public:
  template <class U>
  SendAwaiter(CellBase* target, U&& msg) : target_(target), msg_(std::forward<U>(msg)) {
    cell_retain(target_);
  }
  SendAwaiter(const SendAwaiter&) = delete;
  SendAwaiter& operator=(const SendAwaiter&) = delete;
  ~SendAwaiter() {
    // Destroyed while registered: our actor was killed as it waited. A
    // registration the target already took is being woken: wait for that.
    if (registered_ && !cell_cancel_wait_for_room(target_, *waker_)) handler_await_wake(self_);
    cell_release(target_);
  }

  bool await_ready() { return attempt(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    self_ = awaiting_cell(handle);
    coroutine_ = handle.address();
    waker_ = &handler_waker(self_);
    return register_and_retry();
  }
  // Throws tact::ActorStopped if the target stopped before taking the message.
  void await_resume() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // One try. True when finished: sent, or failed (error_).
  bool attempt() {
    switch (cell_reserve(target_)) {
      case Reserve::kFull:
        return false;
      case Reserve::kStopped:
        error_ = error_actor_stopped();
        return done_ = true;
      case Reserve::kOk:
        break;
    }
    if (!deliver_reserved_new<TellEnvelope<A, M>>(target_, std::move(msg_))) {
      error_ = error_actor_stopped();
    }
    return done_ = true;
  }

  // Registers for room, then tries again (room may have come meanwhile).
  // True: the coroutine suspends (its actor parks until the wake).
  bool register_and_retry() {
    cell_wait_for_room(target_, *waker_);
    registered_ = true;
    if (attempt() && cell_cancel_wait_for_room(target_, *waker_)) {
      registered_ = false;
      return false;  // sent, and no wake is coming
    }
    // Not sent: wait. Or sent, but a wake is already on its way: take it first.
    handler_suspend(self_, &on_wake, this);
    return true;
  }

  static void on_wake(CellBase*, void* ctx, bool killed) noexcept {
    auto* self = static_cast<SendAwaiter*>(ctx);
    auto coroutine = std::coroutine_handle<>::from_address(self->coroutine_);
    if (killed) {
      coroutine.destroy();  // the destructor settles the registration
      return;
    }
    self->registered_ = false;  // woken: the target took our registration
    try {
      if (!self->done_ && !self->attempt() && self->register_and_retry()) return;  // parked again
    } catch (...) {
      self->error_ = std::current_exception();
    }
    coroutine.resume();
  }

  CellBase* target_;
  M msg_;
  CellBase* self_ = nullptr;
  void* coroutine_ = nullptr;
  Waker* waker_ = nullptr;
  std::exception_ptr error_;
  bool registered_ = false;
  bool done_ = false;
};

}  // namespace tact::detail
