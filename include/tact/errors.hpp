// The errors an ask can resolve with. Reply<R>::get() throws them; then()
// continuations receive them inside an Outcome<R>.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

namespace tact {

// Base of every tact error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The target actor had stopped (or stopped before handling the request).
class ActorStopped : public Error {
 public:
  ActorStopped() : Error("tact: the actor is stopped") {}
  using Error::Error;
};

// No reply arrived before the deadline.
class Timeout : public Error {
 public:
  Timeout() : Error("tact: timed out waiting for the reply") {}
  using Error::Error;
};

// The target's bounded mailbox was full: the request was refused, not queued.
class MailboxFull : public Error {
 public:
  MailboxFull() : Error("tact: the actor's mailbox is full (bounded mailbox)") {}
};

// The replier was destroyed without replying.
class BrokenPromise : public Error {
 public:
  BrokenPromise() : Error("tact: the reply was dropped unanswered (broken promise)") {}
  using Error::Error;
};

// The handler threw; the original exception is carried along.
class HandlerFailed : public Error {
 public:
  explicit HandlerFailed(std::exception_ptr cause)
      : Error("tact: the handler threw: " + describe(cause)), cause_(std::move(cause)) {}
  const std::exception_ptr& cause() const noexcept { return cause_; }
  [[noreturn]] void rethrow_cause() const { std::rethrow_exception(cause_); }

 private:
  static std::string describe(const std::exception_ptr& cause);
  std::exception_ptr cause_;
};

// A call that would block a runtime worker thread (for example Reply::get() inside
// a handler, which deadlocks a one-worker runtime). Use co_await or then() there.
class WouldBlockWorker : public Error {
 public:
  WouldBlockWorker()
      : Error("tact: blocking get() called on a runtime worker thread; "
              "use co_await or then() inside actors") {}
};

// ctx.stash() past the actor's stash capacity (A::stash_capacity, else
// tact::kDefaultStashCapacity): the message was not stashed; uncaught, the
// handler fails as for any exception (docs/guide.md, "Stash").
class StashFull : public Error {
 public:
  StashFull() : Error("tact: the actor's stash is full (stash_capacity)") {}
};

// A reply handle used after it was consumed or moved from.
class InvalidReply : public Error {
 public:
  InvalidReply() : Error("tact: this Reply was already consumed or moved from") {}
};

}  // namespace tact
