// What a Supervisor does to its children (child.hpp has their states). Each is
// called from the supervisor's handlers (or its on_stop), holding a reference
// to the child.
#pragma once

#include <cstdint>

#include "tact/detail/supervision.hpp"

namespace tact::detail {

// A parked child: wakes it to build a fresh object from the factory, in its
// cell, and run on (on_start, then its queued mail). False if it is no longer
// parked (it is stopping: killed, or stopped for good).
bool child_restart(CellBase* child) noexcept;

// A running child: queues the order to go down for a restart (it parks when it
// reaches the order; an order for an earlier incarnation is ignored).
void child_take_down(CellBase* child, std::uint32_t incarnation) noexcept;

// Stops the child for good (reason shutdown): a running one after the messages
// already queued, a parked one at once (its queue becomes dead letters).
void child_stop(CellBase* child) noexcept;

}  // namespace tact::detail
