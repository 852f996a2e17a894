// The small-block pool that envelopes, reply slots, coroutine frames and actor
// cells come from (src/memory/block_pool.hpp explains it). PoolAllocated gives a
// class the pool's operator new/delete.
//
// The fast path is inline: a message allocates one envelope and frees one, and
// a call into the library for each cost ~20 instructions of a hop's ~290
// (callgrind, ring). Inline, with the size known at compile time, it is a TLS
// load, a pop or push on the size class's list and a count.
#pragma once

#include <cstddef>
#include <new>

#include "tact/detail/runtime_abi.hpp"

namespace tact::detail {

inline constexpr std::size_t kPoolGranule = 16;
inline constexpr std::size_t kPoolMaxBlock = 512;  // larger requests go to operator new
inline constexpr std::size_t kPoolClasses = kPoolMaxBlock / kPoolGranule;
// A thread's list of one class reaching this goes to the slow path, which
// keeps it in reserve and hands the reserve before it to the shared transfer
// list.
inline constexpr std::size_t kPoolListLimit = 64;

struct PoolFreeBlock {
  PoolFreeBlock* next;
};
struct PoolFreeList {
  PoolFreeBlock* head;
  std::size_t count;
};
// One thread's cached free blocks, a list per size class. Owner-only: touched
// by its thread alone, so no atomics.
struct PoolThreadCache {
  PoolFreeList lists[kPoolClasses];
};

// The calling thread's cache while it lives; nullptr before its first slow-path
// call, after its thread-exit teardown, and always under AddressSanitizer.
// __thread, not thread_local: an extern thread_local of any type is reached
// through a TLS wrapper call (it might have a dynamic initializer); __thread is
// one load.
extern __thread PoolThreadCache* t_pool_cache;

constexpr std::size_t pool_class_of(std::size_t bytes) noexcept {
  return (bytes - 1) / kPoolGranule;  // 1..16 -> 0, 17..32 -> 1, ...
}


// Any thread. 16-byte aligned memory for `bytes`; throws std::bad_alloc.
inline void* pool_allocate(std::size_t bytes) {
  PoolThreadCache* cache = t_pool_cache;
  if (cache != nullptr && bytes - 1 < kPoolMaxBlock) [[likely]] {  // bytes 0 wraps: slow
    PoolFreeList& list = cache->lists[pool_class_of(bytes)];
    if (PoolFreeBlock* block = list.head; block != nullptr) [[likely]] {
      list.head = block->next;
      --list.count;
      return block;
    }
  }
  return pool_allocate_slow(bytes);
}

// Any thread, whichever allocated it; `bytes` as passed to pool_allocate.
inline void pool_free(void* block, std::size_t bytes) noexcept {
  PoolThreadCache* cache = t_pool_cache;
  if (cache != nullptr && bytes - 1 < kPoolMaxBlock) [[likely]] {
    PoolFreeList& list = cache->lists[pool_class_of(bytes)];
    if (list.count + 1 < kPoolListLimit) [[likely]] {
      auto* free_block = static_cast<PoolFreeBlock*>(block);
      free_block->next = list.head;
      list.head = free_block;
      ++list.count;
      return;
    }
  }
  pool_free_slow(block, bytes);
}

// Memory from the global ::operator new is given back with the *unsized* global
// ::operator delete in these headers. Sized deallocation is a language option:
// g++ turns it on from C++14, clang 14 leaves it off (-fsized-deallocation), and
// libstdc++'s <new> then declares no sized ::operator delete at all, so a header
// calling one does not compile in such a consumer. Testing __cpp_sized_deallocation
// here would give these inline functions a body that depends on the flags of the
// translation unit including them (tact's own and a consumer's may differ). The
// size is only a hint anyway: the default sized form calls the unsized one, and
// glibc's free() takes no size.

// Inherit to allocate a class (and the classes derived from it) from the pool.
// Sized delete passes the deleted type's size back, which picks its size class;
// delete the most derived type (or a final class), never through a base pointer.
struct PoolAllocated {
  static void* operator new(std::size_t bytes) { return pool_allocate(bytes); }
  static void operator delete(void* block, std::size_t bytes) noexcept { pool_free(block, bytes); }
  // Over-aligned types bypass the pool (its blocks are 16-byte aligned).
  static void* operator new(std::size_t bytes, std::align_val_t align) {
    return ::operator new(bytes, align);
  }
  // Unsized global delete: see pool_global_free below.
  static void operator delete(void* block, std::size_t, std::align_val_t align) noexcept {
    ::operator delete(block, align);
  }
};

}  // namespace tact::detail
