// BlockPool: the small-block allocator behind envelopes, reply slots and actor
// cells (include/tact/detail/pool.hpp is its public face).
//
// Why: every message allocates an envelope on the sender's thread and frees it on
// the receiver's. glibc's malloc+free costs ~20 ns here, and frees from another
// thread take its arena lock (an atomic read-modify-write, ~19 ns on this machine,
// plus the line transfer). A per-thread cache makes both a few loads and stores.
//
// Design (tcmalloc's thread cache + transfer cache, in miniature):
//   - Size classes of 16 bytes up to kPoolMaxBlock; larger requests go to operator new.
//   - Each thread caches free blocks per class in an intrusive singly linked list
//     (owner-only: no atomics). free() puts a block on the *freeing* thread's list,
//     wherever it was allocated: memory migrates from senders to receivers.
//   - Bonwick's magazines, on intrusive lists: a full list (kPoolListLimit - 1
//     blocks, a batch) that is freed to moves whole to the thread's reserve for its
//     class, and the reserve it displaces goes, as one batch, to the transfer list
//     of its class (a mutex-guarded stack of batches: one lock per batch of frees
//     or more). An empty list takes the reserve back, or a batch from the transfer
//     list, or carves a slab into batches (the first for it, the rest to the
//     transfer list). A slow path is a batch of frees or allocations from the
//     last; no list holds more than a batch, so nothing walks one.
//   - The transfer lists are sharded, a shard per thread (in turn, 8 in all): a
//     thread spills to its own shard and refills from it first, so a thread that
//     frees what it allocates gets its own, cache-warm blocks back; it takes from
//     another shard only when its own is empty, and carves only when all are.
//   - Slabs are never returned to the system; they stay reachable from a global
//     list (LeakSanitizer sees no leak). A thread's cache goes to the transfer lists
//     when the thread exits.
// Under AddressSanitizer every call goes straight to operator new/delete, so ASan
// keeps seeing use-after-free and leaks of individual blocks.
#pragma once

#include <cstddef>

#include "tact/detail/pool.hpp"  // pool_allocate, pool_free and their inline fast paths

namespace tact::detail {

// Slabs are one transparent huge page: a message burst that queues millions of
// envelopes (fan-in) then takes one page fault per 2 MiB instead of one per 4 KiB
// (measured: page faults were ~70% of fan-in's time with 64 KiB slabs on the VM).
// The cost: up to 2 MiB of memory per size class in use before the first reuse.
inline constexpr std::size_t kPoolSlabBytes = 2 * 1024 * 1024;

}  // namespace tact::detail
