// tact::Runtime: the worker threads and every actor spawned on them.
//
//   tact::Runtime rt;                       // one worker per hardware thread
//   auto counter = rt.spawn<Counter>(args...);
//   counter.tell(Inc{1});
//   std::int64_t n = counter.ask(Get{}).get();
//   rt.shutdown();                          // or let the destructor do it
//
// rt.send_after(delay, ref, msg) / rt.send_every(period, ref, msg): timers
// (tact/timer.hpp; docs/timers.md).
//
// shutdown(): lets queued messages be handled (at most Config::shutdown_drain),
// then stops every actor (on_stop runs; queued messages become dead letters and
// their asks resolve with tact::ActorStopped), then joins the workers. Actors
// holding refs to each other in cycles are stopped all the same. ActorRefs that
// outlive the runtime stay safe to use: their messages are dead letters.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include "tact/actor_ref.hpp"
#include "tact/config.hpp"
#include "tact/context.hpp"
#include "tact/detail/registry.hpp"
#include "tact/detail/spawn.hpp"
#include "tact/detail/timed_send.hpp"
#include "tact/metrics.hpp"
#include "tact/shutdown_hook.hpp"
#include "tact/timer.hpp"

namespace tact {

struct RuntimeStats {
  std::uint64_t actors_spawned = 0;
  std::uint64_t actors_stopped = 0;
  std::uint64_t dead_letters = 0;   // messages that reached a stopped actor
  std::uint64_t actors_failed = 0;  // actors stopped by an exception
  std::uint64_t messages_refused = 0;  // user messages a full bounded mailbox refused
  std::uint64_t requests_expired = 0;  // asks answered Timeout at their deadline, never handled
};

class Runtime {
 public:
  Runtime();
  explicit Runtime(const Config& config);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Any thread. Builds A(args...) inside a new actor and returns its ref; throws
  // what A's constructor throws, or tact::Error once shutdown has begun.
  template <class A, class... Args>
  ActorRef<A> spawn(Args&&... args) {
    return detail::spawn_actor<A>(core_, std::forward<Args>(args)...);
  }

  // Any thread. As spawn, and the actor's metrics (messages, handler time,
  // mailbox wait, depth, restarts...) are also kept under `actor_name`, beside
  // its class's: rt.metrics().named_actors, the tact_named_actor_* series,
  // a row in tact-top (docs/metrics.md, "Metered actors"). For the few actors
  // worth watching one by one (a hot shard, a singleton), not for thousands:
  // each name costs ~9 KB per worker, kept for the runtime's life so that its
  // counters never go backwards; an actor spawned again under the same name
  // continues the series. Throws tact::Error on an empty name.
  template <class A, class... Args>
  ActorRef<A> spawn_metered(std::string_view actor_name, Args&&... args) {
    return detail::spawn_metered_actor<A>(core_, actor_name, std::forward<Args>(args)...);
  }

  // Any thread. As spawn, but the actor runs on a thread of its own (a
  // "detached" actor), so its handlers may block — a synchronous client
  // library, a blocking read — without stalling the workers; there,
  // Reply::get() is allowed too (from its first message; not in on_start).
  // Same ActorRef, same semantics (tell, ask, stop, kill, watch, link, names,
  // timers); the actors it spawns run on the workers. One thread per detached
  // actor: for a few long-lived ones, not thousands (docs/blocking.md).
  template <class A, class... Args>
  ActorRef<A> spawn_detached(Args&&... args) {
    return detail::spawn_detached_actor<A>(core_, std::forward<Args>(args)...);
  }

  // Any thread. As ctx.send_after / ctx.send_every (context.hpp), for code
  // outside actors: the timer is tied to no actor's life, only to the runtime's
  // (shutdown cancels it).
  template <class A, class M, class Rep, class Period>
  TimerHandle send_after(std::chrono::duration<Rep, Period> delay, const ActorRef<A>& target, M&& msg) {
    return detail::send_timed(core_, nullptr, detail::to_timer_duration(delay),
                              detail::TimerClock::duration::zero(), target, std::forward<M>(msg));
  }
  template <class A, class M, class Rep, class Period>
  TimerHandle send_every(std::chrono::duration<Rep, Period> period, const ActorRef<A>& target, M&& msg) {
    return detail::send_every_checked(core_, nullptr, period, target, std::forward<M>(msg));
  }

  // Not from a worker thread (throws tact::WouldBlockWorker). Idempotent.
  void shutdown();
  // Any thread. `fn` runs when shutdown() begins, before the drain (newest hook
  // first); the hook lives as long as the returned handle (tact/shutdown_hook.hpp).
  // Throws tact::Error once shutdown has begun.
  [[nodiscard]] ShutdownHook on_shutdown(std::function<void()> fn);

  // -- the registry (docs/guide.md, "The registry"); any thread --------------------------------------------
  // Names the actor. False if the name belongs to a live actor (an actor that
  // has stopped lost its names), or the actor has stopped. Throws on an empty ref.
  template <class A>
  [[nodiscard]] bool register_name(std::string_view name, const ActorRef<A>& ref) {
    return detail::registry_add(core_, name, detail::RefAccess<A>::cell(ref));
  }
  // The actor of class A under that name; empty if none, or if it is of another class.
  template <class A>
  std::optional<ActorRef<A>> lookup(std::string_view name) const {
    return detail::registry_lookup<A>(core_, name);
  }
  // False if no actor had the name.
  bool unregister_name(std::string_view name);

  RuntimeStats stats() const noexcept;
  // Any thread: per actor class and per worker counters and sampled timings
  // (tact/metrics.hpp); empty with Config::metrics off.
  metrics::Snapshot metrics() const;
  std::size_t worker_count() const noexcept;

 private:
  friend class Driver;
  friend struct detail::RuntimeAccess;
  detail::RuntimeCore* core_;
};

namespace detail {
// The runtime's core, for tact's own add-ons (tact::nats): not for users.
struct RuntimeAccess {
  static RuntimeCore* core(const Runtime& runtime) noexcept { return runtime.core_; }
};
}  // namespace detail

}  // namespace tact
