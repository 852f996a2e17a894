// May this thread block, and what must run before it does.
//
// Two rules, one per thread, below both the reply slot (which blocks) and the
// scheduler (whose threads must not):
//   - a runtime worker, or a Driver inside run_ready(), forbids blocking: a
//     Reply::get() there could wait for a message queued behind itself, and with
//     one worker nothing would ever run it (Reply::get() throws WouldBlockWorker);
//   - a thread that promised to run work later (a Driver's host, whose sends
//     wake no worker) hands that work on before it blocks, or it would wait for
//     what it alone was going to run.
// blocking_forbidden() is part of the library's boundary
// (tact/detail/runtime_abi.hpp): Reply::get() checks it inline.
#pragma once

#include "tact/detail/runtime_abi.hpp"

namespace tact::detail {

// Workers and a Driver's run_ready() set it for their thread.
void set_blocking_forbidden(bool forbidden) noexcept;

// What must run on this thread before it blocks; nullptr: nothing.
using BeforeBlocking = void (*)(void* context) noexcept;
void set_before_blocking(BeforeBlocking fn, void* context) noexcept;
// Called by whoever is about to block this thread (a reply wait, shutdown).
void run_before_blocking() noexcept;

}  // namespace tact::detail
