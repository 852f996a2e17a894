// Context<A>: what a handler of actor A may do besides computing its reply.
// Handlers receive it by declaring a second parameter: handle(Msg, Context<A>&).
// Valid only during the call it was passed to (and in on_start/on_stop).
#pragma once

#include <chrono>
#include <cstddef>
#include <type_traits>
#include <optional>
#include <string_view>
#include <utility>

#include "tact/actor_ref.hpp"
#include "tact/address.hpp"
#include "tact/behaviour.hpp"
#include "tact/delegated.hpp"
#include "tact/detail/blocking_job.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/registry.hpp"
#include "tact/detail/stash.hpp"
#include "tact/detail/stash_point.hpp"
#include "tact/detail/ties.hpp"
#include "tact/detail/timed_send.hpp"
#include "tact/errors.hpp"
#include "tact/reply.hpp"
#include "tact/timer.hpp"

namespace tact {

namespace detail {
template <class A, class... Args>
ActorRef<A> spawn_actor(RuntimeCore* runtime, Args&&... args);
template <class A, class... Args>
ActorRef<A> spawn_detached_actor(RuntimeCore* home, Args&&... args);
template <class A, class... Args>
ActorRef<A> spawn_metered_actor(RuntimeCore* runtime, std::string_view actor_name, Args&&... args);
}  // namespace detail

template <class A>
class Context {
 public:
  explicit Context(detail::CellBase* cell) noexcept : cell_(cell) {}
  // In a handler: `stash` is the message being handled (stash_point.hpp).
  Context(detail::CellBase* cell, detail::StashPoint* stash) noexcept : cell_(cell), stash_(stash) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // A reference to this actor (to hand to others, or to message itself).
  ActorRef<A> self() const noexcept {
    detail::cell_retain(cell_);
    return detail::RefAccess<A>::adopt(cell_);
  }

  // Spawns a new actor in this actor's runtime (a detached actor's: on the
  // runtime's workers, not on its own thread).
  template <class B, class... Args>
  ActorRef<B> spawn(Args&&... args) const {
    return detail::spawn_actor<B>(detail::cell_spawn_runtime(cell_), std::forward<Args>(args)...);
  }
  // As Runtime::spawn_metered: B's metrics also kept under `actor_name`.
  template <class B, class... Args>
  ActorRef<B> spawn_metered(std::string_view actor_name, Args&&... args) const {
    return detail::spawn_metered_actor<B>(detail::cell_spawn_runtime(cell_), actor_name,
                                          std::forward<Args>(args)...);
  }
  // As Runtime::spawn_detached: B on a thread of its own.
  template <class B, class... Args>
  ActorRef<B> spawn_detached(Args&&... args) const {
    return detail::spawn_detached_actor<B>(detail::cell_spawn_runtime(cell_), std::forward<Args>(args)...);
  }

  // Stops this actor once the current handler returns: on_stop runs, the object
  // is destroyed, and messages still queued become dead letters (their asks
  // resolve with tact::ActorStopped).
  void stop() const noexcept { detail::handler_stop(cell_); }

  // From the next message on, handle messages with `behaviour`'s handlers where
  // it has one (A's own handle() overloads for the rest). See tact/behaviour.hpp.
  void become(Behaviour<A> behaviour) const {
    detail::handler_become(cell_, std::move(behaviour.table_));
  }
  // Back to A's own handlers, from the next message on.
  void unbecome() const { detail::handler_become(cell_, detail::BehaviourTable{}); }

  // -- the stash (docs/guide.md, "Stash") ---------------------------------------------------
  // Keeps the message being handled for later: pass it back, moved
  // (`ctx.stash(std::move(msg))`; the handler has it by value). For an ask, its
  // reply stays pending: what this handler returns answers nobody, the stashed
  // message's later handling does. Throws tact::StashFull at the class's
  // stash_capacity (default tact::kDefaultStashCapacity), and tact::Error for
  // another message than the one being handled, a second stash of it, after
  // ctx.promise<R>(), in on_start/on_stop, or in a coroutine handler after its
  // first co_await. A stashed message no longer counts against a mailbox bound.
  template <class M>
  void stash(M&& msg) const {
    static_assert(!std::is_lvalue_reference_v<M>,
                  "tact: ctx.stash(msg) takes the message by move: ctx.stash(std::move(msg))");
    detail::stash_message<A>(cell_, stash_, std::move(msg));
  }
  // Puts every stashed message back in front of the mailbox's queued mail, in
  // the order they were stashed: they are handled next, once this handler
  // returns (before anything else queued, with the behaviour in force then).
  void unstash_all() const noexcept { detail::handler_unstash_all(cell_); }
  // How many messages are stashed now.
  std::size_t stashed() const noexcept { return detail::handler_stash_size(cell_); }

  // In a handler returning tact::Delegated<R>: the Promise that answers this
  // ask; hand it to whoever will answer (see tact/delegated.hpp). Once per
  // message. Throws tact::Error elsewhere, twice, or for a different R.
  template <class R>
  Promise<R> promise() const {
    detail::CurrentRequest& request = detail::handler_current_request();
    using State = detail::CurrentRequest::State;
    if (request.state == State::kNone) {
      throw Error("tact: ctx.promise<R>() is for handlers returning tact::Delegated<R>");
    }
    if (request.type != &detail::ReplyTypeTag<R>::id) {
      throw Error("tact: ctx.promise<R>(): R differs from the handler's tact::Delegated<R>");
    }
    if (request.state == State::kTaken) throw Error("tact: ctx.promise<R>() taken twice for one message");
    const bool asked = request.state == State::kAsk;
    request.state = State::kTaken;
    if (!asked) return Promise<R>::make().first;  // a tell: nobody waits for the answer
    return detail::PromiseAccess<R>::adopt(static_cast<detail::ReplySlot<R>*>(request.slot));
  }

  // Runs `f()` on the runtime's blocking pool (Config::blocking_threads threads,
  // not the workers) and returns the Reply<R> of its result, R being what f
  // returns: `co_await` it in a coroutine handler, or .then(...) it. An
  // exception f throws is the Reply's error, as is. A full pool queue answers
  // tact::MailboxFull; a job still queued at shutdown, tact::ActorStopped.
  // f runs on another thread, perhaps after this actor stopped: capture what
  // it needs by value, never the actor's own state (docs/blocking.md).
  template <class F>
  auto blocking(F&& f) const {
    return detail::submit_blocking(detail::cell_runtime(cell_), std::forward<F>(f));
  }

  // Delivers `msg` to `target` (any actor; checked at compile time like tell)
  // once, `delay` from now (never earlier; see docs/timers.md). Cancelled when
  // this actor stops, unless it fired before. Dropping the handle does not cancel.
  template <class B, class M, class Rep, class Period>
  TimerHandle send_after(std::chrono::duration<Rep, Period> delay, const ActorRef<B>& target,
                         M&& msg) const {
    return detail::send_timed(detail::cell_runtime(cell_), cell_, detail::to_timer_duration(delay),
                              detail::TimerClock::duration::zero(), target, std::forward<M>(msg));
  }

  // Delivers a copy of `msg` to `target` every `period` (> 0), the first one
  // period from now, until cancelled, this actor stops, or the target stops.
  // Deadlines do not drift (each is the previous one plus `period`); when the
  // timer thread falls behind by several periods, one delivery is made and the
  // missed ones are skipped.
  template <class B, class M, class Rep, class Period>
  TimerHandle send_every(std::chrono::duration<Rep, Period> period, const ActorRef<B>& target,
                         M&& msg) const {
    return detail::send_every_checked(detail::cell_runtime(cell_), cell_, period, target,
                                      std::forward<M>(msg));
  }

  // -- watches and links (tact/down.hpp, tact/exit.hpp) -------------------------------------
  // When `who` stops for good, this actor receives one tact::Down (at once if it
  // already has). Watching twice is watching once. Throws tact::Error on an empty ref.
  void watch(const ActorAddress& who) const {
    if constexpr (!detail::kHandles<A, Down>) {
      static_assert(detail::kHandles<A, Down>,
                    "tact: ctx.watch(ref) delivers a tact::Down message: the watching actor "
                    "needs `void handle(tact::Down)` (or handle(tact::Down, tact::Context<A>&))");
    } else {
      (void)detail::tie_add(checked(who), cell_, detail::TieKind::kWatch, &detail::notify_down<A>);
    }
  }
  // No Down from `who` after this (one already queued still arrives).
  void unwatch(const ActorAddress& who) const {
    (void)detail::tie_remove(checked(who), cell_, detail::TieKind::kWatch);
  }
  // Shares fate with `other` (tact/exit.hpp: who stops whom, trapping exits).
  template <class B>
  void link(const ActorRef<B>& other) const {
    detail::CellBase* peer = checked(other.address());
    if (peer == cell_) return;
    if (detail::tie_add(peer, cell_, detail::TieKind::kLink, &detail::notify_linked<A>)) {
      (void)detail::tie_add(cell_, peer, detail::TieKind::kLink, &detail::notify_linked<B>);
    }
  }
  void unlink(const ActorAddress& other) const {
    detail::CellBase* peer = checked(other);
    (void)detail::tie_remove(peer, cell_, detail::TieKind::kLink);
    (void)detail::tie_remove(cell_, peer, detail::TieKind::kLink);
  }

  // -- the registry (as Runtime's) ------------------------------------------------------------
  // Names this actor; false if the name belongs to a live actor.
  [[nodiscard]] bool register_name(std::string_view name) const {
    return detail::registry_add(detail::cell_runtime(cell_), name, cell_);
  }
  bool unregister_name(std::string_view name) const {
    return detail::registry_remove(detail::cell_runtime(cell_), name);
  }
  template <class B>
  std::optional<ActorRef<B>> lookup(std::string_view name) const {
    return detail::registry_lookup<B>(detail::cell_runtime(cell_), name);
  }

 private:
  static detail::CellBase* checked(const ActorAddress& who) {
    detail::CellBase* cell = detail::AddressAccess::cell(who);
    if (cell == nullptr) throw Error("tact: watch/link with an empty ActorRef or address");
    return cell;
  }

  friend struct detail::ContextAccess;
  detail::CellBase* cell_;
  detail::StashPoint* stash_ = nullptr;  // the message being handled, if stashable
};

}  // namespace tact

#include "tact/detail/spawn.hpp"
