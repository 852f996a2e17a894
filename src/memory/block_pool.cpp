#include "memory/block_pool.hpp"

#include <array>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tact::detail {

#if defined(TACT_SANITIZE_ADDRESS)

void* pool_allocate(std::size_t bytes) { return ::operator new(bytes); }
void pool_free(void* block, std::size_t bytes) noexcept { ::operator delete(block, bytes); }

#else

namespace {

constexpr std::size_t kClasses = kMaxBlock / kBlockGranule;
// Blocks moved between a thread cache and the transfer list at once. Large
// enough that the transfer lock is rare, small enough that a thread does not
// hoard much: 64 blocks of at most 512 bytes.
constexpr std::size_t kBatch = 64;
// Slabs are one transparent huge page: a message burst that queues millions of
// envelopes (fan-in) then takes one page fault per 2 MiB instead of one per 4 KiB
// (measured: page faults were ~70% of fan-in's time with 64 KiB slabs on the VM).
// The cost: up to 2 MiB of memory per size class in use before the first reuse.
constexpr std::size_t kSlabBytes = 2 * 1024 * 1024;

struct FreeBlock {
  FreeBlock* next;
};

std::size_t class_of(std::size_t bytes) noexcept {
  return (bytes + kBlockGranule - 1) / kBlockGranule - 1;  // 1..16 -> 0, 17..32 -> 1, ...
}
std::size_t block_size(std::size_t cls) noexcept { return (cls + 1) * kBlockGranule; }

// A chain of blocks handed between threads as one unit.
struct Batch {
  FreeBlock* head;
  std::size_t count;
};

// The global side: per class, a stack of batches; plus the slabs ever carved.
class TransferLists {
 public:
  bool take(std::size_t cls, Batch& out) {
    std::lock_guard<std::mutex> lock(mutex_[cls]);
    if (batches_[cls].empty()) return false;
    out = batches_[cls].back();
    batches_[cls].pop_back();
    return true;
  }

  void give(std::size_t cls, Batch batch) {
    std::lock_guard<std::mutex> lock(mutex_[cls]);
    batches_[cls].push_back(batch);
  }

  // A fresh slab carved into blocks of class `cls`, returned as one chain.
  Batch carve(std::size_t cls) {
    const std::size_t size = block_size(cls);
    auto* slab = static_cast<std::byte*>(::operator new(kSlabBytes, std::align_val_t(kSlabBytes)));
#if defined(MADV_HUGEPAGE)
    (void)madvise(slab, kSlabBytes, MADV_HUGEPAGE);  // a hint; without it, 4 KiB pages
#endif
    {
      std::lock_guard<std::mutex> lock(slabs_mutex_);
      slabs_.push_back(slab);  // kept reachable for the life of the process
    }
    const std::size_t count = kSlabBytes / size;
    FreeBlock* head = nullptr;
    for (std::size_t i = count; i-- > 0;) {
      auto* block = reinterpret_cast<FreeBlock*>(slab + i * size);
      block->next = head;
      head = block;
    }
    return {head, count};
  }

 private:
  std::array<std::mutex, kClasses> mutex_;
  std::array<std::vector<Batch>, kClasses> batches_;
  std::mutex slabs_mutex_;
  std::vector<std::byte*> slabs_;
};

TransferLists& transfer_lists() {
  // Never destroyed: threads may still free blocks during static destruction.
  static TransferLists* lists = new TransferLists();
  return *lists;
}

// One thread's cache. Owner-only: touched by its thread alone.
class ThreadCache {
 public:
  ~ThreadCache() {
    for (std::size_t cls = 0; cls < kClasses; ++cls) {
      if (lists_[cls].count != 0) transfer_lists().give(cls, lists_[cls]);
    }
  }

  void* allocate(std::size_t cls) {
    Batch& list = lists_[cls];
    if (list.head == nullptr) refill(cls);
    FreeBlock* block = list.head;
    list.head = block->next;
    --list.count;
    return block;
  }

  void free(void* pointer, std::size_t cls) noexcept {
    Batch& list = lists_[cls];
    auto* block = static_cast<FreeBlock*>(pointer);
    block->next = list.head;
    list.head = block;
    if (++list.count >= 2 * kBatch) spill(cls);
  }

 private:
  [[gnu::noinline]] void refill(std::size_t cls) {
    Batch batch{};
    if (!transfer_lists().take(cls, batch)) batch = transfer_lists().carve(cls);
    lists_[cls] = batch;
  }

  // Hands the first kBatch blocks of the list to the transfer list.
  [[gnu::noinline]] void spill(std::size_t cls) noexcept {
    Batch& list = lists_[cls];
    FreeBlock* first = list.head;
    FreeBlock* last = first;
    for (std::size_t i = 1; i < kBatch; ++i) last = last->next;
    list.head = last->next;
    list.count -= kBatch;
    last->next = nullptr;
    try {
      transfer_lists().give(cls, {first, kBatch});
    } catch (...) {
      // The vector could not grow: keep the blocks rather than lose them.
      last->next = list.head;
      list.head = first;
      list.count += kBatch;
    }
  }

  std::array<Batch, kClasses> lists_{};
};

// Set when this thread's cache is gone (thread exit): a block freed by a later
// thread_local destructor goes straight to the transfer list, alone. A plain bool
// has no destructor, so it outlives the cache.
thread_local bool t_cache_destroyed = false;
// The calling thread's cache while it lives, else nullptr. A trivially built
// thread_local: the hot path reads one TLS word, with none of the lazy-init guard
// a thread_local object with a destructor needs on every use.
thread_local ThreadCache* t_cache = nullptr;

struct ThreadCacheHolder {
  ThreadCache cache;
  ~ThreadCacheHolder() {
    t_cache = nullptr;
    t_cache_destroyed = true;
  }
};

// First use on this thread (or after its cache is gone): the slow path.
ThreadCache* make_thread_cache() {
  thread_local ThreadCacheHolder holder;
  t_cache = &holder.cache;
  return t_cache;
}

[[gnu::noinline]] void* allocate_slow(std::size_t bytes) {
  if (t_cache_destroyed) {  // thread exit: carve one block's worth honestly
    Batch batch = transfer_lists().carve(class_of(bytes));
    void* block = batch.head;
    batch.head = batch.head->next;
    if (--batch.count != 0) transfer_lists().give(class_of(bytes), batch);
    return block;
  }
  return make_thread_cache()->allocate(class_of(bytes));
}

[[gnu::noinline]] void free_slow(void* block, std::size_t bytes) noexcept {
  if (t_cache_destroyed) {
    auto* single = static_cast<FreeBlock*>(block);
    single->next = nullptr;
    try {
      transfer_lists().give(class_of(bytes), {single, 1});
    } catch (...) {
      // Out of memory at thread exit: the block stays unused (still reachable from
      // its slab), which is all we can do.
    }
    return;
  }
  make_thread_cache()->free(block, class_of(bytes));
}

}  // namespace

void* pool_allocate(std::size_t bytes) {
  if (bytes > kMaxBlock || bytes == 0) return ::operator new(bytes);
  if (ThreadCache* cache = t_cache) [[likely]] return cache->allocate(class_of(bytes));
  return allocate_slow(bytes);
}

void pool_free(void* block, std::size_t bytes) noexcept {
  if (bytes > kMaxBlock || bytes == 0) {
    ::operator delete(block);
    return;
  }
  if (ThreadCache* cache = t_cache) [[likely]] return cache->free(block, class_of(bytes));
  free_slow(block, bytes);
}

#endif

}  // namespace tact::detail
