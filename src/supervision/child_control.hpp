// What a Supervisor does to its children (child.hpp has their states). Each is
// called from the supervisor's handlers (or its on_stop), holding a reference
// to the child.
#pragma once

#include <cstdint>
#include <exception>

#include "tact/detail/supervision.hpp"

namespace tact::detail {

// A parked child: builds a fresh object from the factory in its cell and lets it
// run (on_start, then its queued mail). Returns what the factory threw (the
// child stays parked), else null.
std::exception_ptr child_restart(CellBase* child) noexcept;

// A running child: queues the order to go down for a restart (it parks when it
// reaches the order; an order for an earlier incarnation is ignored).
void child_take_down(CellBase* child, std::uint32_t incarnation) noexcept;

// Stops the child for good: a running one after the messages already queued
// (reason shutdown), a parked one now.
void child_stop(CellBase* child) noexcept;

std::uint32_t child_incarnation(CellBase* child) noexcept;

}  // namespace tact::detail
