// The registry's entry points for Runtime and Context (src/actor/names/).
#pragma once

#include <optional>
#include <string_view>

#include "tact/actor_ref.hpp"
#include "tact/detail/cell.hpp"
#include "tact/detail/runtime_abi.hpp"

namespace tact::detail {

template <class A>
struct ActorClass;


// Typed means checked: an actor of another class under that name is not found.
template <class A>
std::optional<ActorRef<A>> registry_lookup(RuntimeCore* runtime, std::string_view name) {
  CellBase* cell = registry_find(runtime, name, &ActorClass<A>::kVTable);
  if (cell == nullptr) return std::nullopt;
  return RefAccess<A>::adopt(cell);
}

}  // namespace tact::detail
