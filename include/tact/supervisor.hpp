// tact::Supervisor: an actor that starts children from factories and restarts
// them when they fail.
//
//   tact::SupervisorSpec spec{.strategy = tact::Restart::one_for_one,
//                             .max_restarts = 5, .within = 1s, .backoff = {1ms, 100ms}};
//   auto sup = rt.spawn<tact::Supervisor>(spec);
//   tact::ActorRef<Worker> w = sup.ask(tact::StartChild{[] { return Worker(42); }}).get();
//
// - A child that fails (a handler or on_start throws, or a linked actor took it
//   down) is restarted *in its own cell*: on_stop and the destructor of the
//   failed object run, a fresh object comes from the factory, on_start runs, and
//   it carries on with its mailbox. Refs, watches, links and registry names to
//   it stay valid; messages queued for it, or sent while the restart waits, are
//   handled by the new object, in order (none is lost). The ask whose handler
//   threw resolves with tact::HandlerFailed; the asks behind it wait for the new
//   object. A restart is not a stop: watchers get no Down.
// - Strategy: one_for_one restarts the failed child; one_for_all every child;
//   rest_for_one the failed child and those started after it. Siblings go down
//   once the handler they are running returns (the order overtakes their queued
//   mail, which the new object then handles).
// - Backoff: a child's k-th failure within `within` waits backoff.first * 2^(k-1)
//   (at most backoff.max) before the restart; its mailbox keeps filling
//   meanwhile, and no worker runs it.
// - Intensity: more than `max_restarts` failures within `within` and the
//   supervisor gives up: it stops its children and fails with
//   tact::RestartLimitExceeded, so its watchers, links and own supervisor see it.
// - A child that stops on its own (ctx.stop()) is not restarted, and is forgotten.
// - When the supervisor stops, its children stop (reason shutdown).
// A restarted supervisor (one supervised by another) starts with no children.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "tact/actor_ref.hpp"
#include "tact/address.hpp"
#include "tact/context.hpp"
#include "tact/detail/supervision.hpp"
#include "tact/errors.hpp"

namespace tact {

enum class Restart { one_for_one, one_for_all, rest_for_one };

struct Backoff {
  std::chrono::milliseconds first{0};  // before a child's first restart within `within`
  std::chrono::milliseconds max{0};    // the doubling stops here
};

struct SupervisorSpec {
  Restart strategy = Restart::one_for_one;
  int max_restarts = 3;                   // failures allowed within `within`
  std::chrono::milliseconds within{5000};
  Backoff backoff{};                      // none: restart at once
};

// Ask a Supervisor to start a child; the reply is its ActorRef<A> (empty if the
// factory threw the first time).
//   sup.ask(tact::StartChild{[] { return Worker(42); }})   // A deduced: Worker
//   sup.ask(tact::StartChild{[] { return Shard(7); }, "shard-7"})  // metered (Runtime::spawn_metered)
template <class A>
struct StartChild {
  std::function<A()> factory;  // called for the first object and for every restart
  std::string metered_name{};  // non-empty: the child is metered under this name
};
template <class F>
StartChild(F) -> StartChild<std::invoke_result_t<F&>>;
template <class F, class S>
StartChild(F, S) -> StartChild<std::invoke_result_t<F&>>;

// Ask a Supervisor for its figures.
struct GetSupervisorStats {};
struct SupervisorStats {
  std::size_t children = 0;    // started and not stopped for good
  std::uint64_t restarts = 0;  // restarts so far (siblings included; a factory that
                               // throws makes a restart that fails: counted here too)
  std::uint64_t failures = 0;  // children that failed (each restart's cause)
};

// Why a supervisor gave up.
class RestartLimitExceeded : public Error {
 public:
  using Error::Error;
};

namespace detail {
struct SupervisorState;
// System messages between a supervisor and its children (src/actor/supervision/).
struct ChildDown {  // a child parked: failed, or taken down on our order
  ActorAddress who;
  std::uint32_t incarnation;
  bool failed;
  std::exception_ptr error;
};
struct ChildStopped {  // a child stopped for good
  ActorAddress who;
};
struct RestartDue {  // the backoff timer: restarts may be due
};
}  // namespace detail

class Supervisor {
 public:
  explicit Supervisor(SupervisorSpec spec = {});
  Supervisor(Supervisor&&) noexcept;
  Supervisor& operator=(Supervisor&&) noexcept;
  ~Supervisor();

  // The new child's ref; an empty ref if the factory threw (or the runtime is
  // shutting down): the supervisor carries on either way.
  template <class A>
  ActorRef<A> handle(StartChild<A> start, Context<Supervisor>& ctx) {
    const ActorAddress self = ctx.self().address();
    ActorRef<A> child;
    try {
      child = detail::spawn_child<A>(detail::AddressAccess::cell(self), std::move(start.factory),
                                     start.metered_name);
    } catch (...) {
      return child;
    }
    adopt(child.address(), detail::AddressAccess::cell(self));
    return child;
  }
  SupervisorStats handle(GetSupervisorStats) const;

  void on_stop();

  // -- system messages (from its children and its timer) -----------------------------------
  void handle(detail::ChildDown down);
  void handle(detail::ChildStopped stopped);
  void handle(detail::RestartDue due);

 private:
  void adopt(ActorAddress child, detail::CellBase* self);
  std::unique_ptr<detail::SupervisorState> state_;
};

}  // namespace tact
