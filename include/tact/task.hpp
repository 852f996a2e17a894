// Task<R>: a coroutine handler. A handler returning tact::Task<R> may co_await
// other actors' replies without blocking its worker thread; its ask is answered
// with what it co_returns, when it finishes.
//
//   tact::Task<std::int64_t> handle(Sum, tact::Context<Parent>& ctx) {
//     auto child = ctx.spawn<Counter>();
//     std::int64_t a = co_await child.ask(Inc{1});   // the actor waits, the worker does not
//     co_return a + 1;
//   }
//
// While it is suspended, the actor handles nothing else: its mailbox waits (as
// kameo's). `co_await tact::interleaved(ref.ask(m))` lets other messages be
// handled meanwhile (as CAF's then); the coroutine resumes through the mailbox,
// so the actor still never runs on two threads. Either way the coroutine
// resumes on the actor's worker, and an awaited reply's error (ActorStopped,
// HandlerFailed, ...) is thrown from the co_await.
//
// Rules a coroutine handler keeps:
//   - take the message by value: the envelope holding it is gone after the
//     first suspension (the context reference stays valid: it is the actor's);
//   - g++ 12 miscompiles a braced aggregate temporary with a std::string (or
//     other self-referencing) member inside a co_await expression, as in
//     `co_await ref.ask(Msg{"text"})`: the temporary is copied bitwise (seen by
//     asio #1073 and seastar #1677 too). Build the message first — `Msg m{"text"};
//     co_await ref.ask(std::move(m));` — or give it a constructor;
//   - an exception escaping it fails the actor, like any handler's, and
//     answers its ask with tact::HandlerFailed;
//   - if the actor is killed (or the runtime shuts down) while it is
//     suspended, the coroutine is destroyed where it waits (its locals'
//     destructors run) and its ask resolves with tact::ActorStopped.
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "tact/detail/cell.hpp"
#include "tact/detail/pool.hpp"
#include "tact/detail/reply_slot.hpp"
#include "tact/detail/runtime_abi.hpp"
#include "tact/detail/stash_point.hpp"
#include "tact/errors.hpp"
#include "tact/reply.hpp"

namespace tact {

template <class R = void>
class Task;

namespace detail {

// Every handler coroutine's promise: awaiters find their actor through it.
struct TaskPromiseBase {
  CellBase* cell = nullptr;
  std::exception_ptr failure;  // what escaped the body
};

// The reply half: where co_return's value goes (nullptr for a tell).
template <class R>
struct TaskReturn : TaskPromiseBase {
  ReplySlot<R>* reply = nullptr;
  template <class V = R>
  void return_value(V&& value) {
    if (reply != nullptr) reply->store_value(std::forward<V>(value));
  }
};
template <>
struct TaskReturn<void> : TaskPromiseBase {
  ReplySlot<void>* reply = nullptr;
  void return_void() {
    if (reply != nullptr) reply->store_value();
  }
};

// At the end of the body: answer the ask (or fail the actor), then free the frame.
struct TaskFinish {
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> handle) const noexcept {
    P& promise = handle.promise();
    if (promise.failure) {
      if (promise.reply != nullptr) promise.reply->store_error(error_handler_failed(promise.failure));
      handler_fail(promise.cell, std::move(promise.failure));
    }
    if (auto* reply = std::exchange(promise.reply, nullptr)) reply->publish();
    handle.destroy();
  }
  void await_resume() const noexcept {}
};

// PoolAllocated: the coroutine's frame comes from the block pool (frames of up
// to 512 bytes; larger ones from operator new), as envelopes do, not from malloc.
template <class R>
struct TaskPromise final : TaskReturn<R>, PoolAllocated {
  TaskPromise() = default;
  TaskPromise(const TaskPromise&) = delete;
  TaskPromise& operator=(const TaskPromise&) = delete;
  // Destroyed before it finished (the actor was killed while it waited): the
  // ask still resolves, exactly once.
  ~TaskPromise() {
    if (auto* pending = std::exchange(this->reply, nullptr)) {
      pending->store_error(error_actor_stopped());
      pending->publish();
    }
  }

  tact::Task<R> get_return_object() noexcept {
    return tact::Task<R>(std::coroutine_handle<TaskPromise>::from_promise(*this));
  }
  // Lazy: the runtime sets the actor and the reply before the body runs.
  std::suspend_always initial_suspend() const noexcept { return {}; }
  TaskFinish final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { this->failure = std::current_exception(); }
};

// The runner resumes (or, killed, drops) a coroutine that awaited without interleaving.
inline void resume_coroutine(CellBase* /*cell*/, void* coroutine, bool killed) noexcept {
  auto handle = std::coroutine_handle<>::from_address(coroutine);
  if (killed) {
    handle.destroy();
  } else {
    handle.resume();
  }
}


template <class R>
struct TaskAccess;

template <class P>
CellBase* awaiting_cell(std::coroutine_handle<P> handle) noexcept {
  static_assert(std::is_base_of_v<TaskPromiseBase, P>,
                "tact: replies and sends are awaitable inside a coroutine handler that returns "
                "tact::Task<R>");
  return handle.promise().cell;
}

// co_await on a Reply<R>: the actor parks (its mailbox waits) until the reply comes.
template <class R>
class ReplyAwaiter {
 public:
  explicit ReplyAwaiter(Reply<R>&& reply) noexcept : reply_(std::move(reply)) {}
  ReplyAwaiter(const ReplyAwaiter&) = delete;
  ReplyAwaiter& operator=(const ReplyAwaiter&) = delete;
  ~ReplyAwaiter() {
    // Destroyed while registered: the actor was killed as it waited. If the
    // reply got in before we took the registration back, its wake is on the
    // way: wait for it before the slot (and the actor) can go.
    if (registered_ && ReplyAccess<R>::slot(reply_)->withdraw_waker()) handler_await_wake(cell_);
  }

  bool await_ready() const {
    if (!reply_.valid()) throw InvalidReply();
    return reply_.ready();
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    if (!register_waker(handle)) return false;  // it came meanwhile
    handler_suspend(cell_, &resume_coroutine, handle.address());
    return true;
  }
  R await_resume() {
    registered_ = false;
    return ReplyAccess<R>::consume(reply_);
  }

 protected:
  // The actor's waker on the reply's slot; false if the reply is already there.
  template <class P>
  bool register_waker(std::coroutine_handle<P> handle) {
    cell_ = awaiting_cell(handle);
    waker_ = &handler_waker(cell_);
    if (!ReplyAccess<R>::slot(reply_)->register_waker(*waker_)) return false;
    registered_ = true;
    return true;
  }

  Reply<R> reply_;
  CellBase* cell_ = nullptr;
  Waker* waker_ = nullptr;
  bool registered_ = false;  // our waker is on the slot (cleared by whoever takes it off)
};

// co_await tact::interleaved(reply): other messages are handled while it waits.
template <class R>
class InterleavedReplyAwaiter {
 public:
  explicit InterleavedReplyAwaiter(Reply<R>&& reply) noexcept : reply_(std::move(reply)) {}
  InterleavedReplyAwaiter(const InterleavedReplyAwaiter&) = delete;
  InterleavedReplyAwaiter& operator=(const InterleavedReplyAwaiter&) = delete;

  bool await_ready() const {
    if (!reply_.valid()) throw InvalidReply();
    return reply_.ready();
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    return handler_await_interleaved(awaiting_cell(handle), ReplyAccess<R>::slot(reply_),
                                  handle.address(), &registered_);
  }
  R await_resume() { return ReplyAccess<R>::consume(reply_); }

 private:
  Reply<R> reply_;
  bool registered_ = false;  // cleared by the runtime when it resumes or drops us
};

}  // namespace detail

template <class R>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<R>;

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Task& operator=(Task&&) = delete;
  Task(const Task&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();  // never started
  }

 private:
  friend promise_type;
  template <class>
  friend struct detail::TaskAccess;
  explicit Task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}

  std::coroutine_handle<promise_type> handle_;
};

// The opt-in to interleaving: `co_await tact::interleaved(ref.ask(m))`.
template <class R>
struct Interleaved {
  Reply<R> reply;
  detail::InterleavedReplyAwaiter<R> operator co_await() && noexcept {
    return detail::InterleavedReplyAwaiter<R>(std::move(reply));
  }
};
template <class R>
Interleaved<R> interleaved(Reply<R>&& reply) noexcept {
  return Interleaved<R>{std::move(reply)};
}

namespace detail {

template <class R>
struct TaskAccess {
  // Runs a handler's coroutine for the actor in `cell`, answering `reply`
  // (nullptr: a tell) when it finishes. Returns once it finished or suspended.
  // Until it first suspends, ctx.stash() may take `reply` from the promise
  // (`stash`, stash_point.hpp); what the coroutine answers then goes nowhere.
  static void start(tact::Task<R>&& task, CellBase* cell, ReplySlot<R>* reply,
                    StashPoint* stash) noexcept {
    auto handle = std::exchange(task.handle_, nullptr);
    handle.promise().cell = cell;
    handle.promise().reply = reply;
    stash->answer = &handle.promise().reply;
    handle.resume();
  }
};

template <class T>
struct IsTask : std::false_type {};
template <class R>
struct IsTask<tact::Task<R>> : std::true_type {
  using Result = R;
};

}  // namespace detail

// co_await on a Reply<R> inside a Task handler (an rvalue: the Reply is consumed).
template <class R>
detail::ReplyAwaiter<R> operator co_await(Reply<R>&& reply) noexcept {
  return detail::ReplyAwaiter<R>(std::move(reply));
}

}  // namespace tact
