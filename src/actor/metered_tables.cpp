#include "actor/metered_tables.hpp"

#include <mutex>

#include "actor/runtime_core.hpp"
#include "tact/errors.hpp"

namespace tact::detail {

const ActorVTable* MeteredTables::table_for(const ActorVTable* of_class, std::string_view actor_name) {
  if (actor_name.empty()) throw Error("tact: spawn_metered needs a non-empty actor name");
  std::lock_guard<::tact::detail::Mutex> lock(mutex_);
  auto& of_this_class = tables_[of_class];
  auto found = of_this_class.find(actor_name);
  if (found != of_this_class.end()) return &found->second->table;
  auto made = std::make_unique<Table>(Table{std::string(actor_name), *of_class});
  made->table.metered_class = of_class;
  made->table.actor_name = made->name;
  const ActorVTable* table = &made->table;
  of_this_class.emplace(std::string(actor_name), std::move(made));
  return table;
}

const ActorVTable* runtime_metered_vtable(RuntimeCore* runtime, const ActorVTable* of_class,
                                          std::string_view actor_name) {
  if (actor_name.empty()) throw Error("tact: spawn_metered needs a non-empty actor name");
  // Without metrics there is nothing to keep apart: the class's own table.
  if (!runtime->scheduler().config().metrics) return of_class;
  return runtime->metered_tables().table_for(of_class, actor_name);
}

}  // namespace tact::detail
