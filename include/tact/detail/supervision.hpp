// Spawning a supervised child: like spawn_actor, but the object comes from a
// factory that is kept (in the child's CellExtras) to build it again, in the
// same cell, at each restart (src/actor/supervision/child.hpp).
#pragma once

#include <functional>
#include <new>
#include <string_view>
#include <utility>

#include "tact/actor_ref.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/runtime_abi.hpp"
#include "tact/detail/spawn.hpp"

namespace tact::detail {

// `metered_name`: non-empty for a metered child (Runtime::spawn_metered).
template <class A>
ActorRef<A> spawn_child(CellBase* supervisor, std::function<A()> factory, std::string_view metered_name = {}) {
  static_assert(std::is_class_v<A>, "tact: an actor is a class with handle() overloads");
  static_assert(std::is_nothrow_destructible_v<A>, "tact: an actor's destructor must not throw");
  std::function<void(void*)> build = [factory = std::move(factory)](void* where) {
    ::new (where) A(factory());
  };
  RuntimeCore* runtime = cell_runtime(supervisor);
  const ActorVTable* vtable = metered_name.empty()
                                  ? &ActorClass<A>::kVTable
                                  : runtime_metered_vtable(runtime, &ActorClass<A>::kVTable, metered_name);
  CellBase* cell = cell_allocate(runtime, vtable);
  try {
    build(cell_object(cell));
  } catch (...) {
    cell_abandon(cell);
    throw;
  }
  try {
    child_attach(cell, supervisor, std::move(build));
  } catch (...) {
    ActorClass<A>::destroy(cell_object(cell));
    cell_abandon(cell);
    throw;
  }
  return RefAccess<A>::adopt(cell_activate(cell));
}

}  // namespace tact::detail
