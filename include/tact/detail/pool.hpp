// The small-block pool that envelopes, reply slots and actor cells come from
// (src/memory/block_pool.hpp explains it). PoolAllocated gives a class the
// pool's operator new/delete.
#pragma once

#include <cstddef>
#include <new>

namespace tact::detail {

// Any thread. 16-byte aligned memory for `bytes`; throws std::bad_alloc.
void* pool_allocate(std::size_t bytes);
// Any thread; `bytes` as passed to pool_allocate.
void pool_free(void* block, std::size_t bytes) noexcept;

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
  static void operator delete(void* block, std::size_t bytes, std::align_val_t align) noexcept {
    ::operator delete(block, bytes, align);
  }
};

}  // namespace tact::detail
