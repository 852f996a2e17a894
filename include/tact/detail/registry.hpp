// The registry's entry points for Runtime and Context (src/registry/).
#pragma once

#include <optional>
#include <string_view>

#include "tact/actor_ref.hpp"
#include "tact/detail/cell.hpp"

namespace tact::detail {

template <class A>
struct ActorClass;

bool registry_add(RuntimeCore* runtime, std::string_view name, CellBase* cell);
// The named actor, counted, if its class is `vtable`'s (nullptr: any); else nullptr.
CellBase* registry_find(RuntimeCore* runtime, std::string_view name, const ActorVTable* vtable);
bool registry_remove(RuntimeCore* runtime, std::string_view name);

// Typed means checked: an actor of another class under that name is not found.
template <class A>
std::optional<ActorRef<A>> registry_lookup(RuntimeCore* runtime, std::string_view name) {
  CellBase* cell = registry_find(runtime, name, &ActorClass<A>::kVTable);
  if (cell == nullptr) return std::nullopt;
  return RefAccess<A>::adopt(cell);
}

}  // namespace tact::detail
