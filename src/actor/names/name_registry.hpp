// NameRegistry: a runtime's names -> live actors (rt.register_name, lookup).
//
// An entry points to a live cell without counting a reference: a name is
// removed (close_ties -> drop_names) before the stopping actor gives up the
// reference the runtime holds for live actors, so while an entry exists its
// cell's memory does. A lookup counts the reference it returns, under the lock.
//
// Lock order: the registry's mutex, then a cell's Ties mutex (never the other
// way: close_ties lets go of the Ties mutex before it drops the names).
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sync/mutex.hpp"
#include "tact/detail/cell.hpp"

namespace tact::detail {

struct Cell;

class NameRegistry {
 public:
  // Any thread. False if `name` belongs to a live actor, or `cell` has stopped.
  bool add(std::string_view name, Cell& cell);
  // Any thread. The named actor with one counted reference, if it is of the
  // class `vtable` describes (nullptr: any class); else nullptr.
  CellBase* find(std::string_view name, const ActorVTable* vtable);
  // Any thread. False if no actor had the name.
  bool remove(std::string_view name);
  // The stopping actor's names go (close_ties): each one still mapped to it.
  void drop_names(const Cell& cell, const std::vector<std::string>& names) noexcept;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  ::tact::detail::Mutex mutex_;
  std::unordered_map<std::string, Cell*, Hash, std::equal_to<>> names_;  // guarded by mutex_
};

}  // namespace tact::detail
