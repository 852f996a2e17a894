// MeteredTables: the tables of a runtime's metered actors (Runtime::spawn_metered).
//
// A metered actor runs under a copy of its class's ActorVTable, one per class
// and name: workers tally turns and sampled timings by table, so the actor's
// figures land in a slot of their own at no cost to the turn, and MetricsHub
// adds them to its class's as well (metered_class says which). A table lives
// as long as the runtime, so a stopped metered actor's series stays (counters
// never go backwards) and one spawned again under the same name continues it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "sync/mutex.hpp"
#include "tact/detail/cell.hpp"

namespace tact::detail {

class MeteredTables {
 public:
  // Any thread: the table for `actor_name` of the class `of_class`, made on
  // first use. Throws tact::Error on an empty name.
  const ActorVTable* table_for(const ActorVTable* of_class, std::string_view actor_name);

 private:
  struct Table {
    std::string name;  // before `table`, which points into it
    ActorVTable table;
  };
  ::tact::detail::Mutex mutex_;
  // By class, then by name; guarded by mutex_.
  std::map<const ActorVTable*, std::map<std::string, std::unique_ptr<Table>, std::less<>>> tables_;
};

}  // namespace tact::detail
