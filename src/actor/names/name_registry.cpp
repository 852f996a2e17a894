#include "actor/names/name_registry.hpp"

#include <algorithm>

#include "actor/cell.hpp"
#include "actor/cell_extras.hpp"
#include "actor/runtime_core.hpp"
#include "actor/supervision/ties.hpp"
#include "sync/mutex.hpp"
#include "tact/errors.hpp"

namespace tact::detail {

bool NameRegistry::add(std::string_view name, Cell& cell) {
  Ties& ties = extras_or_make(&cell).ties;  // before the lock: it may allocate (and throw)
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  auto it = names_.find(name);
  // A name whose actor has stopped is free: its own close_ties will not remove
  // the new entry (it drops only names still mapped to it). acquire: pairs with
  // the release store in runner_stop.
  if (it != names_.end() && !it->second->is_stopped(acquire)) return false;
  {
    std::lock_guard<::tact::detail::Mutex> ties_lock(ties.mutex);
    if (ties.closed || stopped_after_fence(cell)) return false;
    ties.names.emplace_back(name);
  }
  if (it != names_.end()) {
    it->second = &cell;
  } else {
    names_.emplace(std::string(name), &cell);
  }
  return true;
}

CellBase* NameRegistry::find(std::string_view name, const ActorVTable* vtable) {
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  auto it = names_.find(name);
  if (it == names_.end()) return nullptr;
  Cell* cell = it->second;
  if (vtable != nullptr && class_vtable(cell->vtable) != vtable) return nullptr;
  cell_retain(cell);  // alive: an entry's cell is (see the file comment)
  return cell;
}

bool NameRegistry::remove(std::string_view name) {
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  auto it = names_.find(name);
  if (it == names_.end()) return false;
  if (CellExtras* extras = extras_if_any(it->second)) {
    std::lock_guard<::tact::detail::Mutex> ties_lock(extras->ties.mutex);
    auto& names = extras->ties.names;
    auto mine = std::find(names.begin(), names.end(), name);
    if (mine != names.end()) names.erase(mine);
  }
  names_.erase(it);
  return true;
}

void NameRegistry::drop_names(const Cell& cell, const std::vector<std::string>& names) noexcept {
  if (names.empty()) return;
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  for (const std::string& name : names) {
    auto it = names_.find(name);
    if (it != names_.end() && it->second == &cell) names_.erase(it);
  }
}

// ---- the public face (include/tact/detail/registry.hpp) -------------------------------------

bool registry_add(RuntimeCore* runtime, std::string_view name, CellBase* cell) {
  if (cell == nullptr) throw Error("tact: register_name with an empty ActorRef");
  return runtime->names().add(name, *Cell::from(cell));
}

CellBase* registry_find(RuntimeCore* runtime, std::string_view name, const ActorVTable* vtable) {
  return runtime->names().find(name, vtable);
}

bool registry_remove(RuntimeCore* runtime, std::string_view name) {
  return runtime->names().remove(name);
}

}  // namespace tact::detail
