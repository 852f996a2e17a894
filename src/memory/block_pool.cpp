#include "memory/block_pool.hpp"
#include "sync/mutex.hpp"
#include "tact/detail/atomic.hpp"

#include <array>
#include <cstdint>
#include <mutex>
#include <new>
#include <type_traits>
#include <vector>

namespace tact::detail {

__thread PoolThreadCache* t_pool_cache = nullptr;

#if defined(TACT_SANITIZE_ADDRESS)

// t_pool_cache stays nullptr: every call lands here.
void* pool_allocate_slow(std::size_t bytes) { return ::operator new(bytes); }
// Sized where the compiler has sized deallocation (ASan then checks the size);
// clang 14 has it only with -fsized-deallocation.
void pool_free_slow(void* block, [[maybe_unused]] std::size_t bytes) noexcept {
#if defined(__cpp_sized_deallocation)
  ::operator delete(block, bytes);
#else
  ::operator delete(block);
#endif
}

#else

namespace {

// Blocks moved between a thread cache and the transfer list at once: a full
// list (the inline free's bound is kPoolListLimit - 1). Large enough that the
// transfer lock is rare, small enough that a thread does not hoard much: a list
// of 63 blocks of at most 512 bytes, and a reserve as large.
constexpr std::size_t kBatch = kPoolListLimit - 1;

std::size_t block_size(std::size_t cls) noexcept { return (cls + 1) * kPoolGranule; }

// The global side: batches (chains handed between threads as one unit) per
// class, in shards, with each shard's slab being cut into batches; plus the
// slabs ever carved.
//
// Why shards: a thread gives its spills to its own shard and refills from it
// first, so a thread that frees about as much as it allocates (a pipeline kept
// on one worker: its producers allocate the envelopes its consumer frees)
// takes back its own blocks, still in its core's cache. With one shared stack,
// two such workers took each other's batches: every envelope then came from the
// other core's cache, and fanin_many on 2 workers ran at 0.5-1.1x one worker's
// rate (docs/performance.md). A thread whose shard is empty takes another
// shard's batch before carving a slab, so no memory is kept from anyone.
constexpr std::size_t kTransferShards = 8;

class TransferLists {
 public:
  // A batch of class `cls` for a thread of `shard`: its shard's batches, then
  // the rest of its shard's slab, then the other shards' batches (so a thread
  // keeps to blocks its own core used, and takes another's only before a new
  // slab is cut). False: nothing anywhere; carve() cuts a new slab.
  bool take(std::size_t shard, std::size_t cls, PoolFreeList& out) {
    Shard& own = shards_[shard % kTransferShards];
    if (own.take(cls, out)) return true;
    if (out = own.cut(cls, nullptr); out.count != 0) return true;
    for (std::size_t i = 1; i < kTransferShards; ++i) {
      if (shards_[(shard + i) % kTransferShards].take(cls, out)) return true;
    }
    return false;
  }

  void give(std::size_t shard, std::size_t cls, PoolFreeList batch) {
    shards_[shard % kTransferShards].give(cls, batch);
  }

  // A batch of class `cls` from `shard`'s slab of that class (another thread of
  // the shard may have cut a fresh one since take() looked), or else from a
  // fresh slab, which becomes the shard's.
  PoolFreeList carve(std::size_t shard, std::size_t cls) {
    return shards_[shard % kTransferShards].cut(cls, [this] {
      // 4 KiB pages, not a MADV_HUGEPAGE hint: a thread that faults a huge page
      // in clears 2 MiB at once (~0.25 ms here, and up to ~6 ms where the VM
      // hands back memory the guest had freed), a stall inside some handler's
      // send; the workloads ran no faster with them (docs/performance.md).
      auto* slab = static_cast<std::byte*>(::operator new(kPoolSlabBytes, std::align_val_t(kPoolSlabBytes)));
      std::lock_guard<::tact::detail::Mutex> lock(slabs_mutex_);
      slabs_.push_back(slab);  // kept reachable for the life of the process
      return slab;
    });
  }

 private:
  // Mostly one thread's: on lines of its own.
  struct alignas(kCacheLine) Shard {
    bool take(std::size_t cls, PoolFreeList& out) {
      // relaxed: a hint that spares a look under an empty class's lock; the
      // lock decides.
      if (queued[cls].load(relaxed) == 0) return false;
      std::lock_guard<::tact::detail::Mutex> lock(mutex[cls]);
      if (batches[cls].empty()) return false;
      out = batches[cls].back();
      batches[cls].pop_back();
      queued[cls].store(static_cast<std::uint32_t>(batches[cls].size()), relaxed);  // relaxed: as above
      return true;
    }
    // One batch cut from this shard's slab of class `cls`; when none of it is
    // left, from a fresh slab `make_slab()` gives (nullptr instead of a maker:
    // none, and an empty list), which becomes this shard's slab of the class. The slab is made under the class's lock
    // (a rare, short wait for the shard's others), so none is made to be
    // dropped. Only the batch's own blocks are written: a slab's pages are
    // touched as its batches are handed out, not all 2 MiB by the first thread
    // to need a class (a slab of 16-byte blocks is 131,072 of them: ~1M
    // instructions and 512 page faults in one allocation, a millisecond's
    // stall on this VM).
    template <class MakeSlab>
    PoolFreeList cut(std::size_t cls, MakeSlab make_slab) {
      const std::size_t size = block_size(cls);
      std::byte* first;
      std::size_t n;
      {
        std::lock_guard<::tact::detail::Mutex> lock(mutex[cls]);
        Cursor& c = cursor[cls];
        if (c.left == 0) {
          if constexpr (std::is_null_pointer_v<MakeSlab>) {
            return {};
          } else {
            c = {make_slab(), kPoolSlabBytes / size};
          }
        }
        n = c.left < kBatch ? c.left : kBatch;
        first = c.next;
        c.next += n * size;
        c.left -= n;
      }
      PoolFreeBlock* head = nullptr;
      for (std::size_t i = n; i-- > 0;) {
        auto* block = reinterpret_cast<PoolFreeBlock*>(first + i * size);
        block->next = head;
        head = block;
      }
      return {head, n};
    }
    void give(std::size_t cls, PoolFreeList batch) {
      std::lock_guard<::tact::detail::Mutex> lock(mutex[cls]);
      batches[cls].push_back(batch);
      queued[cls].store(static_cast<std::uint32_t>(batches[cls].size()), relaxed);  // relaxed: as in take
    }

    // The part of a slab not handed out yet.
    struct Cursor {
      std::byte* next = nullptr;
      std::size_t left = 0;  // blocks
    };
    std::array<::tact::detail::Mutex, kPoolClasses> mutex;
    std::array<std::vector<PoolFreeList>, kPoolClasses> batches;  // guarded by mutex
    std::array<Cursor, kPoolClasses> cursor{};                    // guarded by mutex
    std::array<Atomic<std::uint32_t>, kPoolClasses> queued{};     // batches.size(), written under mutex
  };
  std::array<Shard, kTransferShards> shards_;
  ::tact::detail::Mutex slabs_mutex_;
  std::vector<std::byte*> slabs_;
};

TransferLists& transfer_lists() {
  // Never destroyed: threads may still free blocks during static destruction.
  static TransferLists* lists = new TransferLists();
  return *lists;
}

// The calling thread's transfer shard: given out in turn as threads make their
// caches, so a runtime's few workers each get one of their own. A plain int
// (no destructor): it outlives the cache, for frees at thread exit.
__thread std::uint32_t t_pool_shard = 0;
Atomic<std::uint32_t> g_next_shard{0};

// An empty list of class `cls` takes a batch from the transfer lists, or a slab.
void refill(PoolFreeList& list, std::size_t cls) {
  PoolFreeList batch{};
  if (!transfer_lists().take(t_pool_shard, cls, batch)) batch = transfer_lists().carve(t_pool_shard, cls);
  list = batch;
}

// Set when this thread's cache is gone (thread exit): a block freed by a later
// thread_local destructor goes straight to the transfer list, alone. A plain bool
// has no destructor, so it outlives the cache.
thread_local bool t_cache_destroyed = false;

// Owns the thread's cache; at thread exit, gives its blocks to the transfer lists.
// Beside each class's list (the inline fast paths' own), one full batch in
// reserve: a list that fills moves whole to the reserve, and the reserve it
// displaces goes to the transfer list; an empty list takes the reserve back.
// So a spill is a few stores, never a walk down the list, and a thread that
// frees and allocates by turns around a boundary does not lock each time.
struct ThreadCacheHolder {
  PoolThreadCache cache{};
  PoolFreeList reserve[kPoolClasses]{};
  ~ThreadCacheHolder();
};

// The holder of a thread's cache: its first member, so the one pointer
// t_pool_cache names both.
static_assert(std::is_standard_layout_v<ThreadCacheHolder>);
ThreadCacheHolder* holder_of(PoolThreadCache* cache) noexcept {
  return reinterpret_cast<ThreadCacheHolder*>(cache);
}

ThreadCacheHolder::~ThreadCacheHolder() {
  t_pool_cache = nullptr;
  t_cache_destroyed = true;
  for (std::size_t cls = 0; cls < kPoolClasses; ++cls) {
    if (cache.lists[cls].count != 0) transfer_lists().give(t_pool_shard, cls, cache.lists[cls]);
    if (reserve[cls].count != 0) transfer_lists().give(t_pool_shard, cls, reserve[cls]);
  }
}

// The calling thread's cache, made on first use; nullptr once it is gone.
ThreadCacheHolder* thread_cache() {
  if (t_pool_cache == nullptr && !t_cache_destroyed) {
    // relaxed: any distinct-enough number will do.
    t_pool_shard = g_next_shard.fetch_add(1, relaxed) % kTransferShards;
    thread_local ThreadCacheHolder holder;
    t_pool_cache = &holder.cache;
  }
  return t_pool_cache != nullptr ? holder_of(t_pool_cache) : nullptr;
}

// A full list goes whole to the reserve; the reserve it displaces, to the
// transfer list.
void spill(ThreadCacheHolder& holder, std::size_t cls) noexcept {
  PoolFreeList& list = holder.cache.lists[cls];
  PoolFreeList& reserve = holder.reserve[cls];
  if (reserve.count != 0) {
    try {
      transfer_lists().give(t_pool_shard, cls, reserve);
    } catch (...) {
      return;  // the vector could not grow: keep the blocks (the list grows on)
    }
  }
  reserve = list;
  list = {};
}

}  // namespace

void* pool_allocate_slow(std::size_t bytes) {
  if (bytes - 1 >= kPoolMaxBlock) return ::operator new(bytes);  // 0 wraps to huge
  const std::size_t cls = pool_class_of(bytes);
  if (ThreadCacheHolder* holder = thread_cache(); holder != nullptr) {
    PoolFreeList& list = holder->cache.lists[cls];
    if (list.head == nullptr) {
      if (PoolFreeList& reserve = holder->reserve[cls]; reserve.count != 0) {
        list = reserve;
        reserve = {};
      } else {
        refill(list, cls);
      }
    }
    PoolFreeBlock* block = list.head;
    list.head = block->next;
    --list.count;
    return block;
  }
  // Thread exit: carve one block's worth honestly.
  PoolFreeList batch = transfer_lists().carve(t_pool_shard, cls);
  void* block = batch.head;
  batch.head = batch.head->next;
  if (--batch.count != 0) transfer_lists().give(t_pool_shard, cls, batch);
  return block;
}

void pool_free_slow(void* block, std::size_t bytes) noexcept {
  if (bytes - 1 >= kPoolMaxBlock) {
    ::operator delete(block);
    return;
  }
  const std::size_t cls = pool_class_of(bytes);
  auto* free_block = static_cast<PoolFreeBlock*>(block);
  ThreadCacheHolder* holder = nullptr;
  try {
    holder = thread_cache();
  } catch (...) {
    // The cache could not be made (out of memory): give the block back alone.
  }
  if (holder == nullptr) {  // thread exit
    free_block->next = nullptr;
    try {
      transfer_lists().give(t_pool_shard, cls, {free_block, 1});
    } catch (...) {
      // Out of memory at thread exit: the block stays unused (still reachable from
      // its slab), which is all we can do.
    }
    return;
  }
  PoolFreeList& list = holder->cache.lists[cls];
  // Full (the fast path's bound): the list goes to the reserve first, so that
  // taking the reserve back leaves room for a free (no slow path at the edge).
  if (list.count + 1 >= kPoolListLimit) spill(*holder, cls);
  free_block->next = list.head;
  list.head = free_block;
  ++list.count;
}

#endif

}  // namespace tact::detail
