// Spawning: one allocation per actor, the object built in place inside its cell.
#pragma once

#include <cstdint>
#include <new>
#include <string_view>
#include <utility>

#include "tact/actor_ref.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/dispatch.hpp"
#include "tact/detail/type_name.hpp"

namespace tact::detail {

// An actor class may bound its own mailbox: `static constexpr std::size_t mailbox_bound = 64;`
template <class A>
constexpr std::uint32_t class_mailbox_bound() {
  if constexpr (requires { A::mailbox_bound; }) {
    static_assert(A::mailbox_bound > 0 && A::mailbox_bound <= 0x7fffffff,
                  "tact: an actor's mailbox_bound is a positive message count");
    return static_cast<std::uint32_t>(A::mailbox_bound);
  } else {
    return 0;
  }
}

template <class A>
struct ActorClass {
  static void destroy(void* object) noexcept { static_cast<A*>(object)->~A(); }

  static void on_start(void* object, [[maybe_unused]] CellBase* cell) {
    [[maybe_unused]] A& actor = *static_cast<A*>(object);
    if constexpr (HasOnStartWithContext<A>) {
      Context<A> ctx(cell);
      actor.on_start(ctx);
    } else if constexpr (HasOnStart<A>) {
      actor.on_start();
    }
  }

  static void on_stop(void* object, [[maybe_unused]] CellBase* cell) {
    [[maybe_unused]] A& actor = *static_cast<A*>(object);
    if constexpr (HasOnStopWithContext<A>) {
      Context<A> ctx(cell);
      actor.on_stop(ctx);
    } else if constexpr (HasOnStop<A>) {
      actor.on_stop();
    }
  }

  static constexpr ActorVTable kVTable{
      &destroy,
      HasOnStart<A> ? &on_start : nullptr,
      HasOnStop<A> ? &on_stop : nullptr,
      sizeof(A),
      alignof(A),
      class_mailbox_bound<A>(),
      actor_class_name<A>(),
      nullptr,
      {},
  };
};

// A under `vtable`: its class's own table, or a metered actor's copy of it.
template <class A, class... Args>
ActorRef<A> spawn_actor_with(RuntimeCore* runtime, const ActorVTable* vtable, Args&&... args) {
  static_assert(std::is_class_v<A>, "tact: an actor is a class with handle() overloads");
  static_assert(std::is_nothrow_destructible_v<A>, "tact: an actor's destructor must not throw");
  CellBase* cell = cell_allocate(runtime, vtable);
  try {
    ::new (cell_object(cell)) A(std::forward<Args>(args)...);
  } catch (...) {
    cell_abandon(cell);
    throw;
  }
  return RefAccess<A>::adopt(cell_activate(cell));
}

template <class A, class... Args>
ActorRef<A> spawn_actor(RuntimeCore* runtime, Args&&... args) {
  return spawn_actor_with<A>(runtime, &ActorClass<A>::kVTable, std::forward<Args>(args)...);
}

// Runtime::spawn_metered: the actor under a table of its own, so that its
// metrics have a series of their own (runtime_metered_vtable).
template <class A, class... Args>
ActorRef<A> spawn_metered_actor(RuntimeCore* runtime, std::string_view actor_name, Args&&... args) {
  return spawn_actor_with<A>(runtime, runtime_metered_vtable(runtime, &ActorClass<A>::kVTable, actor_name),
                             std::forward<Args>(args)...);
}

// A detached actor (Runtime::spawn_detached): A in a runtime core of its own,
// whose one worker is the actor's thread (src/actor/detached.cpp).
template <class A, class... Args>
ActorRef<A> spawn_detached_actor(RuntimeCore* home, Args&&... args) {
  RuntimeCore* detached = runtime_detached_core(home);
  ActorRef<A> ref;
  try {
    ref = spawn_actor<A>(detached, std::forward<Args>(args)...);
  } catch (...) {
    runtime_detached_spawned(detached, nullptr);
    throw;
  }
  runtime_detached_spawned(detached, RefAccess<A>::cell(ref));
  return ref;
}

}  // namespace tact::detail
